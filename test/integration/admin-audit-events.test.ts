// GET /admin/audit-events: the audit log for operators, filtered by user, event and time,
// newest first, in pages; behind the audit:read scope (S33, S41).
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import type { TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser } from '../helpers/fixtures.ts';

interface AuditItem { id: string; created_at: string; event: string; user_id: string | null; channel: string | null; destination: string | null; client_ip: string | null; user_agent: string | null; outcome: string; reason: string | null; detail: Record<string, unknown> | null }
interface AuditPage { data: AuditItem[]; next_cursor: string | null }

describe('admin audit events', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;
  let key: string;
  let alice: string;
  let bob: string;

  before(async () => {
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db });
    key = await createAdminKey(server, ['audit:read']);
    alice = await createUser(db, 'alice@example.com');
    bob = await createUser(db, 'bob@example.com');
    // Events at known times: alice's four, an hour apart, and one of bob's.
    const base = Date.parse('2026-06-01T00:00:00.000Z');
    for (let i = 0; i < 4; i++) {
      await db.pool.query(
        `INSERT INTO audit_events (created_at, event, user_id, channel, destination, client_ip, outcome, detail) VALUES ($1, $2, $3, 'email', 'a***@example.com', '192.0.2.1', 'succeeded', $4)`,
        [new Date(base + i * 3_600_000), i % 2 === 0 ? 'sign_in.succeeded' : 'token.refreshed', alice, JSON.stringify({ n: i })]);
    }
    await db.pool.query(`INSERT INTO audit_events (created_at, event, user_id, outcome) VALUES ($1, 'sign_in.failed', $2, 'failed')`, [new Date(base), bob]);
  });

  const list = async (query: string): Promise<AuditPage> => {
    const response = await adminCall(server, 'GET', `/admin/audit-events${query}`, key);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as AuditPage;
  };

  it("filters by user, newest first, with every column", async () => {
    const page = await list(`?user_id=${alice}`);
    assert.deepEqual(page.data.map((item) => item.detail), [{ n: 3 }, { n: 2 }, { n: 1 }, { n: 0 }]);
    assert.deepEqual(page.data[0], {
      id: page.data[0]!.id, created_at: '2026-06-01T03:00:00.000Z', event: 'token.refreshed', user_id: alice, channel: 'email',
      destination: 'a***@example.com', client_ip: '192.0.2.1', user_agent: null, outcome: 'succeeded', reason: null, detail: { n: 3 },
    });
    assert.equal(page.next_cursor, null);
    assert.deepEqual((await list(`?user_id=${bob}`)).data.map((item) => item.event), ['sign_in.failed']);
  });

  it('filters by event and by time: since inclusive, until exclusive', async () => {
    assert.deepEqual((await list(`?user_id=${alice}&event=sign_in.succeeded`)).data.map((item) => item.detail), [{ n: 2 }, { n: 0 }]);
    const window = await list(`?user_id=${alice}&since=2026-06-01T01:00:00Z&until=2026-06-01T03:00:00Z`);
    assert.deepEqual(window.data.map((item) => item.detail), [{ n: 2 }, { n: 1 }]);
    assert.deepEqual((await list('?event=sign_in.failed&since=2026-06-01T00:00:00Z&until=2026-06-01T00:00:01Z')).data.map((item) => item.user_id), [bob]);
  });

  it('pages with limit and cursor', async () => {
    const first = await list(`?user_id=${alice}&limit=3`);
    assert.equal(first.data.length, 3);
    assert.ok(first.next_cursor);
    const second = await list(`?user_id=${alice}&limit=3&cursor=${first.next_cursor}`);
    assert.deepEqual(second.data.map((item) => item.detail), [{ n: 0 }]);
    assert.equal(second.next_cursor, null);
  });

  it('shows events written a moment ago (the buffer is flushed first)', async () => {
    server.app.services.audit.record({ event: 'session.revoked', outcome: 'revoked', userId: bob, reason: 'logout' });
    assert.deepEqual((await list(`?user_id=${bob}&event=session.revoked`)).data.map((item) => item.reason), ['logout']);
  });

  it('refuses bad filters with 400 and a key without audit:read with 403', async () => {
    for (const query of ['?user_id=nope', '?since=yesterday', '?until=2026-13-45', '?limit=0', '?limit=500']) {
      const response = await adminCall(server, 'GET', `/admin/audit-events${query}`, key);
      assert.equal(response.status, 400, query);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_query');
    }
    const badCursor = await adminCall(server, 'GET', `/admin/audit-events?cursor=${Buffer.from('["x"]').toString('base64url')}`, key);
    assert.equal(((await badCursor.json()) as { code: string }).code, 'invalid_cursor');
    const reader = await createAdminKey(server, ['users:read']);
    assert.equal((await adminCall(server, 'GET', '/admin/audit-events', reader)).status, 403);
  });
});
