/**
 * Retention: runs the cleanup every CLEANUP_INTERVAL_SECONDS (0: never), the first run at a
 * random point of the first interval so replicas started together spread out. The cleanup's
 * advisory try-lock lets one replica at a time do the work.
 */
import type { RetentionCleanup } from '../services/retention-cleanup.ts';
import type { Logger } from '../services/types.ts';
import { createPeriodicWorker } from './periodic-worker.ts';
import type { Worker } from './worker.ts';

export function createRetentionWorker(deps: { cleanup: Pick<RetentionCleanup, 'runOnce'>; intervalSeconds: number; log: Logger }): Worker {
  const intervalMs = deps.intervalSeconds * 1000;
  return createPeriodicWorker({
    name: 'retention',
    intervalMs,
    firstRunAfterMs: () => Math.floor(Math.random() * intervalMs),
    task: () => deps.cleanup.runOnce(),
    log: deps.log,
    failure: 'retention cleanup failed; retrying at the next interval',
  });
}
