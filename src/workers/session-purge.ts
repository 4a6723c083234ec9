/** Session purge: every replica deletes expired sessions and their refresh tokens every ten minutes. */
import type { SessionService } from '../services/session-service.ts';
import type { Logger } from '../services/types.ts';
import { createPeriodicWorker } from './periodic-worker.ts';
import type { Worker } from './worker.ts';

const SESSION_PURGE_INTERVAL_MS = 10 * 60 * 1000;

export function createSessionPurgeWorker(deps: { sessions: Pick<SessionService, 'purgeExpired'>; log: Logger }): Worker {
  return createPeriodicWorker({
    name: 'session-purge',
    intervalMs: SESSION_PURGE_INTERVAL_MS,
    task: () => deps.sessions.purgeExpired(),
    log: deps.log,
    failure: 'session cleanup failed',
  });
}
