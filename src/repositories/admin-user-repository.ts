/**
 * Users, their sessions and their erasure for the admin API, through Prisma Client (not a hot
 * path). Multi-step changes run in one transaction under the user's row lock.
 */
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { AdminSessionRecord, AdminUserRecord, AdminUserRepository, CreatedAfter, UserChanges } from '../services/admin/admin-users.ts';
import type { Metadata } from '../services/metadata.ts';

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];
type UserRow = Prisma.UserGetPayload<object>;

function toRecord(row: UserRow): AdminUserRecord {
  return {
    id: row.id,
    email: row.email,
    phoneNumber: row.phoneNumber,
    emailVerified: row.emailVerified,
    phoneNumberVerified: row.phoneNumberVerified,
    disabled: row.disabled,
    isAdmin: row.isAdmin,
    appMetadata: row.appMetadata as Metadata,
    userMetadata: row.userMetadata as Metadata,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastLoginAt: row.lastLoginAt,
  };
}

/** Rows after the cursor in (created_at, id) order. */
function after(cursor: CreatedAfter | undefined) {
  return cursor === undefined ? {} : { OR: [{ createdAt: { gt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { gt: cursor.id } }] };
}

/** Prisma puts startsWith into a LIKE pattern as it is: the prefix's own % and _ must stay literal. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** A unique index refused the row: the address or number belongs to another user. */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'P2002';
}

/** Live codes of the user's changed identifiers can no longer be used (nor those of a disabled user). */
async function revokeCodes(tx: Transaction, userId: string, channels: string[], now: Date): Promise<void> {
  if (channels.length === 0) return;
  await tx.oneTimeToken.updateMany({ where: { userId, channel: { in: channels }, revokedAt: null, expiresAt: { gt: now } }, data: { revokedAt: now } });
}

async function revokeLiveSessions(tx: Transaction, userId: string, now: Date): Promise<string[]> {
  const ended = await tx.session.updateManyAndReturn({ where: { userId, revokedAt: null }, data: { revokedAt: now }, select: { id: true } });
  return ended.map((session) => session.id);
}

