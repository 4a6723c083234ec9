/**
 * Account changes that are not on a measured hot path, through Prisma Client: removing an
 * identifier under the rule that an account keeps a way to sign in.
 */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Channel } from '../services/types.ts';

export type RemoveIdentifierResult =
  | { outcome: 'removed'; previous: string }
  | { outcome: 'absent' }
  /** Nothing else would sign the account in: no other verified identifier and no passkey. */
  | { outcome: 'last_method' };

export interface AccountRepository {
  removeIdentifier(input: { userId: string; channel: Channel; now: Date }): Promise<RemoveIdentifierResult>;
}

export function createAccountRepository(prisma: PrismaClient): AccountRepository {
  return {
    removeIdentifier({ userId, channel, now }) {
      return prisma.$transaction(async (tx) => {
        // The row lock orders concurrent removals of one account's identifiers: without it, two
        // could each see the other identifier still there and leave the account with neither.
        const [user] = await tx.$queryRaw<{ email: string | null; phone_number: string | null; email_verified: boolean; phone_number_verified: boolean }[]>`
          SELECT email, phone_number, email_verified, phone_number_verified FROM users WHERE id = ${userId}::uuid AND NOT disabled FOR UPDATE`;
        if (user === undefined) return { outcome: 'absent' } as const;
        const current = channel === 'email' ? user.email : user.phone_number;
        if (current === null) return { outcome: 'absent' } as const;
        const otherVerified = channel === 'email' ? user.phone_number !== null && user.phone_number_verified : user.email !== null && user.email_verified;
        if (!otherVerified && (await countPasskeys(tx, userId)) === 0) return { outcome: 'last_method' } as const;
        await tx.user.update({
          where: { id: userId },
          data: channel === 'email' ? { email: null, emailVerified: false, updatedAt: now } : { phoneNumber: null, phoneNumberVerified: false, updatedAt: now },
        });
        return { outcome: 'removed', previous: current } as const;
      });
    },
  };
}

type Transaction = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

function countPasskeys(tx: Transaction, userId: string): Promise<number> {
  return tx.passkey.count({ where: { userId } });
}
