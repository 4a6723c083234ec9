/**
 * Signing keys in the database. The private part arrives and leaves encrypted.
 *
 * Plain statements on the pool rather than Prisma: every replica reads this table at start and
 * at every key reload, and Prisma's query compiler (WebAssembly) costs about 20 MB of resident
 * memory from its first query on. With this file and the clients', a replica that serves only
 * sign-ins never loads it (docs/benchmarks.md, "Memory").
 */
import type pg from 'pg';
import { ADVISORY_LOCKS } from '../db/locks.ts';
import { statement, transaction } from './sql.ts';

export type KeyState = 'next' | 'current' | 'retired';

export interface StoredSigningKey {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: Record<string, unknown>;
  privateKeyEnc: Buffer;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

export interface SigningKeyRepository {
  /** Runs `work` in a transaction holding the key-management lock, so replicas agree on one key. */
  withLock<T>(work: (keys: SigningKeyRepositoryTx) => Promise<T>): Promise<T>;
  listPublished(): Promise<StoredSigningKey[]>;
}

export interface SigningKeyRepositoryTx {
  findByState(state: KeyState): Promise<StoredSigningKey[]>;
  /** Every stored key, newest first. */
  listAll(): Promise<StoredSigningKey[]>;
  insert(key: Omit<StoredSigningKey, 'retiredAt'>): Promise<void>;
  retire(kid: string, at: Date): Promise<void>;
  /** next → current. */
  activate(kid: string, at: Date): Promise<void>;
  /** Deletes the key, private part included: its tokens can no longer verify anywhere. */
  remove(kid: string): Promise<void>;
}

const COLUMNS = 'kid, alg, state, public_jwk, private_key_enc, created_at, activated_at, retired_at';

const LOCK = statement<{ key: number }>('signing_key_lock', 'SELECT pg_advisory_xact_lock(:key)');
const LIST_PUBLISHED = statement<Record<string, never>>('signing_key_list_published', `
SELECT ${COLUMNS} FROM signing_keys WHERE state IN ('next', 'current', 'retired') ORDER BY created_at DESC`);
const LIST_ALL = statement<Record<string, never>>('signing_key_list_all', `SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC`);
const FIND_BY_STATE = statement<{ state: KeyState }>('signing_key_find_by_state', `
SELECT ${COLUMNS} FROM signing_keys WHERE state = :state ORDER BY created_at DESC`);
const INSERT = statement<{ kid: string; alg: string; state: KeyState; public_jwk: string; private_key_enc: Buffer; created_at: Date; activated_at: Date | null }>('signing_key_insert', `
INSERT INTO signing_keys (kid, alg, state, public_jwk, private_key_enc, created_at, activated_at)
VALUES (:kid, :alg, :state, :public_jwk::jsonb, :private_key_enc, :created_at, :activated_at)`);
const RETIRE = statement<{ kid: string; at: Date }>('signing_key_retire', `UPDATE signing_keys SET state = 'retired', retired_at = :at WHERE kid = :kid`);
const ACTIVATE = statement<{ kid: string; at: Date }>('signing_key_activate', `UPDATE signing_keys SET state = 'current', activated_at = :at WHERE kid = :kid`);
const REMOVE = statement<{ kid: string }>('signing_key_remove', 'DELETE FROM signing_keys WHERE kid = :kid');

export function createSigningKeyRepository(pool: pg.Pool): SigningKeyRepository {
  return {
    withLock(work) {
      // One transaction on one connection, holding the lock until it commits; key generation
      // (seconds for an RSA key on a busy machine) runs inside it.
      return transaction(pool, async (client) => {
        await client.query(LOCK.bind({ key: ADVISORY_LOCKS.signingKeys }));
        return work(bindTx(client));
      });
    },
    async listPublished() {
      const { rows } = await pool.query<Row>(LIST_PUBLISHED.bind({}));
      return rows.map(toDomain);
    },
  };
}

function bindTx(client: pg.PoolClient): SigningKeyRepositoryTx {
  return {
    async findByState(state) {
      const { rows } = await client.query<Row>(FIND_BY_STATE.bind({ state }));
      return rows.map(toDomain);
    },
    async insert(key) {
      await client.query(INSERT.bind({
        kid: key.kid,
        alg: key.alg,
        state: key.state,
        public_jwk: JSON.stringify(key.publicJwk),
        private_key_enc: key.privateKeyEnc,
        created_at: key.createdAt,
        activated_at: key.activatedAt,
      }));
    },
    async retire(kid, at) {
      expectOne(await client.query(RETIRE.bind({ kid, at })), kid);
    },
    async listAll() {
      const { rows } = await client.query<Row>(LIST_ALL.bind({}));
      return rows.map(toDomain);
    },
    async activate(kid, at) {
      expectOne(await client.query(ACTIVATE.bind({ kid, at })), kid);
    },
    async remove(kid) {
      expectOne(await client.query(REMOVE.bind({ kid })), kid);
    },
  };
}

/** A lifecycle step names a key read under the same lock: not finding it is a bug, not a state. */
function expectOne(result: pg.QueryResult, kid: string): void {
  if (result.rowCount !== 1) throw new Error(`signing key ${kid} not found`);
}

interface Row {
  kid: string;
  alg: string;
  state: string;
  public_jwk: Record<string, unknown>;
  private_key_enc: Buffer;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

function toDomain(row: Row): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    state: row.state as KeyState,
    publicJwk: row.public_jwk,
    privateKeyEnc: row.private_key_enc,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    retiredAt: row.retired_at,
  };
}
