/**
 * The clients table: read whole every CLIENT_RELOAD_INTERVAL, written by the CLI and the admin
 * API. Plain statements on the pool rather than Prisma, like the signing keys': every replica
 * reads it at start and on every reload, and Prisma's query compiler would otherwise be loaded
 * (about 20 MB resident) by a replica that never needs it.
 */
import type pg from 'pg';
import { statement } from './sql.ts';

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

const COLUMNS = `client_id, name, allowed_origins, login_url, allowed_methods, audience, access_token_ttl,
  refresh_token_ttl, refresh_token_delivery, email_from, created_at, updated_at`;

/** The settable fields and their columns: the only names that ever reach an UPDATE's text. */
const SETTABLE = {
  name: 'name',
  allowedOrigins: 'allowed_origins',
  loginUrl: 'login_url',
  allowedMethods: 'allowed_methods',
  audience: 'audience',
  accessTokenTtl: 'access_token_ttl',
  refreshTokenTtl: 'refresh_token_ttl',
  refreshTokenDelivery: 'refresh_token_delivery',
  emailFrom: 'email_from',
} as const satisfies Record<keyof StoredClientFields, string>;
type Column = (typeof SETTABLE)[keyof typeof SETTABLE];

const LIST_ALL = statement<Record<string, never>>('client_list_all', `SELECT ${COLUMNS} FROM clients ORDER BY client_id`);
const FIND = statement<{ client_id: string }>('client_find', `SELECT ${COLUMNS} FROM clients WHERE client_id = :client_id`);
// An existing id inserts nothing and returns no row.
const INSERT = statement<Record<Column | 'client_id' | 'now', unknown>>('client_insert', `
INSERT INTO clients (client_id, ${Object.values(SETTABLE).join(', ')}, created_at, updated_at)
VALUES (:client_id, ${Object.values(SETTABLE).map((column) => `:${column}`).join(', ')}, :now, :now)
ON CONFLICT (client_id) DO NOTHING
RETURNING ${COLUMNS}`);
const REMOVE = statement<{ client_id: string }>('client_remove', 'DELETE FROM clients WHERE client_id = :client_id');

/** The UPDATE for one set of fields (an absent field keeps its column); built from SETTABLE only. */
function updateStatement(fields: StoredClientFields) {
  const columns = (Object.keys(SETTABLE) as (keyof StoredClientFields)[]).filter((field) => field in fields).map((field) => SETTABLE[field]);
  return statement<Record<string, unknown>>(`client_update_${columns.join('_')}`, `
UPDATE clients SET ${[...columns.map((column) => `${column} = :${column}`), 'updated_at = :now'].join(', ')}
WHERE client_id = :client_id
RETURNING ${COLUMNS}`, { prepared: false });
}

export function createClientRepository(pool: pg.Pool): ClientRepository {
  return {
    async listAll() {
      const { rows } = await pool.query<Row>(LIST_ALL.bind({}));
      return rows.map(toStored);
    },
    async find(clientId) {
      const { rows } = await pool.query<Row>(FIND.bind({ client_id: clientId }));
      return rows[0] === undefined ? null : toStored(rows[0]);
    },
    async insert(clientId, fields, now) {
      const values = Object.fromEntries(Object.values(SETTABLE).map((column) => [column, null])) as Record<Column, unknown>;
      const { rows } = await pool.query<Row>(INSERT.bind({ ...values, ...toColumns(fields), client_id: clientId, now }));
      return rows[0] === undefined ? null : toStored(rows[0]);
    },
    async update(clientId, fields, now) {
      const { rows } = await pool.query<Row>(updateStatement(fields).bind({ ...toColumns(fields), client_id: clientId, now }));
      return rows[0] === undefined ? null : toStored(rows[0]);
    },
    async remove(clientId) {
      const { rowCount } = await pool.query(REMOVE.bind({ client_id: clientId }));
      return (rowCount ?? 0) > 0;
    },
  };
}

interface Row {
  client_id: string;
  name: string | null;
  allowed_origins: string[] | null;
  login_url: string | null;
  allowed_methods: string[] | null;
  audience: string | null;
  access_token_ttl: number | null;
  refresh_token_ttl: number | null;
  refresh_token_delivery: string | null;
  email_from: string | null;
  created_at: Date;
  updated_at: Date;
}

// An unset list is stored as an empty array (as Prisma wrote it) or NULL: both read as "not set".
function toStored(row: Row): StoredClient {
  const list = (value: string[] | null) => (value === null || value.length === 0 ? null : value);
  return {
    clientId: row.client_id,
    name: row.name,
    allowedOrigins: list(row.allowed_origins),
    loginUrl: row.login_url,
    allowedMethods: list(row.allowed_methods),
    audience: row.audience,
    accessTokenTtl: row.access_token_ttl,
    refreshTokenTtl: row.refresh_token_ttl,
    refreshTokenDelivery: row.refresh_token_delivery,
    emailFrom: row.email_from,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The given fields by column; a list set to null is stored as an empty array. */
function toColumns(fields: StoredClientFields): Partial<Record<Column, unknown>> {
  const columns: Partial<Record<Column, unknown>> = {};
  for (const [field, column] of Object.entries(SETTABLE) as [keyof StoredClientFields, Column][]) {
    if (!(field in fields)) continue;
    const value = fields[field];
    columns[column] = (field === 'allowedOrigins' || field === 'allowedMethods') ? (value ?? []) : value;
  }
  return columns;
}
