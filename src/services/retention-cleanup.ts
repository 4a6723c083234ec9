/**
 * The retention cleanup: old audit rows (AUDIT_RETENTION_DAYS), spent one-time tokens, stale
 * throttle rows and old SMS counters. Every replica runs it on a timer (workers/retention.ts);
 * the repository's advisory try-lock lets one run at a time.
 */
import type { Clock } from '../lib/clock.ts';
import type { PurgeResult, RetentionRepository } from '../repositories/retention-repository.ts';
import type { Logger } from './types.ts';

export interface RetentionCleanup {
  runOnce(): Promise<PurgeResult>;
}

export function createRetentionCleanup(deps: {
  repository: RetentionRepository;
  clock: Clock;
  log: Logger;
  settings: { auditRetentionDays: number; tokenRequestThrottleSeconds: number };
}): RetentionCleanup {
  const { repository, clock, log, settings } = deps;
  async function runOnce(): Promise<PurgeResult> {
    const result = await repository.purge({
      now: clock.now(),
      auditRetentionDays: settings.auditRetentionDays,
      throttleSeconds: settings.tokenRequestThrottleSeconds,
    });
    if (result.ran) log.info({ deleted: result.deleted }, 'retention cleanup done');
    return result;
  }

  return { runOnce };
}
