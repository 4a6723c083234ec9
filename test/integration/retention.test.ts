// Retention: old audit rows, spent one-time tokens, stale throttle rows, finished delivery jobs and old SMS counters are
// purged; rows still in use are kept; one replica at a time runs it (advisory try-lock).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ADVISORY_LOCKS } from '../../src/db/locks.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, type TestApp } from '../helpers/app.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';

const DAY = 86_400_000;

describe('retention cleanup', () => {
  let db: TestDatabase;
  let app: TestApp;
  const clock = createTestClock(new Date('2031-06-15T12:00:00Z'));
  const now = clock.now().getTime();
  const ago = (ms: number) => new Date(now - ms);

  const suite = suiteScope();
  before(async () => {
    db = await withDatabase(suite);
    app = await withTestApp(suite, { db, clock, env: { AUDIT_RETENTION_DAYS: '30', TOKEN_REQUEST_THROTTLE_SECONDS: '60', CLEANUP_INTERVAL_SECONDS: '0' } });
  });

  async function names(sql: string): Promise<string[]> {
    return (await db.pool.query<{ name: string }>(sql)).rows.map((row) => row.name).sort();
  }

  it('purges what is past its use and keeps the rest', async () => {
    const q = (sql: string, values: unknown[]) => db.pool.query(sql, values);
    await q("INSERT INTO audit_events (created_at, event, outcome, reason) VALUES ($1, 'code.requested', 'issued', 'old'), ($2, 'code.requested', 'issued', 'recent')", [ago(31 * DAY), ago(29 * DAY)]);
    const { rows: [user] } = await q("INSERT INTO users (email) VALUES ('keep@example.com') RETURNING id", []);
    const token = (name: string, createdAgo: number, expiresIn: number, extra = '') =>
      q(`INSERT INTO one_time_tokens (user_id, channel, destination, short_hash, max_uses, max_attempts, created_at, expires_at${extra ? ', ' + extra.split('=')[0] : ''})
         VALUES ($1, 'email', $2, '\\x00', 1, 5, $3, $4${extra ? ', ' + extra.split('=')[1] : ''})`, [user.id, name, ago(createdAgo), new Date(now + expiresIn)]);
    await token('expired-long-ago', 2 * 3600_000, -3600_000);
    await token('used-long-ago', 2 * 3600_000, 3600_000, 'uses=1');
    await token('revoked-long-ago', 2 * 3600_000, 3600_000, 'revoked_at=now()');
    // Still counted in the destination's hourly failure budget (S6), or still live.
    await token('expired-recently', 30 * 60_000, -60_000);
    await token('live-from-long-ago', 2 * 3600_000, 3600_000);
    await q("INSERT INTO request_throttle (key, last_request_at) VALUES ('\\x01', $1), ('\\x02', $2)", [ago(61_000), ago(59_000)]);
    await q("INSERT INTO sms_counters (key, window_start, count) VALUES ('global', $1, 3), ('global', $2, 4)", [ago(3 * DAY), ago(DAY)]);
    // Guesses count for the daily budget (25 hourly windows); older ones go.
    await q("INSERT INTO guess_failures (channel, destination, network, window_start, failures) VALUES ('email', 'old', '10.0.0.0/24', $1, 3), ('email', 'recent', '10.0.0.0/24', $2, 4)", [ago(3 * DAY), ago(DAY)]);
    // Finished delivery jobs hold no secret and go after a day; a pending one stays (not yet due here).
    const job = (name: string, status: string, finishedAgo: number | null) =>
      q(`INSERT INTO delivery_jobs (user_id, channel, destination_masked, status, next_attempt_at, expires_at, created_at, finished_at)
         VALUES ($1, 'email', $2, $3, $4, $4, $5, $6)`, [user.id, name, status, new Date(now + 10 * DAY), ago(3 * DAY), finishedAgo === null ? null : ago(finishedAgo)]);
    await job('delivered-long-ago', 'delivered', 2 * DAY);
    await job('failed-recently', 'failed', DAY / 2);
    await job('still-pending', 'pending', null);

    const result = await app.app.services.cleanup.runOnce();
    assert.deepEqual(result, { ran: true, deleted: { audit_events: 1, one_time_tokens: 3, request_throttle: 1, delivery_jobs: 1, guess_failures: 1, webhook_attempts: 0, webhook_deliveries: 0, sms_counters: 1 } });
    assert.deepEqual(await names('SELECT destination AS name FROM guess_failures'), ['recent']);
    assert.deepEqual(await names('SELECT destination_masked AS name FROM delivery_jobs'), ['failed-recently', 'still-pending']);
    assert.deepEqual(await names('SELECT reason AS name FROM audit_events'), ['recent']);
    assert.deepEqual(await names('SELECT destination AS name FROM one_time_tokens'), ['expired-recently', 'live-from-long-ago']);
    assert.deepEqual(await names("SELECT encode(key, 'hex') AS name FROM request_throttle"), ['02']);
    assert.deepEqual((await db.pool.query('SELECT count FROM sms_counters')).rows, [{ count: 4 }]);

    // Time moves on: what was recent ages out.
    clock.advance(2 * 86_400);
    const later = await app.app.services.cleanup.runOnce();
    assert.deepEqual(later, { ran: true, deleted: { audit_events: 1, one_time_tokens: 2, request_throttle: 1, delivery_jobs: 1, guess_failures: 1, webhook_attempts: 0, webhook_deliveries: 0, sms_counters: 1 } });
    assert.deepEqual(await names('SELECT destination_masked AS name FROM delivery_jobs'), ['still-pending']);
  });

  it('runs on one replica at a time: skipped while another holds the lock', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.retentionCleanup]);
      assert.deepEqual(await app.app.services.cleanup.runOnce(), { ran: false });
      await other.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.retentionCleanup]);
      assert.equal((await app.app.services.cleanup.runOnce()).ran, true);
    } finally {
      await other.end();
    }
  });
});
