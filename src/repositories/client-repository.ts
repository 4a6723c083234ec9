/** The clients table, through Prisma: read whole every CLIENT_RELOAD_INTERVAL, written by the CLI and the admin API. */
import type { PrismaClient } from '../generated/prisma/client.ts';

/** A row as stored: null means "fall back to the environment's setting". */
export interface StoredClient {
  clientId: string;
  name: string | null;
  allowedOrigins: string[] | null;
  loginUrl: string | null;
  allowedMethods: string[] | null;
  audience: string | null;
  accessTokenTtl: number | null;
  refreshTokenTtl: number | null;
  refreshTokenDelivery: string | null;
  emailFrom: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The settable columns; an absent key is left as it is, null resets it to the fallback. */
export type StoredClientFields = Partial<Omit<StoredClient, 'clientId' | 'createdAt' | 'updatedAt'>>;

export interface ClientRepository {
  listAll(): Promise<StoredClient[]>;
  find(clientId: string): Promise<StoredClient | null>;
  /** Inserts the row; false when a client with this id exists. */
  insert(clientId: string, fields: StoredClientFields, now: Date): Promise<StoredClient | null>;
  /** Updates the row; null when there is none. */
  update(clientId: string, fields: StoredClientFields, now: Date): Promise<StoredClient | null>;
  /** Deletes the row; false when there was none. */
  remove(clientId: string): Promise<boolean>;
}

const UNIQUE_VIOLATION = 'P2002';
const NOT_FOUND = 'P2025';

export function createClientRepository(prisma: PrismaClient): ClientRepository {
  return {
    async listAll() {
      const rows = await prisma.client.findMany({ orderBy: { clientId: 'asc' } });
      return rows.map(toStored);
    },
    async find(clientId) {
      const row = await prisma.client.findUnique({ where: { clientId } });
      return row === null ? null : toStored(row);
    },
    async insert(clientId, fields, now) {
      try {
        return toStored(await prisma.client.create({ data: { clientId, ...toColumns(fields), createdAt: now, updatedAt: now } }));
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
        throw error;
      }
    },
    async update(clientId, fields, now) {
      try {
        return toStored(await prisma.client.update({ where: { clientId }, data: { ...toColumns(fields), updatedAt: now } }));
      } catch (error) {
        if ((error as { code?: string }).code === NOT_FOUND) return null;
        throw error;
      }
    },
    async remove(clientId) {
      const { count } = await prisma.client.deleteMany({ where: { clientId } });
      return count > 0;
    },
  };
}

type Row = Awaited<ReturnType<PrismaClient['client']['findFirstOrThrow']>>;

// Prisma stores an unset list as an empty array: an empty list reads back as "not set".
function toStored(row: Row): StoredClient {
  return {
    clientId: row.clientId,
    name: row.name,
    allowedOrigins: row.allowedOrigins.length === 0 ? null : row.allowedOrigins,
    loginUrl: row.loginUrl,
    allowedMethods: row.allowedMethods.length === 0 ? null : row.allowedMethods,
    audience: row.audience,
    accessTokenTtl: row.accessTokenTtl,
    refreshTokenTtl: row.refreshTokenTtl,
    refreshTokenDelivery: row.refreshTokenDelivery,
    emailFrom: row.emailFrom,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toColumns(fields: StoredClientFields): Record<string, unknown> {
  const columns: Record<string, unknown> = { ...fields };
  if ('allowedOrigins' in fields) columns.allowedOrigins = fields.allowedOrigins ?? [];
  if ('allowedMethods' in fields) columns.allowedMethods = fields.allowedMethods ?? [];
  return columns;
}
