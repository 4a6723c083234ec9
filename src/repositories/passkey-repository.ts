/**
 * Passkeys, their challenges, and the session a passkey sign-in opens, through Prisma Client
 * (none of this is a measured hot path).
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { ClientBinding, NewSession } from './one-time-token-repository.ts';

export interface StoredPasskey {
  id: string;
  userId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A passkey to store: as listed, plus the authenticator model (AAGUID), not yet used. */
export type NewPasskey = Omit<StoredPasskey, 'lastUsedAt'> & { aaguid: string };

export interface PasskeySignIn {
  user: { id: string; email: string | null; phoneNumber: string | null; appMetadata: Record<string, unknown> };
  sessionId: string;
}

export type ChallengePurpose = 'registration' | 'authentication';

export interface PasskeyRepository {
  /** Stores a challenge (a sign-in one with the client it is for); expired ones are swept on the way. */
  saveChallenge(input: { hash: Buffer; purpose: ChallengePurpose; userId: string | null; clientId?: string; now: Date; expiresAt: Date }): Promise<void>;
  /**
   * Deletes and returns true when a live challenge with this hash, purpose and user existed
   * (single use), and, given a client, was handed out to it (NULL rows: the default client's).
   */
  takeChallenge(input: { hash: Buffer; purpose: ChallengePurpose; userId: string | null; client?: ClientBinding; now: Date }): Promise<boolean>;
  listForUser(userId: string): Promise<StoredPasskey[]>;
  find(id: string): Promise<StoredPasskey | null>;
  /** False when the credential ID is already registered. */
  insert(passkey: NewPasskey): Promise<boolean>;
  rename(input: { userId: string; id: string; name: string }): Promise<boolean>;
  remove(input: { userId: string; id: string }): Promise<boolean>;
  /**
   * Records the assertion (counter, backup state, time) only if the counter is still the one it
   * was checked against, and opens a session for an eligible user; null when the user may not
   * sign in or a concurrent assertion moved the counter.
   */
  signIn(input: {
    passkeyId: string; expectedCounter: number; newCounter: number; backedUp: boolean; now: Date;
    allowAdmin: boolean; session: NewSession; amr: string[];
  }): Promise<PasskeySignIn | null>;
}

const CHALLENGE_SWEEP_LIMIT = 100;

export function createPasskeyRepository(prisma: PrismaClient): PasskeyRepository {
  return {
    async saveChallenge({ hash, purpose, userId, clientId, now, expiresAt }) {
      // Sweeping a bounded batch with every insert keeps the table at its live size without a worker.
      await prisma.$executeRaw`DELETE FROM webauthn_challenges WHERE challenge_hash IN (
        SELECT challenge_hash FROM webauthn_challenges WHERE expires_at <= ${now} LIMIT ${CHALLENGE_SWEEP_LIMIT})`;
      await prisma.webauthnChallenge.create({ data: { challengeHash: new Uint8Array(hash), purpose, userId, clientId: clientId ?? null, createdAt: now, expiresAt } });
    },

    async takeChallenge({ hash, purpose, userId, client, now }) {
      // One conditional DELETE: of two concurrent uses of a challenge only one gets the row (S46).
      // Another client's challenge is left alone, like a code requested under another client.
      const ofClient = client === undefined ? {}
        : client.clientId === client.defaultClientId ? { OR: [{ clientId: client.clientId }, { clientId: null }] } : { clientId: client.clientId };
      const deleted = await prisma.webauthnChallenge.deleteMany({
        where: { challengeHash: new Uint8Array(hash), purpose, userId, expiresAt: { gt: now }, ...ofClient },
      });
      return deleted.count === 1;
    },

    async listForUser(userId) {
      const rows = await prisma.passkey.findMany({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map(toStored);
    },

    async find(id) {
      const row = await prisma.passkey.findUnique({ where: { id } });
      return row === null ? null : toStored(row);
    },

    async insert(passkey) {
      const created = await prisma.passkey.createMany({
        data: [{ ...passkey, publicKey: new Uint8Array(passkey.publicKey), counter: BigInt(passkey.counter) }],
        skipDuplicates: true,
      });
      return created.count === 1;
    },

    async rename({ userId, id, name }) {
      return (await prisma.passkey.updateMany({ where: { id, userId }, data: { name } })).count === 1;
    },

    async remove({ userId, id }) {
      return (await prisma.passkey.deleteMany({ where: { id, userId } })).count === 1;
    },

    signIn({ passkeyId, expectedCounter, newCounter, backedUp, now, allowAdmin, session, amr }) {
      return prisma.$transaction(async (tx) => {
        const used = await tx.passkey.updateMany({
          where: { id: passkeyId, counter: BigInt(expectedCounter), user: { disabled: false, ...(allowAdmin ? {} : { isAdmin: false }) } },
          data: { counter: BigInt(newCounter), backedUp, lastUsedAt: now },
        });
        if (used.count !== 1) return null;
        const passkey = await tx.passkey.findUniqueOrThrow({ where: { id: passkeyId }, select: { userId: true } });
        const user = await tx.user.update({
          where: { id: passkey.userId },
          data: { lastLoginAt: now, updatedAt: now },
          select: { id: true, email: true, phoneNumber: true, appMetadata: true },
        });
        const created = await tx.session.create({
          data: {
            userId: user.id, createdAt: now, lastUsedAt: now, expiresAt: session.expiresAt, ip: session.ip,
            userAgent: session.userAgent ?? null, authTime: now, amr, clientId: session.clientId ?? null,
            refreshTokens: { create: { tokenHash: new Uint8Array(session.refreshHash), createdAt: now } },
          },
          select: { id: true },
        });
        return { user: { ...user, appMetadata: user.appMetadata as Record<string, unknown> }, sessionId: created.id };
      });
    },
  };
}

function toStored(row: {
  id: string; userId: string; publicKey: Uint8Array; counter: bigint; transports: string[]; deviceType: string;
  backedUp: boolean; name: string; createdAt: Date; lastUsedAt: Date | null;
}): StoredPasskey {
  return {
    id: row.id, userId: row.userId, publicKey: row.publicKey, counter: Number(row.counter), transports: row.transports,
    deviceType: row.deviceType, backedUp: row.backedUp, name: row.name, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt,
  };
}
