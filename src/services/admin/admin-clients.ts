/**
 * Clients through the admin API: the registry's own operations (the same fields and validation
 * as `npm run clients`), paged, with every change audited under the admin key's id (S41).
 */
import { AppError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../lib/page-cursor.ts';
import type { AuditLog } from '../audit-log.ts';
import type { ClientInput, ClientProblem, ClientRegistry, ClientView } from '../client-registry.ts';
import { auditAdminChange, type AdminActor } from './admin-actor.ts';
import type { Page } from './admin-users.ts';

/** `400 invalid_client_settings`, with one problem per bad field for the reply. */
export class ClientSettingsError extends AppError {
  readonly problems: ClientProblem[];
  constructor(problems: ClientProblem[]) {
    super('invalid_client_settings');
    this.problems = problems;
  }
}

export interface AdminClientService {
  list(query: { limit: number; cursor?: string }): Promise<Page<ClientView>>;
  get(clientId: string): Promise<ClientView>;
  create(clientId: string, input: ClientInput, actor: AdminActor): Promise<ClientView>;
  update(clientId: string, input: ClientInput, actor: AdminActor): Promise<ClientView>;
  remove(clientId: string, actor: AdminActor): Promise<void>;
}

export function createAdminClientService(deps: { clients: Pick<ClientRegistry, 'list' | 'get' | 'add' | 'update' | 'remove'>; audit: Pick<AuditLog, 'record'> }): AdminClientService {
  const { clients, audit } = deps;

  function outcome(change: Awaited<ReturnType<ClientRegistry['add']>>): ClientView {
    switch (change.outcome) {
      case 'ok': return change.client;
      case 'invalid': throw new ClientSettingsError(change.problems);
      case 'exists': throw new AppError('client_exists');
      default: throw new AppError('not_found');
    }
  }

  return {
    async list(query) {
      // Clients are few and held in memory: paged by client_id over the sorted list.
      let after: string | undefined;
      if (query.cursor !== undefined) {
        after = decodeCursor(query.cursor, 1)?.[0];
        if (after === undefined) throw new AppError('invalid_cursor');
      }
      const all = (await clients.list()).sort((a, b) => (a.client_id < b.client_id ? -1 : a.client_id > b.client_id ? 1 : 0));
      const rest = after === undefined ? all : all.filter((client) => client.client_id > after);
      const data = rest.slice(0, query.limit);
      return { data, nextCursor: rest.length > query.limit ? encodeCursor([data[data.length - 1]!.client_id]) : null };
    },

    async get(clientId) {
      const client = await clients.get(clientId);
      if (client === undefined) throw new AppError('not_found');
      return client;
    },

    async create(clientId, input, actor) {
      const client = outcome(await clients.add(clientId, input));
      auditAdminChange(audit, actor, 'admin.client_created', { detail: { clientId } });
      return client;
    },

    async update(clientId, input, actor) {
      const client = outcome(await clients.update(clientId, input));
      auditAdminChange(audit, actor, 'admin.client_updated', { detail: { clientId, fields: Object.keys(input).sort().join(',') } });
      return client;
    },

    async remove(clientId, actor) {
      if ((await clients.remove(clientId)) === 'not_found') throw new AppError('not_found');
      auditAdminChange(audit, actor, 'admin.client_deleted', { detail: { clientId } });
    },
  };
}
