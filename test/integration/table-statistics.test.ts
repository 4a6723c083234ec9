// A new database's tables are empty when Sesame first plans its prepared statements, and the
// generic plans it keeps read them with sequential scans (src/services/table-statistics.ts).
// Once a table has grown, Sesame's own ANALYZE must replace those plans on the connections that
// hold them, without waiting for autovacuum (off on this server) or for a new connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createDatabase } from '../../src/db/database.ts';
import { ADVISORY_LOCKS } from '../../src/db/locks.ts';
import { createCodeHasher } from '../../src/lib/code-hasher.ts';
import { createOneTimeTokenRepository, type IssueTokenInput } from '../../src/repositories/one-time-token-repository.ts';
import { createTableStatisticsRepository } from '../../src/repositories/table-statistics-repository.ts';
import { createTableStatistics } from '../../src/services/table-statistics.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } } as never;

const hasher = createCodeHasher([randomBytes(32)]);

function request(destination: string): IssueTokenInput {
  const now = new Date();
  return {
    channel: 'email', destination, throttleKey: hasher.throttleKey('email', destination), throttleSeconds: 60, now,
    expiresAt: new Date(now.getTime() + 600_000), shortHash: randomBytes(32), longHash: randomBytes(32), maxUses: 1, maxAttempts: 3,
    registerUnknown: true, allowAdmin: false, deliveryPayload: randomBytes(64), maskedDestination: 'r***@example.test', clientIp: '192.0.2.1', clientId: 'default',
  };
}

async function cachedPlan(pool: pg.Pool): Promise<{ plan: string; backend: number }> {
  const { rows: [prepared] } = await pool.query<{ count: number }>(
    `SELECT cardinality(parameter_types) AS count FROM pg_prepared_statements WHERE name = 'otp_issue_email'`);
  assert.ok(prepared, 'the request statement is prepared on this connection');
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE otp_issue_email(${Array(prepared.count).fill('NULL').join(', ')})`);
  const { rows: [who] } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { plan: rows.map((row) => row['QUERY PLAN']).join('\n'), backend: who!.pid };
}

/** A database of its own, as the migrations leave a new one: its tables analyzed while empty. */
async function newDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.pool.query('ANALYZE users, one_time_tokens, request_throttle');
  return db;
}

/** 20,000 people with a live code each, written behind the cached plans' back. */
async function fill(db: TestDatabase): Promise<void> {
  await db.pool.query(`
    WITH people AS (
      INSERT INTO users (email, created_at, updated_at)
      SELECT 'filler-' || g || '@example.test', now(), now() FROM generate_series(1, 20000) g
      RETURNING id, email)
    INSERT INTO one_time_tokens (user_id, channel, destination, short_hash, max_uses, max_attempts, created_at, expires_at)
    SELECT id, 'email', email, sha256(email::bytea), 1, 3, now(), now() + interval '10 minutes' FROM people`);
}

describe('planner statistics of growing tables', () => {
  let db: TestDatabase;

  before(async () => { db = await newDatabase(); });
  after(async () => { await db.drop(); });

  it('analyzes the tables that have outgrown their statistics, which replaces the plans cached on them, and leaves the rest', async () => {
    // The service's pool with one connection, kept: only the statistics can change its plan.
    const database = createDatabase(db.url, { poolSize: 1 });
    try {
      const repository = createOneTimeTokenRepository(database.pool);
      assert.equal((await repository.issue(request('first@example.test'))).outcome, 'accepted');
      await fill(db);
      const stale = await cachedPlan(database.pool);
      assert.match(stale.plan, /Seq Scan on one_time_tokens/, 'the hazard itself: without it this test would prove nothing');

      const statistics = createTableStatistics({ repository: createTableStatisticsRepository(db.pool), log: silent });
      // request_throttle holds one row: too small to matter, so it is left as it is.
      assert.deepEqual((await statistics.refresh()).sort(), ['one_time_tokens', 'users']);
      const { rows } = await db.pool.query<{ relname: string; reltuples: number }>(
        `SELECT relname, reltuples::float8 AS reltuples FROM pg_class WHERE relname IN ('users', 'one_time_tokens', 'request_throttle') ORDER BY relname`);
      assert.deepEqual(rows.map((row) => [row.relname, row.reltuples >= 20_000]), [['one_time_tokens', true], ['request_throttle', false], ['users', true]]);

      const fresh = await cachedPlan(database.pool);
      assert.equal(fresh.backend, stale.backend, 'the same connection');
      assert.doesNotMatch(fresh.plan, /Seq Scan on (one_time_tokens|users)\b/);
      assert.equal((await repository.issue(request('second@example.test'))).outcome, 'accepted');
      // Nothing has grown since: the next check analyzes nothing.
      assert.deepEqual(await statistics.refresh(), []);
    } finally {
      await database.close();
    }
  });

  it('analyzes nothing while another replica holds the lock', async () => {
    const statistics = createTableStatisticsRepository(db.pool);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.tableStatistics]);
      assert.equal(await statistics.analyze(['users']), null);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    assert.deepEqual(await statistics.analyze(['users']), []);
    await assert.rejects(statistics.analyze(['users; DROP TABLE users']), /not a table name/);
  });

  it('reports the tables a database user that does not own them may not analyze', async () => {
    const role = `sesame_reader_${randomBytes(4).toString('hex')}`;
    await db.pool.query(`CREATE ROLE ${role} LOGIN`);
    await db.pool.query(`GRANT SELECT ON users, sessions TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    const database = createDatabase(url.toString(), { poolSize: 1 });
    try {
      assert.deepEqual((await createTableStatisticsRepository(database.pool).analyze(['users', 'sessions']))?.sort(), ['sessions', 'users']);
    } finally {
      await database.close();
      await db.pool.query(`REVOKE ALL ON users, sessions FROM ${role}`);
      await db.pool.query(`DROP ROLE ${role}`);
    }
  });
});

// Where Sesame cannot analyze, DATABASE_CONNECTION_MAX_LIFETIME_SECONDS bounds how long such a
// plan is used: a new connection plans against the tables' size on disk, whatever their
// statistics say.
describe('cached plans of the request statement', () => {
  let db: TestDatabase;

  before(async () => { db = await newDatabase(); });
  after(async () => { await db.drop(); });

  it('is made again on a new connection once the old one has lived its lifetime', async () => {
    const database = createDatabase(db.url, { poolSize: 1, maxLifetimeSeconds: 1 });
    try {
      const repository = createOneTimeTokenRepository(database.pool);
      assert.equal((await repository.issue(request('first@example.test'))).outcome, 'accepted');
      await fill(db);
      const stale = await cachedPlan(database.pool);
      // The hazard itself: without it this test would prove nothing.
      assert.match(stale.plan, /Seq Scan on one_time_tokens/);

      await new Promise((resolve) => setTimeout(resolve, 1_300));
      assert.equal((await repository.issue(request('second@example.test'))).outcome, 'accepted');
      const fresh = await cachedPlan(database.pool);
      assert.doesNotMatch(fresh.plan, /Seq Scan on (one_time_tokens|users)\b/);
      assert.notEqual(fresh.backend, stale.backend, 'the expired connection was replaced');
    } finally {
      await database.close();
    }
  });
});
