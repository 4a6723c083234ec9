// The synchronous hooks (S43): custom claims before every access token (exchange and refresh)
// and before-user-created before a registration, signed per Standard Webhooks (checked with the
// reference library), bounded by HOOK_TIMEOUT_MS, with success, refusal, timeout and malformed
// answers under both failure modes; reserved claims can never be overridden; the merged token
// stays under 8 KB; SIGNUP_ALLOWED_EMAIL_DOMAINS without a hook.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import { codeIn, eventually, type TestApp } from '../helpers/app.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase, withLocalAws, withTestApp, type Scope } from '../helpers/fixtures.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { withWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { HOOK_FAILURE_LOG_INTERVAL_MS } from '../../src/delivery/hook-client.ts';
import { newWebhookSecret } from '../../src/lib/standard-webhooks.ts';

type Answer = { status: number; body?: string; delayMs?: number };

/** A receiver serving both hooks, each answering what the test sets. */
function hookEndpoints(receiver: WebhookReceiver) {
  const answers: Record<string, Answer> = {};
  const reset = () => {
    answers['/claims'] = { status: 200, body: JSON.stringify({ claims: { role: 'reader', tenant: 't-1' } }) };
    answers['/before'] = { status: 200, body: JSON.stringify({ allow: true }) };
  };
  reset();
  receiver.setDefault((request) => answers[request.path] ?? { status: 404 });
  return { answers, reset, calls: (path: string): ReceivedRequest[] => receiver.received.filter((request) => request.path === path) };
}

async function problem(response: Response): Promise<{ status: number; code: string }> {
  return { status: response.status, code: ((await response.json()) as { code: string }).code };
}

/** A database, local SES, a hook receiver and the app with both hooks pointed at it, torn down with the suite. */
async function startHookedApp(suite: Scope, env: Record<string, string>) {
  const db = await withDatabase(suite);
  const { ses } = await withLocalAws(suite, { ses: true });
  const receiver = await withWebhookReceiver(suite);
  const hooks = hookEndpoints(receiver);
  const server = await withTestApp(suite, {
    db,
    env: {
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      HOOK_CUSTOM_CLAIMS_URL: `${receiver.url}/claims`,
      HOOK_BEFORE_USER_CREATED_URL: `${receiver.url}/before`,
      HOOK_TIMEOUT_MS: '300',
      REGISTER_NONEXISTENT_USERS: 'true',
      TOKEN_REQUEST_THROTTLE_SECONDS: '0',
      ...env,
    },
  });
  return { db, ses, receiver, hooks, server };
}

