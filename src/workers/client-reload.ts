/**
 * Client reload: every CLIENT_RELOAD_INTERVAL each replica reads the clients table again, so a
 * client added, changed or removed by the CLI or the admin API on any replica takes effect
 * everywhere without a restart. A failed read keeps the clients already loaded.
 */
import type { ClientRegistry } from '../services/client-registry.ts';
import type { Logger } from '../services/types.ts';
import { createPeriodicWorker } from './periodic-worker.ts';
import type { Worker } from './worker.ts';

export function createClientReloadWorker(deps: { clients: Pick<ClientRegistry, 'reload'>; intervalSeconds: number; log: Logger }): Worker {
  return createPeriodicWorker({
    name: 'client-reload',
    intervalMs: deps.intervalSeconds * 1000,
    task: () => deps.clients.reload(),
    log: deps.log,
    failure: 'client reload failed; keeping the clients already loaded',
  });
}
