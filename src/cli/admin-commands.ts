/**
 * The commands of `npm run admin`, apart from the process set-up, so tests run them directly:
 *
 *   keys create --name NAME [--scopes s1,s2]   prints {"id","key"} once; no --scopes: every scope
 *   keys list                                  the keys' ids, names, scopes and dates, never a key
 *   keys revoke ID                             the key stops working at once
 */
import { parseArgs } from 'node:util';
import { ADMIN_SCOPES, parseAdminScopes, type AdminKeyService } from '../services/admin/admin-keys.ts';
import type { AuditLog } from '../services/audit-log.ts';

export const ADMIN_USAGE = `usage: npm run admin -- keys create --name NAME [--scopes ${ADMIN_SCOPES.join(',')}]
       npm run admin -- keys list
       npm run admin -- keys revoke ID`;

export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one command; resolves to the process exit code (0 done, 1 failed, 2 usage). */
export async function runAdminCommand(argv: readonly string[], deps: { keys: AdminKeyService; audit: Pick<AuditLog, 'record'>; io: CommandOutput }): Promise<number> {
  const { keys, audit, io } = deps;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { name: { type: 'string' }, scopes: { type: 'string' } } });
  } catch (error) {
    io.err((error as Error).message);
    io.err(ADMIN_USAGE);
    return 2;
  }
  const [group, command, ...rest] = parsed.positionals;
  if (group !== 'keys') return usage(io);
  // Changes made from the command line are audited like the API's, under the key's own id (S41).
  const cli = { ip: 'cli', userAgent: 'npm run admin', acceptLanguage: undefined };

  switch (command) {
    case 'create': {
      if (rest.length > 0 || parsed.values.name === undefined) return usage(io);
      try {
        const scopes = parsed.values.scopes === undefined ? undefined : parseAdminScopes(parsed.values.scopes);
        const created = await keys.create(parsed.values.name, scopes);
        audit.record({ event: 'admin.key_created', outcome: 'succeeded', context: cli, detail: { adminKeyId: created.id } });
        // The only time the key is shown: it is stored as a SHA-256 only.
        io.out(JSON.stringify({ id: created.id, key: created.key }));
        return 0;
      } catch (error) {
        io.err(`cannot create the key: ${(error as Error).message}`);
        return 1;
      }
    }
    case 'list': {
      if (rest.length > 0 || parsed.values.name !== undefined || parsed.values.scopes !== undefined) return usage(io);
      for (const key of await keys.list()) {
        io.out(JSON.stringify({
          id: key.id,
          name: key.name,
          scopes: key.scopes,
          created_at: key.createdAt.toISOString(),
          last_used_at: key.lastUsedAt?.toISOString() ?? null,
          revoked_at: key.revokedAt?.toISOString() ?? null,
        }));
      }
      return 0;
    }
    case 'revoke': {
      if (rest.length !== 1 || parsed.values.name !== undefined || parsed.values.scopes !== undefined) return usage(io);
      const id = rest[0]!;
      if (!(await keys.revoke(id))) {
        io.err(`no live admin key with id ${id}`);
        return 1;
      }
      audit.record({ event: 'admin.key_revoked', outcome: 'succeeded', context: cli, detail: { adminKeyId: id.toLowerCase() } });
      io.out(`revoked ${id.toLowerCase()}`);
      return 0;
    }
    default:
      return usage(io);
  }
}

function usage(io: CommandOutput): number {
  io.err(ADMIN_USAGE);
  return 2;
}