describe('hooks (failure mode deny)', () => {
  const suite = suiteScope();
  const secret = newWebhookSecret();
  let db: TestDatabase;
  let server: TestApp;
  let ses: SesLocal;
  let receiver: WebhookReceiver;
  let hooks: ReturnType<typeof hookEndpoints>;

  before(async () => {
    ({ db, ses, receiver, hooks, server } = await startHookedApp(suite, { HOOK_SECRET: secret }));
  });

  async function requestCode(email: string): Promise<Response> {
    return server.post('/passwordless/request/email', { email });
  }

  async function codeFor(email: string, count: number): Promise<string> {
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length >= count ? emails[count - 1] : undefined;
    });
    return codeIn(mail.body.text ?? '');
  }

  async function signedInTokens(email: string, count = 1): Promise<Response> {
    assert.equal((await requestCode(email)).status, 202);
    return server.post('/passwordless/exchange/email', { email, token: await codeFor(email, count) });
  }

  function failures(hook: string, reason: string): number {
    return server.app.metrics.snapshot()[`sesame_hook_failures_total{hook="${hook}",reason="${reason}"}`] ?? 0;
  }

  it('merges the custom-claims hook\'s claims into the token; the signed request verifies with standardwebhooks', async () => {
    hooks.reset();
    const response = await signedInTokens('claims@example.com');
    assert.equal(response.status, 200);
    const tokens = (await response.json()) as { access_token: string; refresh_token: string };
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.role, 'reader');
    assert.equal(claims.tenant, 't-1');
    const call = hooks.calls('/claims').at(-1)!;
    const payload = new Webhook(secret).verify(call.body, call.headers) as { user: Record<string, unknown>; client_id: string; claims: Record<string, unknown> };
    const userId = (await db.pool.query('SELECT id FROM users WHERE email = $1', ['claims@example.com'])).rows[0].id as string;
    assert.deepEqual(payload.user, { id: userId, email: 'claims@example.com', phone_number: null, app_metadata: {} });
    assert.equal(payload.client_id, claims.client_id);
    assert.equal(payload.claims.sub, userId);
    assert.equal(payload.claims.sid, claims.sid);
    assert.equal(payload.claims.role, undefined);

    // Refresh asks again.
    const before = hooks.calls('/claims').length;
    hooks.answers['/claims'] = { status: 200, body: JSON.stringify({ claims: { role: 'writer' } }) };
    const refreshed = await server.post('/token/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(refreshed.status, 200);
    assert.equal(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token).role, 'writer');
    assert.equal(hooks.calls('/claims').length, before + 1);
  });

  it('never lets the hook override reserved claims (S43)', async () => {
    hooks.answers['/claims'] = {
      status: 200,
      // A "__proto__" key as JSON carries it (an object literal would not).
      body: JSON.stringify({ claims: {
        iss: 'https://evil.example', sub: 'someone-else', aud: 'other', exp: 9999999999, iat: 1, nbf: 1, jti: 'x', client_id: 'evil',
        sid: 'other-session', typ: 'x', scope: 'admin', auth_time: 9999999999, amr: ['hwk'], plan: 'gold',
      } }).replace('{"iss"', '{"__proto__":{"polluted":true},"iss"'),
    };
    const response = await signedInTokens('reserved@example.com');
    assert.equal(response.status, 200);
    const claims = decodeJwt(((await response.json()) as { access_token: string }).access_token);
    const userId = (await db.pool.query('SELECT id FROM users WHERE email = $1', ['reserved@example.com'])).rows[0].id as string;
    assert.equal(claims.sub, userId);
    assert.equal(claims.iss, 'https://auth.sesame.test');
    assert.notEqual(claims.aud, 'other');
    assert.ok(claims.exp! < 9999999999);
    assert.notEqual(claims.jti, 'x');
    assert.notEqual(claims.client_id, 'evil');
    assert.notEqual(claims.sid, 'other-session');
    assert.equal(claims.scope, undefined);
    assert.equal(claims.typ, undefined);
    assert.notEqual(claims.auth_time, 9999999999);
    assert.deepEqual(claims.amr, ['otp']);
    assert.equal(claims.plan, 'gold');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(claims.polluted, undefined);
    assert.equal(Object.hasOwn(claims, '__proto__'), false);
    hooks.reset();
  });

  it('answers 503 hook_unavailable when the custom-claims hook times out, fails or answers malformed JSON, counting each', async () => {
    const cases: [Answer, string][] = [
      [{ status: 200, delayMs: 1_000, body: '{"claims":{}}' }, 'timeout'],
      [{ status: 500, body: '{"claims":{}}' }, 'status'],
      [{ status: 200, body: 'not json' }, 'malformed'],
      [{ status: 200, body: '{"claims":"role=admin"}' }, 'malformed'],
      [{ status: 200, body: JSON.stringify({ claims: { blob: 'x'.repeat(9_000) } }) }, 'too_large'],
    ];
    let count = 0;
    for (const [answer, reason] of cases) {
      hooks.answers['/claims'] = answer;
      const counted = failures('custom_claims', reason);
      const started = Date.now();
      const response = await signedInTokens('claims-down@example.com', ++count);
      assert.deepEqual(await problem(response), { status: 503, code: 'hook_unavailable' }, reason);
      assert.equal(failures('custom_claims', reason), counted + 1, reason);
      if (reason === 'timeout') assert.ok(Date.now() - started < 1_000, 'the deadline holds');
    }
    // Logged without the answer's body: every reason has its line (the second malformed answer,
    // within the same second, is left out of the log and counted), and none is a failed request.
    const logged = server.logs.filter((line) => line.includes('"hook failed"'));
    assert.deepEqual(new Set(logged.map((line) => (JSON.parse(line) as { reason: string }).reason)), new Set(cases.map(([, reason]) => reason)));
    assert.ok(!logged.join('').includes('role=admin') && !logged.join('').includes('xxxxxxxx'));
    assert.equal(server.logs.filter((line) => line.includes('"request failed"')).length, 0);
    hooks.reset();
  });

  it('registers an unknown identifier only when the before-user-created hook allows it; a refusal looks like registration off', async () => {
    hooks.answers['/before'] = { status: 200, body: '{"allow":false}' };
    const refused = await requestCode('refused@example.com');
    const refusedBody = await refused.text();
    assert.equal(refused.status, 202);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'refused@example.com'`)).rows[0].n, 0);
    await server.app.services.delivery.drain();
    assert.deepEqual(await ses.emails('refused@example.com'), []);
    const call = hooks.calls('/before').at(-1)!;
    const payload = new Webhook(secret).verify(call.body, call.headers) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload).sort(), ['client_id', 'email']);
    assert.equal(payload.email, 'refused@example.com');

    hooks.answers['/before'] = { status: 200, body: '{"allow":true}' };
    const allowed = await requestCode('allowed@example.com');
    assert.equal(allowed.status, 202);
    assert.equal(await allowed.text(), refusedBody);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'allowed@example.com'`)).rows[0].n, 1);
    await codeFor('allowed@example.com', 1);

    // A known identifier is asked too (equal timing, S17), and signs in whatever the answer.
    await createUser(db, 'known@example.com');
    hooks.answers['/before'] = { status: 200, body: '{"allow":false}' };
    const asked = hooks.calls('/before').length;
    assert.equal((await requestCode('known@example.com')).status, 202);
    await codeFor('known@example.com', 1);
    assert.equal(hooks.calls('/before').length, asked + 1);
    hooks.reset();
  });

  it('answers 503 hook_unavailable, storing and sending nothing, when the before-user-created hook times out or answers malformed', async () => {
    for (const [answer, reason] of [
      [{ status: 200, delayMs: 1_000, body: '{"allow":true}' }, 'timeout'],
      [{ status: 200, body: '{"allow":"yes"}' }, 'malformed'],
      [{ status: 200, body: '<html>' }, 'malformed'],
      [{ status: 502 }, 'status'],
    ] as [Answer, string][]) {
      hooks.answers['/before'] = answer;
      const counted = failures('before_user_created', reason);
      const response = await requestCode('undecided@example.com');
      assert.deepEqual(await problem(response), { status: 503, code: 'hook_unavailable' }, reason);
      assert.equal(failures('before_user_created', reason), counted + 1);
    }
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'undecided@example.com'`)).rows[0].n, 0);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM one_time_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = 'undecided@example.com'`)).rows[0].n, 0);
    hooks.reset();
  });

  it('logs a hook that keeps failing once a second per hook and reason, not once per request; the counter has every failure', async () => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, HOOK_FAILURE_LOG_INTERVAL_MS + 100));
    hooks.answers['/before'] = { status: 503 };
    await pause(); // the earlier tests' lines for this hook and reason are over a second old
    const from = server.logs.length;
    const counted = failures('before_user_created', 'status');
    const started = performance.now();
    for (let i = 0; i < 10; i += 1) {
      assert.deepEqual(await problem(await requestCode(`burst-${i}@example.com`)), { status: 503, code: 'hook_unavailable' });
    }
    const elapsed = performance.now() - started;
    const hookLines = () => server.logs.slice(from).filter((line) => line.includes('"hook failed"')).map((line) => JSON.parse(line) as { hook: string; reason: string; suppressed?: number });
    const inBurst = hookLines().length;
    if (elapsed < HOOK_FAILURE_LOG_INTERVAL_MS) assert.equal(inBurst, 1, 'ten failures within a second: one line');
    else assert.ok(inBurst <= Math.ceil(elapsed / HOOK_FAILURE_LOG_INTERVAL_MS), `${inBurst} lines in ${Math.round(elapsed)} ms`);
    assert.equal(failures('before_user_created', 'status'), counted + 10);

    // A second later the next failure is logged, saying how many were left out: every failure is
    // either a line or counted in one, and none was logged as a failed request.
    await pause();
    assert.deepEqual(await problem(await requestCode('burst-after@example.com')), { status: 503, code: 'hook_unavailable' });
    const lines = hookLines();
    assert.equal(lines.length, inBurst + 1);
    assert.ok(lines.every((line) => line.hook === 'before_user_created' && line.reason === 'status'));
    assert.equal(lines.length + lines.reduce((sum, line) => sum + (line.suppressed ?? 0), 0), 11);
    assert.equal(lines.at(-1)!.suppressed, 10 - inBurst);
    assert.equal(server.logs.slice(from).filter((line) => line.includes('"request failed"')).length, 0);
    hooks.reset();
  });
});