export function createAdminUserRepository(prisma: PrismaClient): AdminUserRepository {
  return {
    async list({ email, phoneNumber, prefix, after: cursor, limit }) {
      const where: Prisma.UserWhereInput = {
        ...(email !== undefined ? { email } : {}),
        ...(phoneNumber !== undefined ? { phoneNumber } : {}),
        ...(prefix !== undefined ? { OR: [{ email: { startsWith: likeLiteral(prefix) } }, { phoneNumber: { startsWith: likeLiteral(prefix) } }] } : {}),
      };
      const rows = await prisma.user.findMany({ where: { AND: [where, after(cursor)] }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: limit });
      return rows.map(toRecord);
    },

    async find(id) {
      const row = await prisma.user.findUnique({ where: { id } });
      return row === null ? null : toRecord(row);
    },

    async create({ email, phoneNumber, appMetadata, userMetadata, now }, then) {
      try {
        return await prisma.$transaction(async (tx) => {
          const row = await tx.user.create({
            data: { email, phoneNumber, appMetadata: appMetadata as Prisma.InputJsonObject, userMetadata: userMetadata as Prisma.InputJsonObject, createdAt: now, updatedAt: now },
          });
          const user = toRecord(row);
          await then(tx, user);
          return user;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return 'exists';
        throw error;
      }
    },

    async update(id, changes: UserChanges, now, then) {
      try {
        return await prisma.$transaction(async (tx) => {
          const [locked] = await tx.$queryRaw<{ email: string | null; phone_number: string | null; disabled: boolean }[]>`
            SELECT email, phone_number, disabled FROM users WHERE id = ${id}::uuid FOR UPDATE`;
          if (locked === undefined) return { outcome: 'not_found' } as const;
          const email = changes.email === undefined ? locked.email : changes.email;
          const phoneNumber = changes.phoneNumber === undefined ? locked.phone_number : changes.phoneNumber;
          if (email === null && phoneNumber === null) return { outcome: 'no_identifier' } as const;
          const emailChanged = email !== locked.email;
          const phoneChanged = phoneNumber !== locked.phone_number;
          const disabling = changes.disabled === true && !locked.disabled;

          const row = await tx.user.update({
            where: { id },
            data: {
              ...(emailChanged ? { email, emailVerified: false } : {}),
              ...(phoneChanged ? { phoneNumber, phoneNumberVerified: false } : {}),
              ...(changes.appMetadata !== undefined ? { appMetadata: changes.appMetadata as Prisma.InputJsonObject } : {}),
              ...(changes.userMetadata !== undefined ? { userMetadata: changes.userMetadata as Prisma.InputJsonObject } : {}),
              ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
              updatedAt: now,
            },
          });
          // S32: disabling ends every session at once, in the same transaction.
          const revokedSessions = disabling ? await revokeLiveSessions(tx, id, now) : [];
          const channels = disabling ? ['email', 'mobile'] : [...(emailChanged ? ['email'] : []), ...(phoneChanged ? ['mobile'] : [])];
          await revokeCodes(tx, id, channels, now);
          const user = toRecord(row);
          await then(tx, { user, revokedSessions });
          return { outcome: 'updated', user, revokedSessions } as const;
        });
      } catch (error) {
        if (isUniqueViolation(error)) return { outcome: 'exists' };
        throw error;
      }
    },

    erase(id, then) {
      return prisma.$transaction(async (tx) => {
        const [user] = await tx.$queryRaw<{ email: string | null; phone_number: string | null }[]>`
          SELECT email, phone_number FROM users WHERE id = ${id}::uuid FOR UPDATE`;
        if (user === undefined) return false;
        await tx.oneTimeToken.deleteMany({ where: { userId: id } });
        // Pending jobs hold the sealed address and code; finished ones the masked address.
        await tx.deliveryJob.deleteMany({ where: { userId: id } });
        await tx.webauthnChallenge.deleteMany({ where: { userId: id } });
        // Guess counters are keyed by the address itself.
        const destinations = [
          ...(user.email !== null ? [{ channel: 'email', destination: user.email }] : []),
          ...(user.phone_number !== null ? [{ channel: 'mobile', destination: user.phone_number }] : []),
        ];
        await tx.guessFailure.deleteMany({ where: { OR: destinations } });
        await then(tx, { id, email: user.email, phoneNumber: user.phone_number });
        // Sessions, their refresh tokens and passkeys go with the user (ON DELETE CASCADE).
        await tx.user.delete({ where: { id } });
        // The trail keeps what happened and when, and loses who and from where.
        await tx.auditEvent.updateMany({
          where: { userId: id },
          data: { userId: null, destination: null, clientIp: null, userAgent: null, detail: Prisma.DbNull },
        });
        return true;
      });
    },

    async listSessions(userId, { now, idleSeconds, after: cursor, limit }) {
      const rows = await prisma.session.findMany({
        where: {
          AND: [
            { userId, revokedAt: null, expiresAt: { gt: now }, lastUsedAt: { gt: new Date(now.getTime() - idleSeconds * 1000) } },
            after(cursor),
          ],
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit,
      });
      return rows.map((row): AdminSessionRecord => ({
        id: row.id,
        createdAt: row.createdAt,
        lastUsedAt: row.lastUsedAt,
        // Whichever comes first: the absolute end or the idle timeout.
        expiresAt: new Date(Math.min(row.expiresAt.getTime(), row.lastUsedAt.getTime() + idleSeconds * 1000)),
        ip: row.ip,
        userAgent: row.userAgent,
        authTime: row.authTime,
        amr: row.amr,
      }));
    },

    revokeSessions(userId, now, then) {
      return prisma.$transaction(async (tx) => {
        const ended = await revokeLiveSessions(tx, userId, now);
        await then(tx, ended);
        return ended;
      });
    },

    async storeSignInToken(token) {
      await prisma.oneTimeToken.create({
        data: {
          userId: token.userId,
          // Only this client's exchange can use it (see one-time-token-repository.ts).
          clientId: token.clientId,
          channel: token.channel,
          destination: token.destination,
          shortHash: new Uint8Array(token.unusableShortHash),
          longHash: new Uint8Array(token.longHash),
          maxUses: token.maxUses,
          maxAttempts: token.maxAttempts,
          createdAt: token.now,
          expiresAt: token.expiresAt,
        },
      });
    },
  };
}
