/** Signing keys in the database, through Prisma. The private part arrives and leaves encrypted. */
import type { PrismaClient } from '../generated/prisma/client.ts';
import { ADVISORY_LOCKS } from '../db/locks.ts';

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

type Tx = Pick<PrismaClient, 'signingKey'>;

/** Advisory lock key serializing key bootstrap across replicas. */
const KEY_BOOTSTRAP_LOCK = ADVISORY_LOCKS.signingKeys;

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

export function createSigningKeyRepository(prisma: PrismaClient): SigningKeyRepository {
  return {
    withLock(work) {
      // Key generation runs under the lock, and an RSA key can take seconds on a busy machine:
      // Prisma's default 5 s transaction timeout would roll a good generation back.
      return prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${KEY_BOOTSTRAP_LOCK})`;
        return work(bindTx(tx));
      }, { maxWait: 10_000, timeout: 60_000 });
    },
    async listPublished() {
      const rows = await prisma.signingKey.findMany({
        where: { state: { in: ['next', 'current', 'retired'] } },
        orderBy: { createdAt: 'desc' },
      });
      return rows.map(toDomain);
    },
  };
}

function bindTx(tx: Tx): SigningKeyRepositoryTx {
  return {
    async findByState(state) {
      const rows = await tx.signingKey.findMany({ where: { state }, orderBy: { createdAt: 'desc' } });
      return rows.map(toDomain);
    },
    async insert(key) {
      await tx.signingKey.create({
        data: {
          kid: key.kid,
          alg: key.alg,
          state: key.state,
          publicJwk: key.publicJwk as object,
          privateKeyEnc: new Uint8Array(key.privateKeyEnc),
          createdAt: key.createdAt,
          activatedAt: key.activatedAt,
        },
      });
    },
    async retire(kid, at) {
      await tx.signingKey.update({ where: { kid }, data: { state: 'retired', retiredAt: at } });
    },
    async listAll() {
      const rows = await tx.signingKey.findMany({ orderBy: { createdAt: 'desc' } });
      return rows.map(toDomain);
    },
    async activate(kid, at) {
      await tx.signingKey.update({ where: { kid }, data: { state: 'current', activatedAt: at } });
    },
    async remove(kid) {
      await tx.signingKey.delete({ where: { kid } });
    },
  };
}

function toDomain(row: {
  kid: string;
  alg: string;
  state: string;
  publicJwk: unknown;
  privateKeyEnc: Uint8Array;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    state: row.state as KeyState,
    publicJwk: row.publicJwk as Record<string, unknown>,
    privateKeyEnc: Buffer.from(row.privateKeyEnc),
    createdAt: row.createdAt,
    activatedAt: row.activatedAt,
    retiredAt: row.retiredAt,
  };
}
