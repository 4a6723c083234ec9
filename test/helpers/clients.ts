// Clients (applications) for tests that build services without the app: the default client
// exactly as the registry resolves it from a configuration.
import { clientDefaults } from '../../src/composition.ts';
import type { Config } from '../../src/config/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createClientRegistry, type Client } from '../../src/services/client-registry.ts';

/** The default client of `config` (no clients table). */
export function defaultClientOf(config: Config): Client {
  const none = async () => null;
  return createClientRegistry({
    repository: { listAll: async () => [], find: none, insert: none, update: none, remove: async () => false },
    defaults: clientDefaults(config),
    clock: systemClock,
    log: { info() {}, warn() {}, error() {} },
  }).defaultClient();
}
