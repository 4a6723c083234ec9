// Sessions after sign-in: refresh-token rotation, reuse detection, concurrency, grace, expiry,
// revocation and logout, over HTTP against the real app and PostgreSQL (S29–S32).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, type TestApp } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { getWithToken, signIn, type Tokens } from '../helpers/sign-in.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';

const DAY = 86_400;
const sha256 = (token: string) => createHash('sha256').update(token).digest();

describe('sessions and refresh tokens', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  const clock = createTestClock();

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db, clock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0' } });
  });

  async function refresh(token: string, app: TestApp = server): Promise<Response> {
    return app.post('/token/refresh', { refresh_token: token });
  }

  async function expectInvalid(response: Response): Promise<void> {
    assert.equal(response.status, 400);
    const body = (await response.json()) as { code: string };
    assert.equal(body.code, 'invalid_token');
  }

  async function sessionRow(sessionId: string) {
    const { rows } = await db.pool.query('SELECT * FROM sessions WHERE id = $1', [sessionId]);
    return rows[0];
  }

  it('opens a session on sign-in and stores only the SHA-256 of the refresh token (S29)', async () => {
    const userId = await createUser(db, 'open@example.com');
    const tokens = await signIn(server, ses, 'open@example.com', { 'user-agent': 'SessionTest/1.0' });
    assert.match(tokens.refresh_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(tokens.refresh_token, 'base64url').length, 32);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.sub, userId);
    const session = await sessionRow(String(claims.sid));
    assert.equal(session.user_id, userId);
    assert.equal(session.ip, '127.0.0.1');
    assert.equal(session.user_agent, 'SessionTest/1.0');
    assert.equal(session.created_at.getTime(), clock.now().getTime());
    assert.equal(session.expires_at.getTime(), clock.now().getTime() + 30 * DAY * 1000);
    assert.equal(session.revoked_at, null);
    const { rows } = await db.pool.query('SELECT token_hash, parent_hash, spent_at, t::text AS everything FROM refresh_tokens t WHERE session_id = $1', [claims.sid]);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].token_hash, sha256(tokens.refresh_token));
    assert.equal(rows[0].parent_hash, null);
    assert.ok(!rows[0].everything.includes(tokens.refresh_token));
  });

  it('rotates on refresh, and a spent token coming back revokes the whole family (S30)', async () => {
    await createUser(db, 'rotate@example.com');
    const first = await signIn(server, ses, 'rotate@example.com');
    const sid = decodeJwt(first.access_token).sid;

    clock.advance(60);
    const rotated = await refresh(first.refresh_token);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.headers.get('cache-control'), 'no-store');
    const second = (await rotated.json()) as Tokens;
    assert.deepEqual(Object.keys(second).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(decodeJwt(second.access_token).sid, sid, 'the same session goes on');
    // The sign-in's time and method are the session's, not the refresh's (RFC 8176, S45).
    assert.equal(decodeJwt(second.access_token).auth_time, decodeJwt(first.access_token).auth_time);
    assert.equal(decodeJwt(second.access_token).auth_time, Math.floor(clock.now().getTime() / 1000) - 60);
    assert.deepEqual(decodeJwt(second.access_token).amr, ['otp']);
    assert.equal((await sessionRow(String(sid))).last_used_at.getTime(), clock.now().getTime());
    assert.equal((await getWithToken(server, '/me', second.access_token)).status, 200);

    const third = (await (await refresh(second.refresh_token)).json()) as Tokens;

    // The first token is presented again, later: reuse. The family, including the live third token, ends.
    clock.advance(1);
    await expectInvalid(await refresh(first.refresh_token));
    assert.notEqual((await sessionRow(String(sid))).revoked_at, null);
    await expectInvalid(await refresh(third.refresh_token));
    assert.equal((await getWithToken(server, '/me', third.access_token)).status, 401);
    assert.ok(server.logs.some((line) => line.includes('refresh token reuse detected')));
    assert.ok(!server.logs.some((line) => line.includes(first.refresh_token) || line.includes(third.refresh_token)), 'tokens are never logged (S34)');
  });

  // Strict mode (no grace): concurrent means presented at the same instant (the frozen clock),
  // before any of them spent it; the losers are refused and the family lives on.
  it('with REFRESH_REUSE_GRACE_SECONDS=0 lets exactly one of 20 concurrent refreshes of one token succeed, leaving one live child (S30)', async () => {
    const strict = await withTestApp(suite, { db, clock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '0' } });
    const refresh = (token: string) => strict.post('/token/refresh', { refresh_token: token });
    await createUser(db, 'race@example.com');
    const tokens = await signIn(strict, ses, 'race@example.com');
    const sid = String(decodeJwt(tokens.access_token).sid);
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(tokens.refresh_token)));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, ...Array(19).fill(400)]);
    const winner = (await responses.find((response) => response.status === 200)!.json()) as Tokens;

    const { rows } = await db.pool.query('SELECT token_hash, spent_at FROM refresh_tokens WHERE session_id = $1 ORDER BY created_at, spent_at NULLS LAST', [sid]);
    assert.equal(rows.length, 2, 'one parent, one child');
    const live = rows.filter((row) => row.spent_at === null);
    assert.equal(live.length, 1);
    assert.deepEqual(live[0].token_hash, sha256(winner.refresh_token));
    assert.equal((await sessionRow(sid)).revoked_at, null, 'losing a race is not reuse');
    assert.equal((await refresh(winner.refresh_token)).status, 200, 'the child is live');
  });

  // The real clock: requests that overlap read it at different instants, so a loser can find the
  // token already spent "before" it arrived. With the default grace period (10 s) every one of
  // them gets the winner's child, and the session lives on: two tabs never sign a user out.
  it('on the real clock, gives every one of 2 or 10 parallel refreshes the same live child and keeps the session (S30)', async () => {
    assert.equal(server.config.refreshReuseGraceSeconds, 10, 'the default grace period');
    const realClockApp = await withTestApp(suite, { db, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0' } });
    await createUser(db, 'parallel@example.com');
    for (const parallel of [2, 2, 2, 2, 2, 2, 10]) {
      const tokens = await signIn(realClockApp, ses, 'parallel@example.com');
      const sid = String(decodeJwt(tokens.access_token).sid);
      const responses = await Promise.all(Array.from({ length: parallel }, () => refresh(tokens.refresh_token, realClockApp)));
      assert.deepEqual(responses.map((response) => response.status), Array(parallel).fill(200), `${parallel} parallel refreshes all succeed`);
      const children = new Set(await Promise.all(responses.map(async (response) => ((await response.json()) as Tokens).refresh_token)));
      assert.equal(children.size, 1, 'one child, handed to every tab');
      const [child] = [...children] as [string];
      assert.equal((await sessionRow(sid)).revoked_at, null, 'a parallel refresh is not reuse');
      const next = await refresh(child, realClockApp);
      assert.equal(next.status, 200, 'the child is live');
      assert.equal((await getWithToken(realClockApp, '/me', ((await next.json()) as Tokens).access_token)).status, 200);
    }
  });

  it('gives a retry within REFRESH_REUSE_GRACE_SECONDS the same child, and treats later replays as reuse', async () => {
    const graceClock = createTestClock();
    const app = await withTestApp(suite, { db, clock: graceClock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '10' } });
    await createUser(db, 'grace@example.com');
    const tokens = await signIn(app, ses, 'grace@example.com');
    const sid = String(decodeJwt(tokens.access_token).sid);

    const first = (await (await refresh(tokens.refresh_token, app)).json()) as Tokens;
    graceClock.advance(5);
    const retry = await refresh(tokens.refresh_token, app);
    assert.equal(retry.status, 200);
    const retried = (await retry.json()) as Tokens;
    assert.equal(retried.refresh_token, first.refresh_token, 'the same child');
    assert.notEqual(retried.access_token, first.access_token);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [sid]);
    assert.equal(rows[0].n, 2);

    // Past the grace period the parent is a replay: the family ends.
    graceClock.advance(6);
    await expectInvalid(await refresh(tokens.refresh_token, app));
    assert.notEqual((await sessionRow(sid)).revoked_at, null);
    await expectInvalid(await refresh(first.refresh_token, app));
  });

  it('treats a retry within the grace period as reuse once the child was used', async () => {
    const graceClock = createTestClock();
    const app = await withTestApp(suite, { db, clock: graceClock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '30' } });
    await createUser(db, 'grace-used@example.com');
    const tokens = await signIn(app, ses, 'grace-used@example.com');
    const child = (await (await refresh(tokens.refresh_token, app)).json()) as Tokens;
    const grandchild = (await (await refresh(child.refresh_token, app)).json()) as Tokens;
    graceClock.advance(1);
    await expectInvalid(await refresh(tokens.refresh_token, app));
    await expectInvalid(await refresh(grandchild.refresh_token, app));
  });

  it('ends a session after REFRESH_TOKEN_IDLE_TTL without use (S31)', async () => {
    await createUser(db, 'idle@example.com');
    const tokens = await signIn(server, ses, 'idle@example.com');
    clock.advance(7 * DAY - 1);
    const kept = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    clock.advance(7 * DAY);
    await expectInvalid(await refresh(kept.refresh_token));
  });

  it('ends a session REFRESH_TOKEN_TTL after sign-in however often it is used (S31)', async () => {
    await createUser(db, 'absolute@example.com');
    let tokens = await signIn(server, ses, 'absolute@example.com');
    for (let day = 6; day < 30; day += 6) {
      clock.advance(6 * DAY);
      const response = await refresh(tokens.refresh_token);
      assert.equal(response.status, 200, `refresh on day ${day}`);
      tokens = (await response.json()) as Tokens;
    }
    clock.advance(6 * DAY); // day 30
    await expectInvalid(await refresh(tokens.refresh_token));
  });

  it('revokes the family with POST /token/revoke and answers 200 whatever the token (RFC 7009)', async () => {
    await createUser(db, 'revoke@example.com');
    const tokens = await signIn(server, ses, 'revoke@example.com');
    const child = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    // Revoking with the spent parent ends the family too.
    const revoked = await server.post('/token/revoke', { refresh_token: tokens.refresh_token });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.headers.get('cache-control'), 'no-store');
    await expectInvalid(await refresh(child.refresh_token));
    assert.equal((await getWithToken(server, '/me', child.access_token)).status, 401);

    for (const token of ['not-a-token', 'A'.repeat(43), child.refresh_token, child.access_token, 'x'.repeat(1500)]) {
      assert.equal((await server.post('/token/revoke', { token, token_type_hint: 'refresh_token' })).status, 200);
    }
    const missing = await server.post('/token/revoke', {});
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { code: string }).code, 'invalid_request');
  });

  it('takes the OAuth form encoding on the token endpoints (RFC 6749 §6, RFC 7009)', async () => {
    await createUser(db, 'oauth@example.com');
    const tokens = await signIn(server, ses, 'oauth@example.com');
    const form = (fields: Record<string, string>) => fetch(`${server.url}/token/refresh`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
    });
    const rotated = await form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(rotated.status, 200);
    const child = (await rotated.json()) as Tokens;
    await expectInvalid(await form({ grant_type: 'password', refresh_token: child.refresh_token }));
    const revoked = await fetch(`${server.url}/token/revoke`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${child.refresh_token}&token_type_hint=refresh_token`,
    });
    assert.equal(revoked.status, 200);
    await expectInvalid(await refresh(child.refresh_token));
  });

  it('answers refreshes of malformed and unknown tokens with invalid_token', async () => {
    for (const body of [{ refresh_token: 'x' }, { refresh_token: 'A'.repeat(43) }, {}, { refresh_token: 42 }]) {
      await expectInvalid(await server.post('/token/refresh', body));
    }
  });

  it('serves /me for the caller', async () => {
    const userId = await createUser(db, 'me@example.com');
    const tokens = await signIn(server, ses, 'me@example.com');
    const response = await getWithToken(server, '/me', tokens.access_token);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const me = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(me).sort(), ['amr', 'app_metadata', 'auth_time', 'created_at', 'email', 'email_verified', 'id', 'last_login_at', 'phone_number', 'phone_number_verified', 'user_metadata']);
    assert.equal(me.id, userId);
    assert.equal(me.email, 'me@example.com');
    assert.equal(me.phone_number, null);
    assert.equal(me.email_verified, true);
    assert.equal(me.phone_number_verified, false);
    assert.equal(me.last_login_at, clock.now().toISOString());
    assert.equal(me.auth_time, Math.floor(clock.now().getTime() / 1000));
    assert.deepEqual(me.amr, ['otp']);
  });

  it('lists live sessions, marks the current one, and ends another with DELETE /me/sessions/{id}', async () => {
    await createUser(db, 'devices@example.com');
    const laptop = await signIn(server, ses, 'devices@example.com', { 'user-agent': 'Laptop' });
    const phone = await signIn(server, ses, 'devices@example.com', { 'user-agent': 'Phone' });
    const ended = await signIn(server, ses, 'devices@example.com', { 'user-agent': 'Old' });
    await server.post('/token/revoke', { refresh_token: ended.refresh_token });

    const response = await getWithToken(server, '/me/sessions', laptop.access_token);
    assert.equal(response.status, 200);
    const { sessions } = (await response.json()) as { sessions: { id: string; user_agent: string; ip: string; current: boolean; expires_at: string }[] };
    assert.deepEqual(sessions.map((session) => session.user_agent).sort(), ['Laptop', 'Phone']);
    const laptopSid = String(decodeJwt(laptop.access_token).sid);
    const phoneSid = String(decodeJwt(phone.access_token).sid);
    assert.deepEqual(sessions.filter((session) => session.current).map((session) => session.id), [laptopSid]);
    assert.equal(sessions[0]!.ip, '127.0.0.1');
    assert.equal(sessions[0]!.expires_at, new Date(clock.now().getTime() + 7 * DAY * 1000).toISOString(), 'the idle timeout comes first');

    // Another user cannot end it; unknown and malformed ids are 404.
    await createUser(db, 'stranger@example.com');
    const stranger = await signIn(server, ses, 'stranger@example.com');
    for (const [token, id] of [[stranger.access_token, phoneSid], [laptop.access_token, '00000000-0000-4000-8000-000000000000'], [laptop.access_token, 'nope']] as const) {
      const denied = await getWithToken(server, `/me/sessions/${id}`, token, 'DELETE');
      assert.equal(denied.status, 404);
      assert.equal(((await denied.json()) as { code: string }).code, 'not_found');
    }

    const deleted = await getWithToken(server, `/me/sessions/${phoneSid}`, laptop.access_token, 'DELETE');
    assert.equal(deleted.status, 204);
    await expectInvalid(await refresh(phone.refresh_token));
    assert.equal((await getWithToken(server, '/me', phone.access_token)).status, 401);
    assert.equal((await getWithToken(server, '/me', laptop.access_token)).status, 200);
  });

  it('ends the current session with POST /logout and every session with POST /logout/all (S32)', async () => {
    await createUser(db, 'logout@example.com');
    const a = await signIn(server, ses, 'logout@example.com');
    const b = await signIn(server, ses, 'logout@example.com');
    const c = await signIn(server, ses, 'logout@example.com');

    assert.equal((await getWithToken(server, '/logout', a.access_token, 'POST')).status, 204);
    await expectInvalid(await refresh(a.refresh_token));
    assert.equal((await getWithToken(server, '/me', a.access_token)).status, 401);
    assert.equal((await getWithToken(server, '/logout', a.access_token, 'POST')).status, 204, 'logging out twice is no error');
    // The logged-out token still verifies until it expires, but can no longer act on other sessions.
    assert.equal((await getWithToken(server, '/logout/all', a.access_token, 'POST')).status, 401);
    assert.equal((await getWithToken(server, `/me/sessions/${String(decodeJwt(b.access_token).sid)}`, a.access_token, 'DELETE')).status, 401);
    assert.equal((await getWithToken(server, '/me/sessions', a.access_token)).status, 401);
    assert.equal((await refresh(b.refresh_token)).status, 200, 'other sessions live on');

    assert.equal((await getWithToken(server, '/logout/all', c.access_token, 'POST')).status, 204);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'logout@example.com' AND s.revoked_at IS NULL");
    assert.equal(rows[0].n, 0);
    await expectInvalid(await refresh(c.refresh_token));
  });

  it('fails refresh and /me at once when the user is disabled', async () => {
    const userId = await createUser(db, 'disabled@example.com');
    const tokens = await signIn(server, ses, 'disabled@example.com');
    await db.pool.query('UPDATE users SET disabled = true WHERE id = $1', [userId]);
    await expectInvalid(await refresh(tokens.refresh_token));
    assert.equal((await getWithToken(server, '/me', tokens.access_token)).status, 401);
    await db.pool.query('UPDATE users SET disabled = false WHERE id = $1', [userId]);
    assert.equal((await refresh(tokens.refresh_token)).status, 200, 'a disabled user was refused, not revoked');
  });

  it('deletes sessions past their absolute end, with their refresh tokens', async () => {
    await createUser(db, 'purge@example.com');
    const tokens = await signIn(server, ses, 'purge@example.com');
    const sid = String(decodeJwt(tokens.access_token).sid);
    clock.advance(30 * DAY - 1);
    await server.app.services.sessions.purgeExpired(); // older tests' sessions may go now
    assert.ok(await sessionRow(sid), 'one second before its end it stays');
    clock.advance(1);
    assert.ok((await server.app.services.sessions.purgeExpired()) >= 1);
    assert.equal(await sessionRow(sid), undefined);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [sid]);
    assert.equal(rows[0].n, 0);
  });

  it('keeps revocations across a restart: they live in the database (S32)', async () => {
    await createUser(db, 'restart@example.com');
    const tokens = await signIn(server, ses, 'restart@example.com');
    await getWithToken(server, '/logout', tokens.access_token, 'POST');
    const restarted = await withTestApp(suite, { db, clock });
    await expectInvalid(await refresh(tokens.refresh_token, restarted));
    assert.equal((await getWithToken(restarted, '/me', tokens.access_token)).status, 401);
  });
});
