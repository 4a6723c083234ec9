// The admin API's user lifecycle: disabling ends every session at once (S32) and makes a code
// request answer exactly like one for an unknown identifier, sending nothing (S17); erasure
// deletes the user's rows and strips every identifier from the audit trail; sessions are listed
// and revoked; sign-in links are minted without sending anything. Every change names the admin
// key's id (S41).
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { decodeJwt } from 'jose';
import type { TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { eachTestScope, suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { signIn } from '../helpers/sign-in.ts';

interface SessionPage { data: { id: string; created_at: string; last_used_at: string; expires_at: string; ip: string | null; user_agent: string | null; auth_time: string; amr: string[] }[]; next_cursor: string | null }

describe('admin user lifecycle', () => {
  const suite = suiteScope();
  const each = eachTestScope();
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  let key: string;
  let keyId: string;

  before(async () => {
    db = await withDatabase(suite);
    ({ ses } = await withLocalAws(suite, { ses: true }));
    // Tests sign the same address in several times in a row.
    server = await withTestApp(suite, { db, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0' } });
    key = await createAdminKey(server, undefined, 'lifecycle');
    keyId = (await db.pool.query(`SELECT id FROM admin_api_keys WHERE name = 'lifecycle'`)).rows[0].id;
  });

  const call = (method: string, path: string, body?: unknown) => adminCall(server, method, path, key, body);
  async function createUser(body: Record<string, unknown>): Promise<string> {
    const response = await call('POST', '/admin/users', body);
    assert.equal(response.status, 201);
    return ((await response.json()) as { id: string }).id;
  }
  const refresh = (token: string) => server.post('/token/refresh', { refresh_token: token });
  function comparable(response: Response): Record<string, string> {
    const headers = Object.fromEntries(response.headers);
    delete headers.date;
    return headers;
  }

  it('disabling revokes every session at once and audits each with the key id (S32)', async () => {
    const userId = await createUser({ email: 'to-disable@example.com' });
    const first = await signIn(server, ses, 'to-disable@example.com');
    const second = await signIn(server, ses, 'to-disable@example.com', { 'user-agent': 'second device' });
    const response = await call('PATCH', `/admin/users/${userId}`, { disabled: true });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { disabled: boolean }).disabled, true);

    const { rows } = await db.pool.query('SELECT revoked_at FROM sessions WHERE user_id = $1', [userId]);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.revoked_at instanceof Date));
    // Revoked, not merely refused: enabling the user again does not bring the sessions back.
    assert.equal((await call('PATCH', `/admin/users/${userId}`, { disabled: false })).status, 200);
    assert.equal((await refresh(first.refresh_token)).status, 400);
    assert.equal((await refresh(second.refresh_token)).status, 400);
    assert.equal((await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${first.access_token}` } })).status, 401);

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT reason, detail FROM audit_events WHERE event = 'session.revoked' AND user_id = $1 ORDER BY id`, [userId]);
    assert.deepEqual(audit.rows.map((row) => row.reason), ['user_disabled', 'user_disabled']);
    assert.deepEqual(audit.rows.map((row) => row.detail.adminKeyId), [keyId, keyId]);
    assert.deepEqual(new Set(audit.rows.map((row) => row.detail.sessionId)), new Set([decodeJwt(first.access_token).sid, decodeJwt(second.access_token).sid]));
  });

  it("a disabled user's code request answers exactly like an unknown identifier's, and nothing is sent (S17)", async () => {
    const userId = await createUser({ email: 'disabled-known@example.com' });
    assert.equal((await call('PATCH', `/admin/users/${userId}`, { disabled: true })).status, 200);
    const mailBefore = (await ses.emails()).length;
    const disabled = await server.post('/passwordless/request/email', { email: 'disabled-known@example.com' });
    const unknown = await server.post('/passwordless/request/email', { email: 'never-registered@example.com' });
    assert.equal(disabled.status, 202);
    assert.equal(unknown.status, disabled.status);
    assert.deepEqual(comparable(unknown), comparable(disabled));
    assert.equal(await unknown.text(), await disabled.text());
    await server.app.services.delivery.drain();
    assert.equal((await ses.emails()).length, mailBefore);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs WHERE user_id = $1', [userId])).rows[0].n, 0);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1', [userId])).rows[0].n, 0);
    // A disabled user gets no sign-in link either.
    const link = await call('POST', `/admin/users/${userId}/sign-in-link`, {});
    assert.equal(link.status, 409);
    assert.equal(((await link.json()) as { code: string }).code, 'user_disabled');
  });

  it('lists live sessions with pagination and revokes them all', async () => {
    const userId = await createUser({ email: 'sessions@example.com' });
    const tokens = [];
    for (const agent of ['phone', 'laptop', 'tablet']) tokens.push(await signIn(server, ses, 'sessions@example.com', { 'user-agent': agent }));
    const first = (await (await call('GET', `/admin/users/${userId}/sessions?limit=2`)).json()) as SessionPage;
    assert.equal(first.data.length, 2);
    assert.ok(first.next_cursor);
    const rest = (await (await call('GET', `/admin/users/${userId}/sessions?limit=2&cursor=${first.next_cursor}`)).json()) as SessionPage;
    assert.equal(rest.next_cursor, null);
    const all = [...first.data, ...rest.data];
    assert.deepEqual(all.map((session) => session.user_agent), ['phone', 'laptop', 'tablet']);
    assert.deepEqual(new Set(all.map((session) => session.id)), new Set(tokens.map((t) => decodeJwt(t.access_token).sid)));
    assert.deepEqual(all[0]!.amr, ['otp']);
    assert.equal(all[0]!.ip, '127.0.0.1');

    const revoked = await call('DELETE', `/admin/users/${userId}/sessions`);
    assert.equal(revoked.status, 200);
    assert.deepEqual(await revoked.json(), { revoked: 3 });
    for (const token of tokens) assert.equal((await refresh(token.refresh_token)).status, 400);
    assert.deepEqual(await (await call('GET', `/admin/users/${userId}/sessions`)).json(), { data: [], next_cursor: null });
    assert.deepEqual(await (await call('DELETE', `/admin/users/${userId}/sessions`)).json(), { revoked: 0 });

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT event, reason, detail FROM audit_events WHERE user_id = $1 AND event IN ('admin.sessions_revoked', 'session.revoked') ORDER BY id`, [userId]);
    assert.deepEqual(audit.rows.map((row) => [row.event, row.reason, row.detail.adminKeyId]), [
      ['admin.sessions_revoked', null, keyId],
      ['session.revoked', 'admin_revoked', keyId],
      ['session.revoked', 'admin_revoked', keyId],
      ['session.revoked', 'admin_revoked', keyId],
      ['admin.sessions_revoked', null, keyId],
    ]);
    for (const path of [`/admin/users/00000000-0000-4000-8000-000000000000/sessions`, '/admin/users/x/sessions']) {
      assert.equal((await call('GET', path)).status, 404);
      assert.equal((await call('DELETE', path)).status, 404);
    }
    assert.equal((await call('GET', `/admin/users/${userId}/sessions?limit=0`)).status, 400);
    assert.equal((await call('GET', `/admin/users/${userId}/sessions?cursor=bogus`)).status, 400);
  });

  it('mints a sign-in link without sending anything; its token signs in once; audited without the token', async () => {
    const userId = await createUser({ email: 'support-case@example.com' });
    const mailBefore = (await ses.emails()).length;
    const jobsBefore = (await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs')).rows[0].n;
    // No body at all is fine too.
    const response = await adminCall(server, 'POST', `/admin/users/${userId}/sign-in-link`, key);
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { link: string | null; token: string; expires_at: string };
    assert.equal(body.link, null, 'no PASSWORDLESS_EMAIL_LOGIN_URL in this app');
    assert.match(body.token, /^[a-z0-9]{64}$/);
    assert.equal(Date.parse(body.expires_at) - Date.now() > 9 * 60_000, true);
    await server.app.services.delivery.drain();
    assert.equal((await ses.emails()).length, mailBefore);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs')).rows[0].n, jobsBefore);

    const exchange = await server.post('/passwordless/exchange/standalone', { token: body.token });
    assert.equal(exchange.status, 200);
    assert.equal(decodeJwt(((await exchange.json()) as { access_token: string }).access_token).sub, userId);
    assert.equal((await server.post('/passwordless/exchange/standalone', { token: body.token })).status, 400);
    // No code can use the row: its short hash is random bytes.
    const { rows } = await db.pool.query('SELECT channel, destination, purpose, uses FROM one_time_tokens WHERE user_id = $1', [userId]);
    assert.deepEqual(rows, [{ channel: 'email', destination: 'support-case@example.com', purpose: 'sign_in', uses: 1 }]);

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT * FROM audit_events WHERE event = 'admin.sign_in_link_created' AND user_id = $1`, [userId]);
    assert.equal(audit.rows.length, 1);
    assert.equal(audit.rows[0].detail.adminKeyId, keyId);
    const everything = JSON.stringify((await db.pool.query('SELECT * FROM audit_events')).rows) + server.logs.join('\n');
    assert.ok(!everything.includes(body.token));
    assert.equal((await call('POST', '/admin/users/00000000-0000-4000-8000-000000000000/sign-in-link', {})).status, 404);
  });

  it('builds the link from PASSWORDLESS_EMAIL_LOGIN_URL when it is set', async () => {
    const withUrl = await withTestApp(each, { db, env: { PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.example/login?token={token}' } });
    const userId = await createUser({ phone_number: '+14155550144' });
    const response = await adminCall(withUrl, 'POST', `/admin/users/${userId}/sign-in-link`, key, {});
    assert.equal(response.status, 200);
    const body = (await response.json()) as { link: string; token: string };
    assert.equal(body.link, `https://app.example/login?token=${body.token}`);
    assert.equal((await withUrl.post('/passwordless/exchange/standalone', { token: body.token })).status, 200);
  });

  it('erases a user: rows deleted, audit rows keep their events and lose every identifier', async () => {
    const email = 'erase-me@example.com';
    const phone = '+14155550133';
    const userId = await createUser({ email, phone_number: phone, app_metadata: { tenant: 'x' } });
    const tokens = await signIn(server, ses, email, { 'user-agent': 'erasure-agent' });
    // A wrong guess (a guess counter keyed by the address), a live code, a pending job and a passkey challenge.
    await server.post('/passwordless/request/email', { email });
    assert.equal((await server.post('/passwordless/exchange/email', { email, token: '000000' })).status, 400);
    await db.pool.query(
      `INSERT INTO delivery_jobs (user_id, channel, destination_masked, payload, status, next_attempt_at, expires_at, created_at)
       VALUES ($1, 'email', 'e***@example.com', '\\x00', 'pending', now() + interval '1 hour', now() + interval '2 hours', now())`, [userId]);
    await db.pool.query(`INSERT INTO webauthn_challenges (challenge_hash, purpose, user_id, created_at, expires_at) VALUES ('\\x01', 'registration', $1, now(), now() + interval '5 minutes')`, [userId]);
    await server.app.services.audit.flush();
    const sessionIds = (await db.pool.query('SELECT id FROM sessions WHERE user_id = $1', [userId])).rows.map((row) => row.id);
    const auditBefore = (await db.pool.query('SELECT id, event, outcome, reason, created_at FROM audit_events WHERE user_id = $1 ORDER BY id', [userId])).rows;
    assert.ok(auditBefore.length >= 4);
    assert.ok((await db.pool.query('SELECT count(*)::int AS n FROM guess_failures WHERE destination = $1', [email])).rows[0].n > 0);

    const response = await call('DELETE', `/admin/users/${userId}`);
    assert.equal(response.status, 204);
    assert.equal(await response.text(), '');

    const count = async (sql: string, params: unknown[]) => (await db.pool.query(sql, params)).rows[0].n as number;
    assert.equal(await count('SELECT count(*)::int AS n FROM users WHERE id = $1', [userId]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [userId]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = ANY($1::uuid[])', [sessionIds]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1 OR destination IN ($2, $3)', [userId, email, phone]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM delivery_jobs WHERE user_id = $1', [userId]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM webauthn_challenges WHERE user_id = $1', [userId]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM guess_failures WHERE destination IN ($1, $2)', [email, phone]), 0);

    await server.app.services.audit.flush();
    const ids = auditBefore.map((row) => row.id);
    const after = (await db.pool.query('SELECT id, event, outcome, reason, created_at, user_id, destination, client_ip, user_agent, detail FROM audit_events WHERE id = ANY($1::bigint[]) ORDER BY id', [ids])).rows;
    assert.deepEqual(after.map(({ id, event, outcome, reason, created_at }) => ({ id, event, outcome, reason, created_at })), auditBefore);
    for (const row of after) assert.deepEqual([row.user_id, row.destination, row.client_ip, row.user_agent, row.detail], [null, null, null, null, null]);
    // Only the erasure's own row names the id, which now links to nothing.
    const remaining = (await db.pool.query('SELECT event, detail FROM audit_events WHERE user_id = $1', [userId])).rows;
    assert.deepEqual(remaining, [{ event: 'admin.user_deleted', detail: { adminKeyId: keyId } }]);
    const wholeTrail = JSON.stringify((await db.pool.query('SELECT * FROM audit_events')).rows);
    assert.ok(!wholeTrail.includes(email) && !wholeTrail.includes(phone) && !wholeTrail.includes('erasure-agent'));

    // An event about the user that arrives after the erasure (a send that was in flight) keeps
    // its event and loses every identifier, like the rows the erasure scrubbed.
    server.app.services.audit.record({
      event: 'code.failed', outcome: 'failed', userId, reason: 'expired',
      masked: { channel: 'email', destination: 'e***@example.com' },
      context: { ip: '203.0.113.9', userAgent: 'late-agent', acceptLanguage: undefined },
      detail: { jobId: '1' },
    });
    await server.app.services.audit.flush();
    const late = (await db.pool.query(`SELECT user_id, destination, client_ip, user_agent, detail FROM audit_events WHERE event = 'code.failed' AND reason = 'expired' ORDER BY id DESC LIMIT 1`)).rows;
    assert.deepEqual(late, [{ user_id: null, destination: null, client_ip: null, user_agent: null, detail: null }]);
    assert.deepEqual((await db.pool.query('SELECT event FROM audit_events WHERE user_id = $1', [userId])).rows, [{ event: 'admin.user_deleted' }]);

    assert.equal((await refresh(tokens.refresh_token)).status, 400);
    assert.equal((await call('DELETE', `/admin/users/${userId}`)).status, 404);
    assert.equal((await call('GET', `/admin/users/${userId}`)).status, 404);
  });

  it('orders an audit write against a concurrent erasure: the write waits, then finds the user gone', async () => {
    const userId = await createUser({ email: 'erased-meanwhile@example.com' });
    await server.app.services.audit.flush();
    const lastId = (await db.pool.query('SELECT coalesce(max(id), 0) AS id FROM audit_events')).rows[0].id as string;
    const erasure = await db.pool.connect();
    try {
      // The erasure's first step: it locks the user's row (admin-user-repository erase()).
      await erasure.query('BEGIN');
      await erasure.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
      server.app.services.audit.record({
        event: 'code.delivered', outcome: 'delivered', userId,
        masked: { channel: 'email', destination: 'e***@example.com' },
        context: { ip: '203.0.113.10', userAgent: 'racing-agent', acceptLanguage: undefined },
        detail: { jobId: '2' },
      });
      const written = server.app.services.audit.flush();
      // The insert is waiting on the row lock, not written under the user's id.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const waiting = (await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO audit_events%'`)).rows[0].n;
      assert.equal(waiting, 1);
      await erasure.query('DELETE FROM users WHERE id = $1', [userId]);
      await erasure.query('COMMIT');
      await written;
    } finally {
      erasure.release();
    }
    const rows = (await db.pool.query(`SELECT user_id, destination, client_ip, user_agent, detail FROM audit_events WHERE id > $1 AND event = 'code.delivered'`, [lastId])).rows;
    assert.deepEqual(rows, [{ user_id: null, destination: null, client_ip: null, user_agent: null, detail: null }]);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM audit_events WHERE user_id = $1', [userId])).rows[0].n, 1);
  });
});
