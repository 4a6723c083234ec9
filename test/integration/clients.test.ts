// Clients (applications) against the real server and the real CLI: `npm run clients` writes the
// clients table and every replica picks the change up within CLIENT_RELOAD_INTERVAL; a code,
// link or refresh token works only under the client it was issued for; each client's tokens
// carry its client_id, audience and lifetime; its messages carry its name, login URL and sender.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { codeIn, createTestClock, eventually, testEnv, type TestApp } from '../helpers/app.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';

interface CliResult { code: number; stdout: string; stderr: string }

describe('clients (applications)', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  let server: TestApp;
  let replica: TestApp;
  const clock = createTestClock();

  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
    db = await withDatabase(suite);
    // Two replicas on one database; each rereads the clients table every second.
    server = await withTestApp(suite, { db, clock, env: { CLIENT_RELOAD_INTERVAL: '1', PASSWORDLESS_EMAIL_LOGIN_URL: 'https://auth.sesame.test/magic?token={token}' } });
    replica = await withTestApp(suite, { db, clock, env: { CLIENT_RELOAD_INTERVAL: '1' } });
  });

  /** `npm run clients -- ...args` against the test database. */
  function cli(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/clients.ts', ...args], { env: { ...process.env, ...testEnv(db), LOG_LEVEL: 'warn' } }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? 1, stdout, stderr });
      });
    });
  }

  async function clientRows(): Promise<string[]> {
    const { rows } = await db.pool.query<{ client_id: string }>('SELECT client_id FROM clients ORDER BY client_id');
    return rows.map((row) => row.client_id);
  }

  async function mailTo(email: string, request: () => Promise<Response>): Promise<{ code: string; text: string; subject: string; from: string }> {
    const before = (await ses.emails(email)).length;
    const response = await request();
    assert.equal(response.status, 202, await response.clone().text());
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    const text = mail.body.text ?? '';
    return { code: codeIn(text), text, subject: mail.subject, from: mail.from };
  }

  it('adds, updates, lists and removes clients with the CLI, printing JSON', async () => {
    const added = await cli('add', 'shop', '--name', 'Shop', '--origin', 'https://shop.example.test', '--origin', 'http://localhost:5173',
      '--login-url', 'https://shop.example.test/magic#{token}', '--methods', 'email', '--audience', 'shop-api',
      '--access-token-ttl', '300', '--refresh-token-ttl', '86400');
    assert.equal(added.code, 0, added.stderr);
    const client = JSON.parse(added.stdout) as Record<string, unknown>;
    assert.deepEqual({ ...client, created_at: undefined, updated_at: undefined }, {
      client_id: 'shop', name: 'Shop', allowed_origins: ['https://shop.example.test', 'http://localhost:5173'],
      login_url: 'https://shop.example.test/magic#{token}', allowed_methods: ['email'], audience: 'shop-api',
      access_token_ttl: 300, refresh_token_ttl: 86400, refresh_token_delivery: 'body', email_from: null,
      default: false, stored: true, created_at: undefined, updated_at: undefined,
    });

    const updated = await cli('update', 'shop', '--email-from', 'Shop <login@shop.example.test>');
    assert.equal(updated.code, 0, updated.stderr);
    const changed = JSON.parse(updated.stdout) as { email_from: string; access_token_ttl: number };
    assert.equal(changed.email_from, 'Shop <login@shop.example.test>');
    assert.equal(changed.access_token_ttl, 300, 'fields not named are kept');

    const listed = await cli('list');
    assert.equal(listed.code, 0);
    const list = JSON.parse(listed.stdout) as { client_id: string; default: boolean; stored: boolean; audience: string }[];
    assert.deepEqual(list.map((entry) => [entry.client_id, entry.default, entry.stored]), [['sesame', true, false], ['shop', false, true]]);
    assert.equal(list[0]!.audience, 'sesame-tests', 'the default client is the environment\'s');

    assert.equal((await server.app.services.clients.add('temporary', {})).outcome, 'ok');
    const removed = await cli('remove', 'temporary');
    assert.equal(removed.code, 0);
    assert.deepEqual(JSON.parse(removed.stdout), { client_id: 'temporary', removed: true });
    assert.deepEqual(await clientRows(), ['shop']);
    const again = await cli('remove', 'temporary');
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim(), 'client_id: no client "temporary"');
  });

  it('refuses invalid values with one line per problem, exits non-zero and writes nothing', async () => {
    const before = await clientRows();
    const result = await cli('add', 'Bad App', '--origin', 'https://ok.example.test/path', '--origin', 'https://*.example.test',
      '--login-url', 'javascript:alert(1)//{token}', '--methods', 'email,fax', '--refresh-token', 'localStorage', '--access-token-ttl', '10');
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      'client_id: "Bad App" is not a client id (1 to 64 characters of a-z, 0-9, _ and -)',
      '--origin: "https://ok.example.test/path" is not an origin (scheme://host[:port], no path, no wildcard); "https://*.example.test": wildcards are not allowed in an origin',
      '--login-url: "javascript:alert(1)//{token}": javascript: login URLs are not allowed',
      '--methods: unknown method "fax" (use email, mobile)',
      '--access-token-ttl: must be a whole number of seconds between 60 and 86400',
      '--refresh-token: "localStorage" is not one of body, cookie',
    ]);
    assert.equal(result.stdout, '');
    for (const args of [
      ['add', 'plain', '--login-url', 'http://shop.example.test/{token}', '--access-token-ttl', 'soon'],
      ['update', 'shop', '--email-from', 'not an address'],
    ]) {
      const refused = await cli(...args);
      assert.equal(refused.code, 1, args.join(' '));
      assert.equal(refused.stderr.trim().split('\n').length, args.length === 6 ? 2 : 1, refused.stderr);
    }
    assert.deepEqual(await clientRows(), before);
    const { rows } = await db.pool.query<{ email_from: string }>('SELECT email_from FROM clients WHERE client_id = $1', ['shop']);
    assert.equal(rows[0]!.email_from, 'Shop <login@shop.example.test>');
  });

  it('lets every replica use a client the CLI added, within CLIENT_RELOAD_INTERVAL', async () => {
    const result = await cli('add', 'late', '--origin', 'https://late.example.test');
    assert.equal(result.code, 0, result.stderr);
    for (const app of [server, replica]) {
      await eventually(async () => {
        const response = await app.post('/passwordless/request/email', { email: 'late@example.com', client_id: 'late' }, { origin: 'https://late.example.test' });
        return response.status === 400 ? undefined : response.status;
      }, 5_000);
    }
    const removed = await cli('remove', 'late');
    assert.equal(removed.code, 0);
    await eventually(async () => {
      const response = await replica.post('/passwordless/request/email', { email: 'late2@example.com', client_id: 'late' });
      return response.status === 400 ? ((await response.json()) as { code: string }).code : undefined;
    }, 5_000).then((code) => assert.equal(code, 'invalid_client'));
  });

  it('sends the name, login URL and sender of the client, and its link signs in only under that client', async () => {
    const email = 'shopper@example.com';
    const userId = await createUser(db, email);
    await eventually(() => server.app.services.clients.find('shop'));
    const mail = await mailTo(email, () => server.post('/passwordless/request/email', { email, client_id: 'shop' }, { origin: 'https://shop.example.test' }));
    assert.match(mail.subject, /Shop/);
    assert.doesNotMatch(mail.subject, /Sesame/);
    assert.equal(mail.from, 'Shop <login@shop.example.test>');
    const link = /https:\/\/shop\.example\.test\/magic#(\S+)/.exec(mail.text);
    assert.ok(link, mail.text);
    const token = decodeURIComponent(link[1]!);

    // Under the default client the link is like any invalid token, and is not spent.
    const wrong = await server.post('/passwordless/exchange/standalone', { token });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { code: string }).code, 'invalid_token');
    const right = await server.post('/passwordless/exchange/standalone', { token, client_id: 'shop' });
    assert.equal(right.status, 200);
    const tokens = (await right.json()) as { access_token: string; refresh_token: string; expires_in: number };
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.client_id, 'shop');
    assert.equal(claims.aud, 'shop-api');
    assert.equal(claims.sub, userId);
    assert.equal(claims.exp! - claims.iat!, 300);
    assert.equal(tokens.expires_in, 300);
    // Sesame's own endpoints accept any client's audience.
    const me = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 200);
    const { rows } = await db.pool.query<{ client_id: string; ttl: number }>('SELECT client_id, extract(epoch FROM expires_at - created_at)::int AS ttl FROM sessions WHERE user_id = $1', [userId]);
    assert.deepEqual(rows, [{ client_id: 'shop', ttl: 86400 }]);

    // The refresh token is the shop's: under the default client it fails like an invalid one,
    // and is not spent or revoked.
    const refusedRefresh = await server.post('/token/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(refusedRefresh.status, 400);
    assert.deepEqual(await refusedRefresh.json(), { type: 'about:blank', title: 'Invalid token', status: 400, detail: 'The token is invalid or expired.', code: 'invalid_token' });
    const refreshed = await server.post('/token/refresh', { refresh_token: tokens.refresh_token, client_id: 'shop' });
    assert.equal(refreshed.status, 200);
    const again = decodeJwt(((await refreshed.json()) as { access_token: string }).access_token);
    assert.equal(again.aud, 'shop-api');
    assert.equal(again.client_id, 'shop');
  });

  it('exchanges a code only under the client it was requested under', async () => {
    const email = 'bound@example.com';
    await createUser(db, email);
    const { code } = await mailTo(email, () => server.post('/passwordless/request/email', { email }));
    const other = await server.post('/passwordless/exchange/email', { email, token: code, client_id: 'shop' });
    assert.equal(other.status, 400);
    assert.deepEqual(await other.json(), { type: 'about:blank', title: 'Invalid token', status: 400, detail: 'The token is invalid or expired.', code: 'invalid_token' });
    const own = await server.post('/passwordless/exchange/email', { email, token: code, client_id: 'sesame' });
    assert.equal(own.status, 200);
    const claims = decodeJwt(((await own.json()) as { access_token: string }).access_token);
    assert.equal(claims.client_id, 'sesame');
    assert.equal(claims.aud, 'sesame-tests');
  });

  it('names the client in its SMS text', async () => {
    const added = await server.app.services.clients.add('courier', { name: 'Courier', allowed_methods: ['mobile'] });
    assert.equal(added.outcome, 'ok');
    const phone = '+14155550188';
    await createUser(db, phone);
    const response = await server.post('/passwordless/request/mobile', { phone_number: phone, client_id: 'courier' });
    assert.equal(response.status, 202);
    const sms = await eventually(() => sns.messages.find((message) => message.phoneNumber === phone));
    assert.match(sms.message, /Courier/);
    assert.doesNotMatch(sms.message, /Sesame/);
    const refused = await server.post('/passwordless/request/email', { email: 'courier@example.com', client_id: 'courier' });
    assert.equal(((await refused.json()) as { code: string }).code, 'method_not_allowed');
  });

  it('answers a method the client does not allow with 400 method_not_allowed and stores nothing', async () => {
    const before = await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM one_time_tokens');
    const response = await server.post('/passwordless/request/mobile', { phone_number: '+14155550123', client_id: 'shop' });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, 'method_not_allowed');
    const after = await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM one_time_tokens');
    assert.equal(after.rows[0]!.count, before.rows[0]!.count);
  });

  it('answers known and unknown addresses alike under a named client (S17)', async () => {
    await createUser(db, 'known-shopper@example.com');
    const answers = [];
    for (const email of ['known-shopper@example.com', 'unknown-shopper@example.com']) {
      const response = await server.post('/passwordless/request/email', { email, client_id: 'shop' }, { origin: 'https://shop.example.test' });
      const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
      answers.push({ status: response.status, body: await response.text(), headers });
    }
    assert.deepEqual(answers[0], answers[1]);
  });
});
