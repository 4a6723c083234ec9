/**
 * Key maintenance: every KEY_RELOAD_INTERVAL each replica runs one lifecycle step under the key
 * store's advisory lock (only one acts) and reloads the key set, so all replicas converge on the
 * same published and current keys. A failed step keeps signing with the keys already loaded.
 */
import type { KeyStore } from '../keys/key-store.ts';
import type { Logger } from '../services/types.ts';
import { createPeriodicWorker } from './periodic-worker.ts';
import type { Worker } from './worker.ts';

export function createKeyMaintenanceWorker(deps: { keys: Pick<KeyStore, 'maintain'>; intervalSeconds: number; log: Logger }): Worker {
  return createPeriodicWorker({
    name: 'key-maintenance',
    intervalMs: deps.intervalSeconds * 1000,
    task: () => deps.keys.maintain(),
    log: deps.log,
    failure: 'key maintenance failed',
  });
}
