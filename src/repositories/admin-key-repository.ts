/** Admin API keys through Prisma (not a hot path: one lookup per admin call). */
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AdminKeyRecord, AdminKeyRepository, AdminScope } from '../services/admin/admin-keys.ts';

const TOUCH_INTERVAL_MS = 60_000;

type Row = { id: string; name: string; scopes: string[]; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

function toRecord(row: Row): AdminKeyRecord {
  return { id: row.id, name: row.name, scopes: row.scopes as AdminScope[], createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, revokedAt: row.revokedAt };
}

export function createAdminKeyRepository(prisma: PrismaClient): AdminKeyRepository {
  return {
    async insert(key) {
      return toRecord(await prisma.adminApiKey.create({ data: { ...key, keyHash: new Uint8Array(key.keyHash) } }));
    },
    async list() {
      const rows = await prisma.adminApiKey.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map(toRecord);
    },
    async revoke(id, at) {
      const { count } = await prisma.adminApiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
      return count === 1;
    },
    async findByHash(keyHash) {
      const row = await prisma.adminApiKey.findUnique({ where: { keyHash: new Uint8Array(keyHash) } });
      return row === null ? null : { ...toRecord(row), keyHash: Buffer.from(row.keyHash) };
    },
    async touch(id, at) {
      await prisma.adminApiKey.updateMany({
        where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - TOUCH_INTERVAL_MS) } }] },
        data: { lastUsedAt: at },
      });
    },
  };
}
