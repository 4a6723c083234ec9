// The audit log (S33): one row per send, block, delivery result and exchange, with time, client
// IP, user agent, user id and outcome; no secret and no full identifier in any column or log
// line (S34).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signIn, type Tokens } from '../helpers/sign-in.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET, codeIn, createTestClock, eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws } from '../helpers/fixtures.ts';

interface AuditRow {
  event: string;
  outcome: string;
  reason: string | null;
  user_id: string | null;
  channel: string | null;
  destination: string | null;
  client_ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown> | null;
  created_at: Date;
}

describe('audit log', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  let app: TestApp;
  const clock = createTestClock();
  const client = { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'AuditTest/1.0' };

  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
    db = await withDatabase(suite);
    app = await withTestApp(suite, {
      db,
      clock,
      env: {
        LOG_LEVEL: 'trace',
        TRUSTED_PROXIES: '127.0.0.1',
        PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/login/{token}',
        SMS_ALLOWED_COUNTRIES: 'US,FR',
      },
    });
  });

  async function rows(): Promise<AuditRow[]> {
    await app.app.services.delivery.drain();
    await app.app.services.audit.flush();
    return (await db.pool.query<AuditRow>('SELECT event, outcome, reason, user_id, channel, destination, client_ip, user_agent, detail, created_at FROM audit_events ORDER BY id')).rows;
  }

  it('records every event with who, from where and what came of it, and no secret anywhere (S33, S34)', async () => {
    const { rows: [alice] } = await db.pool.query<{ id: string }>("INSERT INTO users (email) VALUES ('alice.audit@example.com') RETURNING id");
    const { rows: [bob] } = await db.pool.query<{ id: string }>("INSERT INTO users (phone_number) VALUES ('+33612340001') RETURNING id");
    const secrets: string[] = [TEST_SECRET, 'alice.audit@example.com', 'stranger@example.com', '+33612340001', '33612340001', '+4915112340002', '4915112340002'];

    // code.requested (issued), code.delivered, sign_in.failed (wrong code), sign_in.succeeded
    assert.equal((await app.post('/passwordless/request/email', { email: 'alice.audit@example.com' }, client)).status, 202);
    const mail = await eventually(async () => (await ses.emails('alice.audit@example.com'))[0]);
    const code = codeIn(mail.body.text ?? '');
    const link = /https:\/\/\S+/.exec(mail.body.text ?? '')![0];
    const longToken = link.split('/').at(-1)!;
    secrets.push(code, link, longToken);
    const wrong = code === '000000' ? '111111' : '000000';
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'alice.audit@example.com', token: wrong }, client)).status, 400);
    const signedIn = await app.post('/passwordless/exchange/email', { email: 'alice.audit@example.com', token: code }, client);
    assert.equal(signedIn.status, 200);
    secrets.push(((await signedIn.json()) as { access_token: string }).access_token);

    // code.requested (ignored, then throttled); sign_in.failed (malformed, no live token, link)
    assert.equal((await app.post('/passwordless/request/email', { email: 'stranger@example.com' }, client)).status, 202);
    assert.equal((await app.post('/passwordless/request/email', { email: 'stranger@example.com' }, client)).status, 429);
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'stranger@example.com', token: 'x' }, client)).status, 400);
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'stranger@example.com', token: '123456' }, client)).status, 400);
    assert.equal((await app.post('/passwordless/exchange/standalone', { token: longToken }, client)).status, 400);

    // Magic link: sign_in.succeeded by link.
    clock.advance(61);
    assert.equal((await app.post('/passwordless/request/email', { email: 'alice.audit@example.com' }, client)).status, 202);
    const second = await eventually(async () => (await ses.emails('alice.audit@example.com'))[1]);
    const secondLink = /https:\/\/\S+/.exec(second.body.text ?? '')![0];
    const secondToken = secondLink.split('/').at(-1)!;
    secrets.push(codeIn(second.body.text ?? ''), secondLink, secondToken);
    const byLink = await app.post('/passwordless/exchange/standalone', { token: secondToken }, client);
    assert.equal(byLink.status, 200);
    secrets.push(((await byLink.json()) as { access_token: string }).access_token);

    // code.failed (provider refused), code.blocked (country off the allowlist)
    sns.failNext('InvalidParameter', 400);
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+33612340001' }, client)).status, 202);
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+4915112340002' }, { ...client, 'user-agent': 'x'.repeat(2000) })).status, 202);

    const all = await rows();
    const from = { client_ip: '198.51.100.7', user_agent: 'AuditTest/1.0' };
    const aliceTo = { channel: 'email', destination: 'a***@example.com' };
    const strangerTo = { channel: 'email', destination: 's***@example.com' };
    const summary = all.map(({ created_at: _at, detail: _detail, ...row }) => row);
    const expected = [
      { event: 'code.requested', outcome: 'issued', reason: null, user_id: alice!.id, ...aliceTo, ...from },
      { event: 'code.delivered', outcome: 'delivered', reason: null, user_id: alice!.id, ...aliceTo, client_ip: '198.51.100.7', user_agent: null },
      { event: 'sign_in.failed', outcome: 'failed', reason: 'wrong_code', user_id: alice!.id, ...aliceTo, ...from },
      { event: 'sign_in.succeeded', outcome: 'succeeded', reason: null, user_id: alice!.id, ...aliceTo, ...from },
      { event: 'code.requested', outcome: 'ignored', reason: null, user_id: null, ...strangerTo, ...from },
      { event: 'code.requested', outcome: 'throttled', reason: null, user_id: null, ...strangerTo, ...from },
      { event: 'sign_in.failed', outcome: 'failed', reason: 'malformed', user_id: null, ...strangerTo, ...from },
      { event: 'sign_in.failed', outcome: 'failed', reason: 'no_live_token', user_id: null, ...strangerTo, ...from },
      { event: 'sign_in.failed', outcome: 'failed', reason: 'no_live_token', user_id: null, channel: null, destination: null, ...from },
      { event: 'code.requested', outcome: 'issued', reason: null, user_id: alice!.id, ...aliceTo, ...from },
      { event: 'code.delivered', outcome: 'delivered', reason: null, user_id: alice!.id, ...aliceTo, client_ip: '198.51.100.7', user_agent: null },
      { event: 'sign_in.succeeded', outcome: 'succeeded', reason: null, user_id: alice!.id, ...aliceTo, ...from },
      { event: 'code.requested', outcome: 'issued', reason: null, user_id: bob!.id, channel: 'mobile', destination: '+3******0001', ...from },
      { event: 'code.failed', outcome: 'failed', reason: 'InvalidParameterException', user_id: bob!.id, channel: 'mobile', destination: '+3******0001', client_ip: '198.51.100.7', user_agent: null },
      { event: 'code.blocked', outcome: 'blocked', reason: 'country_not_allowed', user_id: null, channel: 'mobile', destination: '+4********0002', client_ip: '198.51.100.7', user_agent: 'x'.repeat(512) },
    ];
    // Deliveries are recorded when the provider answers, so they may land a little later.
    const key = (row: object) => JSON.stringify(row);
    assert.deepEqual(summary.map(key).sort(), expected.map(key).sort());
    assert.deepEqual(summary.filter((row) => !row.event.startsWith('code.delivered') && row.event !== 'code.failed').map(key),
      expected.filter((row) => !row.event.startsWith('code.delivered') && row.event !== 'code.failed').map(key));

    assert.deepEqual(all.find((row) => row.event === 'code.delivered')!.detail!.provider, 'ses');
    const failedDetail = all.find((row) => row.event === 'code.failed')!.detail!;
    assert.deepEqual({ provider: failedDetail.provider, status: failedDetail.status, attempt: failedDetail.attempt }, { provider: 'sns', status: 400, attempt: 1 });
    assert.match(String(failedDetail.jobId), /^\d+$/);
    assert.deepEqual(all.find((row) => row.event === 'sign_in.succeeded' && row.detail !== null)!.detail, { method: 'link' });
    for (const row of all) assert.ok(Math.abs(row.created_at.getTime() - clock.now().getTime()) <= 61_000);

    const stored = (await db.pool.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM audit_events a')).rows.map((r) => r.row).join('\n');
    const logs = app.logs.join('');
    for (const secret of secrets) {
      assert.ok(!stored.includes(secret), `an audit row contains a secret (${secret.length} chars)`);
      assert.ok(!logs.includes(secret), `a log line contains a secret (${secret.length} chars)`);
    }
  });

  it('writes what is still buffered when the app closes', async () => {
    const other = await startTestApp({ db, clock });
    assert.equal((await other.post('/passwordless/request/email', { email: 'closing@example.com' })).status, 202);
    await other.close();
    const { rows: found } = await db.pool.query("SELECT event, outcome FROM audit_events WHERE destination = 'c***@example.com'");
    assert.deepEqual(found, [{ event: 'code.requested', outcome: 'ignored' }]);
  });

  it('records refreshes, reuse and every way a session ends, with the client and no token (S33, S34)', async () => {
    const email = 'carol.audit@example.com';
    const { rows: [carol] } = await db.pool.query<{ id: string }>('INSERT INTO users (email) VALUES ($1) RETURNING id', [email]);
    const first = await signIn(app, ses, email, client);
    const refresh = (token: string) => app.post('/token/refresh', { refresh_token: token }, client);
    const rotated = (await (await refresh(first.refresh_token)).json()) as Tokens;
    clock.advance(11); // presented again after the 10 s grace period: reuse, not a retry
    assert.equal((await refresh(first.refresh_token)).status, 400, 'the spent token again: reuse');
    clock.advance(61); // past the request throttle
    const second = await signIn(app, ses, email, client);
    assert.equal((await app.post('/token/revoke', { refresh_token: second.refresh_token }, client)).status, 200);
    clock.advance(61);
    const third = await signIn(app, ses, email, client);
    assert.equal((await fetch(`${app.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${third.access_token}`, ...client } })).status, 204);

    const events = (await rows()).filter((row) => row.user_id === carol!.id && /^(token|session)\./.test(row.event));
    assert.deepEqual(events.map((row) => [row.event, row.outcome, row.reason, row.client_ip, row.user_agent]), [
      ['token.refreshed', 'succeeded', null, '198.51.100.7', 'AuditTest/1.0'],
      ['token.reuse_detected', 'revoked', null, '198.51.100.7', 'AuditTest/1.0'],
      ['session.revoked', 'revoked', 'token_revoked', '198.51.100.7', 'AuditTest/1.0'],
      ['session.revoked', 'revoked', 'logout', '198.51.100.7', 'AuditTest/1.0'],
    ]);
    for (const row of events) assert.match(String(row.detail?.sessionId), /^[0-9a-f-]{36}$/);

    const stored = (await db.pool.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM audit_events a')).rows.map((r) => r.row).join('\n');
    const logs = app.logs.join('');
    for (const secret of [first.refresh_token, rotated.refresh_token, second.refresh_token, third.refresh_token, first.access_token, third.access_token, email]) {
      assert.ok(!stored.includes(secret), 'an audit row contains a token or the address');
      assert.ok(!logs.includes(secret), 'a log line contains a token or the address');
    }
  });
});
