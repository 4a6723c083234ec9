// The rules of one-time codes over real HTTP and PostgreSQL: throttle, lifetime, uses, guess
// limits, invalidation, binding, concurrency, registration and the admin switch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestDatabase } from '../helpers/database.ts';
import { codeIn, createTestClock, eventually, type TestApp, type TestClock } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { suiteScope, eachTestScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';

describe('one-time codes', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let counter = 0;

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
  });
  // Each test's apps stop with it: their outbox dispatchers share this database and would
  // otherwise claim a later test's jobs with their own clock.
  const each = eachTestScope();

  async function start(env: Record<string, string> = {}, clock: TestClock = createTestClock()): Promise<TestApp & { clock: TestClock }> {
    const app = await withTestApp(each, { db, clock, env });
    return Object.assign(app, { clock });
  }

  function uniqueEmail(label: string): string {
    counter += 1;
    return `${label}-${counter}-${process.pid}@example.com`;
  }

  async function mailCount(email: string): Promise<number> {
    return (await ses.emails(email)).length;
  }

  /** Requests a code and returns it as delivered. */
  async function requestCode(app: TestApp, email: string): Promise<string> {
    const before = await mailCount(email);
    const response = await app.post('/passwordless/request/email', { email });
    assert.equal(response.status, 202);
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    return codeIn(mail.body.text ?? '');
  }

  function exchange(app: TestApp, email: string, token: string): Promise<Response> {
    return app.post('/passwordless/exchange/email', { email, token });
  }

  async function expectInvalidToken(response: Response): Promise<void> {
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const body = await response.json();
    assert.deepEqual(body, {
      type: 'about:blank',
      title: 'Invalid token',
      status: 400,
      detail: 'The token is invalid or expired.',
      code: 'invalid_token',
    });
  }

  function wrongCode(code: string): string {
    return code === '000000' ? '111111' : '000000';
  }

  /** Lets the background sender settle so a later count is final. */
  async function settle(app: TestApp): Promise<void> {
    await app.app.services.delivery.drain();
  }

  it('throttles a second request for the same address with 429 and Retry-After, known or unknown (S7)', async () => {
    const app = await start();
    const known = uniqueEmail('throttle-known');
    await createUser(db, known);
    const unknown = uniqueEmail('throttle-unknown');
    for (const email of [known, unknown]) {
      assert.equal((await app.post('/passwordless/request/email', { email })).status, 202);
      app.clock.advance(20);
      const second = await app.post('/passwordless/request/email', { email: email.toUpperCase() });
      assert.equal(second.status, 429);
      assert.equal(second.headers.get('retry-after'), '40');
      assert.equal(second.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(((await second.json()) as { code: string }).code, 'throttled');
      app.clock.advance(40);
      assert.equal((await app.post('/passwordless/request/email', { email })).status, 202);
    }
    await settle(app);
    assert.equal(await mailCount(known), 2);
    assert.equal(await mailCount(unknown), 0);
  });

  it('sends nothing and creates nobody for an unknown address by default', async () => {
    const app = await start();
    const email = uniqueEmail('unknown');
    assert.equal((await app.post('/passwordless/request/email', { email })).status, 202);
    await settle(app);
    assert.equal(await mailCount(email), 0);
    const { rowCount } = await db.pool.query('SELECT 1 FROM users WHERE email = $1', [email]);
    assert.equal(rowCount, 0);
  });

  it('registers an unknown address on request with REGISTER_NONEXISTENT_USERS, and verifies it on sign-in', async () => {
    const app = await start({ REGISTER_NONEXISTENT_USERS: 'true' });
    const email = uniqueEmail('register');
    const code = await requestCode(app, email);
    const { rows } = await db.pool.query('SELECT email_verified, last_login_at FROM users WHERE email = $1', [email]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].email_verified, false);
    assert.equal(rows[0].last_login_at, null);
    assert.equal((await exchange(app, email, code)).status, 200);
    const after = await db.pool.query('SELECT email_verified FROM users WHERE email = $1', [email]);
    assert.equal(after.rows[0].email_verified, true);
  });

  it('refuses admin accounts unless ALLOW_ADMIN_AUTHENTICATION, without telling the caller', async () => {
    const strict = await start();
    const email = uniqueEmail('admin');
    await createUser(db, email, { isAdmin: true });
    const refused = await strict.post('/passwordless/request/email', { email });
    assert.equal(refused.status, 202);
    assert.deepEqual(await refused.json(), { detail: 'If this identifier can sign in, a code is on its way.' });
    await settle(strict);
    assert.equal(await mailCount(email), 0);

    const lenient = await start({ ALLOW_ADMIN_AUTHENTICATION: 'true' });
    lenient.clock.advance(61);
    const code = await requestCode(lenient, email);
    // The switch is checked at exchange too: the strict instance will not sign the admin in.
    await expectInvalidToken(await exchange(strict, email, code));
  });

  it('lets an admin sign in when ALLOW_ADMIN_AUTHENTICATION is set', async () => {
    const app = await start({ ALLOW_ADMIN_AUTHENTICATION: 'true' });
    const email = uniqueEmail('admin-ok');
    await createUser(db, email, { isAdmin: true });
    const code = await requestCode(app, email);
    assert.equal((await exchange(app, email, code)).status, 200);
  });

  it('refuses disabled users at request and at exchange (S18)', async () => {
    const app = await start();
    const email = uniqueEmail('disabled');
    const id = await createUser(db, email);
    const code = await requestCode(app, email);
    await db.pool.query('UPDATE users SET disabled = true WHERE id = $1', [id]);
    await expectInvalidToken(await exchange(app, email, code));
    app.clock.advance(61);
    assert.equal((await app.post('/passwordless/request/email', { email })).status, 202);
    await settle(app);
    assert.equal(await mailCount(email), 1);
  });

  it('expires codes after TOKEN_LIFETIME, checked in the database query (S3)', async () => {
    const app = await start({ TOKEN_LIFETIME: '120' });
    const email = uniqueEmail('expiry');
    await createUser(db, email);
    const code = await requestCode(app, email);
    app.clock.advance(120);
    await expectInvalidToken(await exchange(app, email, code));
    // The row is untouched: the expired token was never even claimed.
    const { rows } = await db.pool.query('SELECT uses, attempts FROM one_time_tokens WHERE destination = $1', [email]);
    assert.deepEqual(rows, [{ uses: 0, attempts: 0 }]);
  });

  it('accepts a code just before it expires', async () => {
    const app = await start({ TOKEN_LIFETIME: '120' });
    const email = uniqueEmail('almost-expired');
    await createUser(db, email);
    const code = await requestCode(app, email);
    app.clock.advance(119);
    assert.equal((await exchange(app, email, code)).status, 200);
  });

  it('spends a code on use: MAX_TOKEN_USES=1 by default (S4)', async () => {
    const app = await start();
    const email = uniqueEmail('reuse');
    await createUser(db, email);
    const code = await requestCode(app, email);
    assert.equal((await exchange(app, email, code)).status, 200);
    await expectInvalidToken(await exchange(app, email, code));
  });

  it('allows MAX_TOKEN_USES uses and no more', async () => {
    const app = await start({ MAX_TOKEN_USES: '3' });
    const email = uniqueEmail('three-uses');
    await createUser(db, email);
    const code = await requestCode(app, email);
    for (let i = 0; i < 3; i++) assert.equal((await exchange(app, email, code)).status, 200);
    await expectInvalidToken(await exchange(app, email, code));
    const { rows } = await db.pool.query('SELECT uses, attempts FROM one_time_tokens WHERE destination = $1', [email]);
    // Correct guesses are refunded, so only wrong ones count against the guess budget.
    assert.deepEqual(rows, [{ uses: 3, attempts: 0 }]);
  });

  it('kills a code after MAX_TOKEN_ATTEMPTS wrong guesses, even for the right code afterwards (S5)', async () => {
    const app = await start();
    const email = uniqueEmail('brute');
    await createUser(db, email);
    const code = await requestCode(app, email);
    for (let i = 0; i < 5; i++) await expectInvalidToken(await exchange(app, email, wrongCode(code)));
    await expectInvalidToken(await exchange(app, email, code));
    const { rows } = await db.pool.query('SELECT uses, attempts FROM one_time_tokens WHERE destination = $1', [email]);
    assert.deepEqual(rows, [{ uses: 0, attempts: 5 }]);
  });

  it('kills the magic link with its code: after MAX_TOKEN_ATTEMPTS wrong guesses the link no longer signs in (S5)', async () => {
    const app = await start({ PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/login?token={token}' });
    const email = uniqueEmail('brute-link');
    await createUser(db, email);
    const code = await requestCode(app, email);
    const mail = (await ses.emails(email)).at(-1)!;
    const link = /token=([a-z0-9]{64})/.exec(mail.body.text ?? '')![1]!;
    for (let i = 0; i < 5; i++) await expectInvalidToken(await exchange(app, email, wrongCode(code)));
    await expectInvalidToken(await app.post('/passwordless/exchange/standalone', { token: link }));
    const { rows } = await db.pool.query('SELECT uses, attempts FROM one_time_tokens WHERE destination = $1', [email]);
    assert.deepEqual(rows, [{ uses: 0, attempts: 5 }]);
  });

  it('counts concurrent wrong guesses atomically: 30 parallel guesses never exceed the limit (S5)', async () => {
    const app = await start({ MAX_TOKEN_ATTEMPTS: '3' });
    const email = uniqueEmail('parallel-guess');
    await createUser(db, email);
    const code = await requestCode(app, email);
    const guesses = Array.from({ length: 30 }, (_, i) => String(i).padStart(6, '9')).filter((guess) => guess !== code);
    await Promise.all(guesses.map((guess) => exchange(app, email, guess)));
    const { rows } = await db.pool.query('SELECT attempts FROM one_time_tokens WHERE destination = $1', [email]);
    assert.equal(rows[0].attempts, 3);
    await expectInvalidToken(await exchange(app, email, code));
  });

  it('keeps a small guess budget when MAX_TOKEN_ATTEMPTS is 1: the first wrong guess kills the code', async () => {
    const app = await start({ MAX_TOKEN_ATTEMPTS: '1' });
    const email = uniqueEmail('one-attempt');
    await createUser(db, email);
    const code = await requestCode(app, email);
    await expectInvalidToken(await exchange(app, email, wrongCode(code)));
    await expectInvalidToken(await exchange(app, email, code));
  });

  it('counts failures per address across codes, so asking for a new code does not reset the budget (S6)', async () => {
    const app = await start({ MAX_DESTINATION_FAILURES_PER_HOUR: '8', MAX_TOKEN_ATTEMPTS: '4', TOKEN_REQUEST_THROTTLE_SECONDS: '0' });
    const email = uniqueEmail('budget');
    await createUser(db, email);
    for (let round = 0; round < 2; round++) {
      const code = await requestCode(app, email);
      for (let i = 0; i < 4; i++) await expectInvalidToken(await exchange(app, email, wrongCode(code)));
    }
    const fresh = await requestCode(app, email);
    await expectInvalidToken(await exchange(app, email, fresh));
    // An hour later the budget is back.
    app.clock.advance(3601);
    const later = await requestCode(app, email);
    assert.equal((await exchange(app, email, later)).status, 200);
  });

  // The attack from the review: four code requests and 20 wrong guesses from the attacker's own
  // network used to spend the victim's hourly budget and refuse their correct fresh code.
  it("counts wrong guesses per source network, so a third party's guesses cannot lock the owner out (S6, S38)", async () => {
    const app = await start({ TRUSTED_PROXIES: '127.0.0.1', TOKEN_REQUEST_THROTTLE_SECONDS: '0' });
    const email = uniqueEmail('lockout');
    await createUser(db, email);
    const attacker = (suffix: number) => ({ 'x-forwarded-for': `198.51.100.${suffix}` });
    for (let round = 0; round < 4; round++) {
      const code = await requestCode(app, email);
      // Two addresses of one /24: the same network, one budget.
      for (let i = 0; i < 5; i++) {
        const response = await app.post('/passwordless/exchange/email', { email, token: wrongCode(code) }, attacker(7 + (i % 2)));
        await expectInvalidToken(response);
      }
    }
    const { rows } = await db.pool.query('SELECT network, failures FROM guess_failures WHERE destination = $1 ORDER BY network', [email]);
    assert.deepEqual(rows, [{ network: '198.51.100.0/24', failures: 10 }], 'the /24 spent its hourly budget of 10 and no more');
    // The attacker's network is out of guesses, even with the right code.
    const seen = await requestCode(app, email);
    const attackerTry = await app.post('/passwordless/exchange/email', { email, token: seen }, attacker(9));
    await expectInvalidToken(attackerTry);
    // The owner, on another network, still signs in with a fresh code.
    const fresh = await requestCode(app, email);
    const owner = await app.post('/passwordless/exchange/email', { email, token: fresh }, { 'x-forwarded-for': '203.0.113.20' });
    assert.equal(owner.status, 200);
    const after = await db.pool.query("SELECT failures FROM guess_failures WHERE destination = $1 AND network = '203.0.113.0/24'", [email]);
    assert.deepEqual(after.rows, [{ failures: 0 }], 'a right code is no failure');
  });

  it('caps wrong guesses per destination per day across networks, one network at a third of it (S6)', async () => {
    const clock = createTestClock(new Date(Date.UTC(2032, 5, 1, 10, 5)));
    const app = await start({ TRUSTED_PROXIES: '127.0.0.1', TOKEN_REQUEST_THROTTLE_SECONDS: '0', MAX_DESTINATION_FAILURES_PER_HOUR: '3', MAX_DESTINATION_FAILURES_PER_DAY: '6', MAX_TOKEN_ATTEMPTS: '10' }, clock);
    const email = uniqueEmail('ceiling');
    await createUser(db, email);
    const from = (network: number) => ({ 'x-forwarded-for': `10.${network}.0.1` });
    const guess = async (network: number, code: string) => app.post('/passwordless/exchange/email', { email, token: code }, from(network));
    let code = await requestCode(app, email);
    // Network 1: two wrong guesses use its daily share (6 / 3 = 2), under its hourly 3.
    await expectInvalidToken(await guess(1, wrongCode(code)));
    await expectInvalidToken(await guess(1, wrongCode(code)));
    await expectInvalidToken(await guess(1, code));
    // Networks 2 and 3 spend the rest of the daily ceiling: now every network is refused.
    for (const network of [2, 2, 3, 3]) await expectInvalidToken(await guess(network, wrongCode(code)));
    await expectInvalidToken(await guess(4, code));
    const { rows } = await db.pool.query('SELECT sum(failures)::int AS total FROM guess_failures WHERE destination = $1', [email]);
    assert.equal(rows[0].total, 6);
    // The ceiling looks back 24 hours from the current minute; past that it has room again.
    clock.advance(24 * 3600 + 60);
    code = await requestCode(app, email);
    assert.equal((await guess(4, code)).status, 200);
  });

  it('spends a use on a wrong guess with INCORRECT_SHORT_TOKEN_REDEEMS_TOKEN', async () => {
    const app = await start({ INCORRECT_SHORT_TOKEN_REDEEMS_TOKEN: 'true' });
    const email = uniqueEmail('redeems');
    await createUser(db, email);
    const code = await requestCode(app, email);
    await expectInvalidToken(await exchange(app, email, wrongCode(code)));
    await expectInvalidToken(await exchange(app, email, code));
    const { rows } = await db.pool.query('SELECT uses FROM one_time_tokens WHERE destination = $1', [email]);
    assert.equal(rows[0].uses, 1);
  });

  it('does not spend a use on a wrong guess by default', async () => {
    const app = await start();
    const email = uniqueEmail('not-redeems');
    await createUser(db, email);
    const code = await requestCode(app, email);
    await expectInvalidToken(await exchange(app, email, wrongCode(code)));
    assert.equal((await exchange(app, email, code)).status, 200);
  });

  it('invalidates the previous code when a new one is requested (S7)', async () => {
    const app = await start();
    const email = uniqueEmail('newer');
    await createUser(db, email);
    const first = await requestCode(app, email);
    app.clock.advance(61);
    const second = await requestCode(app, email);
    if (first !== second) await expectInvalidToken(await exchange(app, email, first));
    assert.equal((await exchange(app, email, second)).status, 200);
    const { rows } = await db.pool.query(
      'SELECT revoked_at IS NOT NULL AS revoked FROM one_time_tokens WHERE destination = $1 ORDER BY id',
      [email],
    );
    assert.deepEqual(rows, [{ revoked: true }, { revoked: false }]);
  });

  it('binds a code to its address: a code sent to A never signs in B (S10)', async () => {
    const app = await start();
    const a = uniqueEmail('bind-a');
    const b = uniqueEmail('bind-b');
    await createUser(db, a);
    await createUser(db, b);
    const codeA = await requestCode(app, a);
    const codeB = await requestCode(app, b);
    if (codeA !== codeB) await expectInvalidToken(await exchange(app, b, codeA));
    assert.equal((await exchange(app, a, codeA)).status, 200);
  });

  it('lets exactly one of 20 concurrent exchanges of one valid code succeed (S4)', async () => {
    const app = await start();
    const email = uniqueEmail('race');
    await createUser(db, email);
    const code = await requestCode(app, email);
    const responses = await Promise.all(Array.from({ length: 20 }, () => exchange(app, email, code)));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, ...Array(19).fill(400)]);
    const { rows } = await db.pool.query('SELECT uses FROM one_time_tokens WHERE destination = $1', [email]);
    assert.equal(rows[0].uses, 1);
  });

  it('answers every exchange failure with one identical error (S18)', async () => {
    const app = await start();
    const email = uniqueEmail('failures');
    await createUser(db, email);
    const code = await requestCode(app, email);
    const failures = [
      exchange(app, email, wrongCode(code)),
      exchange(app, uniqueEmail('nobody'), code),
      exchange(app, email, 'not-a-code'),
      app.post('/passwordless/exchange/standalone', { token: 'a'.repeat(64) }),
      app.post('/passwordless/exchange/email', { email }),
      app.post('/passwordless/exchange/email', { email: 'not an email', token: code }),
    ];
    for (const response of await Promise.all(failures)) await expectInvalidToken(response);
  });

  it('uses SHORT_TOKEN_LENGTH and SHORT_TOKEN_CHARS, accepting either case of a single-case alphabet', async () => {
    const app = await start({ SHORT_TOKEN_LENGTH: '8', SHORT_TOKEN_CHARS: 'A-Z' });
    const email = uniqueEmail('letters');
    await createUser(db, email);
    const before = await mailCount(email);
    await app.post('/passwordless/request/email', { email });
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    const code = /\b([A-Z]{8})\b/.exec(mail.body.text ?? '')?.[1];
    assert.ok(code, 'an eight-letter code was sent');
    assert.equal((await exchange(app, email, code.toLowerCase())).status, 200);
  });

  it('uses LONG_TOKEN_LENGTH and LONG_TOKEN_CHARS for magic links', async () => {
    const app = await start({ PASSWORDLESS_EMAIL_LOGIN_URL: 'my-app://login/{token}', LONG_TOKEN_LENGTH: '40', LONG_TOKEN_CHARS: 'a-zA-Z0-9' });
    const email = uniqueEmail('long');
    await createUser(db, email);
    const before = await mailCount(email);
    await app.post('/passwordless/request/email', { email });
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    const token = /my-app:\/\/login\/([A-Za-z0-9]+)/.exec(mail.body.text ?? '')?.[1];
    assert.equal(token?.length, 40);
    assert.equal((await app.post('/passwordless/exchange/standalone', { token })).status, 200);
  });

  it('sends no magic link when PASSWORDLESS_EMAIL_LOGIN_URL is unset, and stores no long token', async () => {
    const app = await start();
    const email = uniqueEmail('no-link');
    await createUser(db, email);
    await requestCode(app, email);
    const mail = (await ses.emails(email)).at(-1)!;
    assert.ok(!/https?:\/\//.test(mail.body.text ?? ''));
    const { rows } = await db.pool.query('SELECT long_hash FROM one_time_tokens WHERE destination = $1', [email]);
    assert.equal(rows[0].long_hash, null);
  });
});
