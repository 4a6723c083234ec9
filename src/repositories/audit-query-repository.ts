/** Reads the audit log for the admin API, through Prisma Client; newest first by id. */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AuditQueryRepository } from '../services/admin/admin-audit.ts';

export function createAuditQueryRepository(prisma: PrismaClient): AuditQueryRepository {
  return {
    async list({ userId, event, since, until, beforeId, limit }) {
      const rows = await prisma.auditEvent.findMany({
        where: {
          ...(userId !== undefined ? { userId } : {}),
          ...(event !== undefined ? { event } : {}),
          ...(since !== undefined || until !== undefined ? { createdAt: { ...(since ? { gte: since } : {}), ...(until ? { lt: until } : {}) } } : {}),
          ...(beforeId !== undefined ? { id: { lt: BigInt(beforeId) } } : {}),
        },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map((row) => ({
        id: row.id.toString(),
        createdAt: row.createdAt,
        event: row.event,
        userId: row.userId,
        channel: row.channel,
        destination: row.destination,
        clientIp: row.clientIp,
        userAgent: row.userAgent,
        outcome: row.outcome,
        reason: row.reason,
        detail: row.detail as Record<string, unknown> | null,
      }));
    },
  };
}