describe('hooks (failure mode allow) and SIGNUP_ALLOWED_EMAIL_DOMAINS', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;
  let ses: SesLocal;
  let receiver: WebhookReceiver;
  let hooks: ReturnType<typeof hookEndpoints>;

  before(async () => {
    ({ db, ses, receiver, hooks, server } = await startHookedApp(suite, {
      HOOK_SECRET: newWebhookSecret(),
      HOOK_CUSTOM_CLAIMS_ON_FAILURE: 'allow',
      HOOK_BEFORE_USER_CREATED_ON_FAILURE: 'allow',
      SIGNUP_ALLOWED_EMAIL_DOMAINS: 'example.com',
    }));
  });

  async function signIn(email: string): Promise<Response> {
    const count = (await ses.emails(email)).length;
    assert.equal((await server.post('/passwordless/request/email', { email })).status, 202);
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > count ? emails.at(-1) : undefined;
    });
    return server.post('/passwordless/exchange/email', { email, token: codeIn(mail.body.text ?? '') });
  }

  it('signs the token without the hook\'s claims when the hook times out or answers malformed', async () => {
    hooks.answers['/claims'] = { status: 200, delayMs: 1_000, body: '{"claims":{"role":"late"}}' };
    const timedOut = await signIn('late@example.com');
    assert.equal(timedOut.status, 200);
    const claims = decodeJwt(((await timedOut.json()) as { access_token: string }).access_token);
    assert.equal(claims.role, undefined);
    assert.equal(claims.email, 'late@example.com');
    hooks.answers['/claims'] = { status: 200, body: JSON.stringify({ claims: { blob: 'x'.repeat(9_000), role: 'big' } }) };
    const big = await signIn('late@example.com');
    assert.equal(big.status, 200);
    const token = ((await big.json()) as { access_token: string }).access_token;
    assert.ok(token.length < 8 * 1024);
    assert.equal(decodeJwt(token).role, undefined);
    hooks.answers['/claims'] = { status: 503 };
    assert.equal((await signIn('late@example.com')).status, 200);
    hooks.reset();
  });

  it('registers when the before-user-created hook fails under allow', async () => {
    hooks.answers['/before'] = { status: 200, body: 'garbage' };
    assert.equal((await server.post('/passwordless/request/email', { email: 'fallback@example.com' })).status, 202);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'fallback@example.com'`)).rows[0].n, 1);
    hooks.reset();
  });

  it('registers only email addresses at SIGNUP_ALLOWED_EMAIL_DOMAINS, without asking the hook for others', async () => {
    const asked = hooks.calls('/before').length;
    const outside = await server.post('/passwordless/request/email', { email: 'someone@elsewhere.org' });
    assert.equal(outside.status, 202);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'someone@elsewhere.org'`)).rows[0].n, 0);
    assert.equal(hooks.calls('/before').length, asked);
    await server.app.services.delivery.drain();
    assert.deepEqual(await ses.emails('someone@elsewhere.org'), []);
    // A known account outside the list still signs in: the list only governs registration.
    await createUser(db, 'member@elsewhere.org');
    assert.equal((await signIn('member@elsewhere.org')).status, 200);
  });
});
