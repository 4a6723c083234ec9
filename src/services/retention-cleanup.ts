/**
 * The periodic cleanup: old audit rows (AUDIT_RETENTION_DAYS), spent one-time tokens, stale
 * throttle rows and old SMS counters. Every replica schedules it; the repository's advisory
 * try-lock lets one run at a time. Failures are logged and retried at the next tick.
 */
import type { Clock } from '../lib/clock.ts';
import type { PurgeResult, RetentionRepository } from '../repositories/retention-repository.ts';
import type { Logger } from './types.ts';

export interface RetentionCleanup {
  runOnce(): Promise<PurgeResult>;
  /** Starts the timer (first run at a random point of the first interval, so replicas spread out). */
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function createRetentionCleanup(deps: {
  repository: RetentionRepository;
  clock: Clock;
  log: Logger;
  settings: { auditRetentionDays: number; tokenRequestThrottleSeconds: number; cleanupIntervalSeconds: number };
}): RetentionCleanup {
  const { repository, clock, log, settings } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function runOnce(): Promise<PurgeResult> {
    const result = await repository.purge({
      now: clock.now(),
      auditRetentionDays: settings.auditRetentionDays,
      throttleSeconds: settings.tokenRequestThrottleSeconds,
    });
    if (result.ran) log.info({ deleted: result.deleted }, 'retention cleanup done');
    return result;
  }

  function tick(): void {
    running = runOnce().catch((error: Error) => {
      log.warn({ err: { type: error.name, message: error.message } }, 'retention cleanup failed; retrying at the next interval');
    });
  }

  return {
    runOnce,
    start() {
      const intervalMs = settings.cleanupIntervalSeconds * 1000;
      if (intervalMs === 0 || timer) return;
      timer = setTimeout(function again() {
        tick();
        timer = setTimeout(again, intervalMs);
        timer.unref();
      }, Math.floor(Math.random() * intervalMs));
      timer.unref();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
