// Prisma's client is made at its first use (src/db/database.ts): a process that only signs
// people in never makes it. Made late, it must still be the whole client: models, interactive
// transactions, raw queries, and a close that does not make it just to disconnect it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createDatabase, type Database } from '../../src/db/database.ts';

describe("Prisma's client, made when first used", () => {
  let test: TestDatabase;
  before(async () => { test = await createTestDatabase(); });
  after(async () => { await test.drop(); });

  function open(): Database {
    return createDatabase(test.url, { poolSize: 2 });
  }

  it('is not made by opening the database, by the pool, or by closing', async () => {
    const db = open();
    assert.equal(db.prismaMade(), false);
    assert.equal(await db.ping(), true);
    await db.pool.query('SELECT 1');
    assert.equal(db.prismaMade(), false);
    await db.close();
    assert.equal(db.prismaMade(), false);
  });

  it('is made by its first use, and serves models, transactions and raw queries on the same pool', async () => {
    const db = open();
    try {
      const user = await db.prisma.user.create({ data: { email: 'late@example.test' } });
      assert.equal(db.prismaMade(), true);
      const found = await db.prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: user.id }, data: { emailVerified: true } });
        return tx.user.findUnique({ where: { id: user.id } });
      });
      assert.equal(found?.emailVerified, true);
      const rows = await db.prisma.$queryRaw<{ email: string }[]>`SELECT email FROM users WHERE id = ${user.id}::uuid`;
      assert.deepEqual(rows, [{ email: 'late@example.test' }]);
      // The same client every time.
      assert.equal(db.prisma.user, db.prisma.user);
    } finally {
      await db.close();
    }
  });
});
