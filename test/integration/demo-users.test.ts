// Demo identities (DEMO_USERS): a fixed code that is never sent, works until its expiry, is
// guess-limited like any code (S5, S6), audited, and refused in production unless allowed (S36).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { codeIn, createTestClock, eventually, startTestApp, testEnv, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';
import { startSnsFake, type SnsFake } from '../helpers/sns-fake.ts';

describe('demo identities', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  const apps: TestApp[] = [];
  const clock = createTestClock();

  before(async () => {
    ses = await startSesLocal();
    sns = await startSnsFake();
    useLocalAws({ ses: ses.url, sns: sns.url });
    db = await createTestDatabase();
  });
  // Each test's apps stop with it: their outbox dispatchers share this database and would
  // otherwise claim a later test's jobs with their own clock.
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await ses.close();
    await sns.close();
    await db.drop();
  });

  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp({ db, clock, env: { DEFAULT_PHONE_REGION: 'US', ...env } });
    apps.push(app);
    return app;
  }

  async function auditRows(app: TestApp, destination: string): Promise<{ event: string; outcome: string; reason: string | null; user_id: string | null }[]> {
    await app.app.services.delivery.drain();
    await app.app.services.audit.flush();
    const { rows } = await db.pool.query('SELECT event, outcome, reason, user_id FROM audit_events WHERE destination = $1 ORDER BY id', [destination]);
    return rows;
  }

  it('signs a demo email in with its fixed code, creating the user, sending nothing, auditing each use', async () => {
    const app = await start({ DEMO_USERS: ' Reviewer@Example.com=424242 ' });
    const request = await app.post('/passwordless/request/email', { email: 'REVIEWER@example.com' });
    assert.equal(request.status, 202);
    assert.deepEqual(await request.json(), { detail: 'If this identifier can sign in, a code is on its way.' });
    const exchange = await app.post('/passwordless/exchange/email', { email: 'reviewer@example.com', token: '424242' });
    assert.equal(exchange.status, 200);
    const { rows: users } = await db.pool.query("SELECT id, email_verified FROM users WHERE email = 'reviewer@example.com'");
    assert.equal(users.length, 1, 'the demo user was created');
    assert.equal(users[0].email_verified, true);

    // It keeps working: the next request stores the same fixed code again.
    clock.advance(61);
    assert.equal((await app.post('/passwordless/request/email', { email: 'reviewer@example.com' })).status, 202);
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'reviewer@example.com', token: '424242' })).status, 200);

    await app.app.services.delivery.drain();
    assert.equal((await ses.emails('reviewer@example.com')).length, 0, 'the fixed code is never sent');
    const userId = users[0].id;
    assert.deepEqual(await auditRows(app, 'r***@example.com'), [
      { event: 'code.requested', outcome: 'issued', reason: 'demo', user_id: userId },
      { event: 'sign_in.succeeded', outcome: 'succeeded', reason: 'demo', user_id: userId },
      { event: 'code.requested', outcome: 'issued', reason: 'demo', user_id: userId },
      { event: 'sign_in.succeeded', outcome: 'succeeded', reason: 'demo', user_id: userId },
    ]);
    assert.ok(!app.logs.join('').includes('424242'), 'the fixed code is never logged');
  });

  it('works for a demo number until its expiry, then the number is an ordinary one', async () => {
    const expiry = new Date(clock.now().getTime() + 3600_000).toISOString();
    const app = await start({ DEMO_USERS: `(202) 555-0100=111111@${expiry}` });
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+12025550100' })).status, 202);
    assert.equal((await app.post('/passwordless/exchange/mobile', { phone_number: '+1 202 555 0100', token: '111111' })).status, 200);
    await app.app.services.delivery.drain();
    assert.equal(sns.messages.filter((sms) => sms.phoneNumber === '+12025550100').length, 0);

    clock.advance(3601);
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+12025550100' })).status, 202);
    const sms = await eventually(() => sns.messages.find((message) => message.phoneNumber === '+12025550100'));
    const code = codeIn(sms.message);
    if (code !== '111111') {
      assert.equal((await app.post('/passwordless/exchange/mobile', { phone_number: '+12025550100', token: '111111' })).status, 400);
    }
    assert.equal((await app.post('/passwordless/exchange/mobile', { phone_number: '+12025550100', token: code })).status, 200);
  });

  it('is guess-limited like any code: per token and per destination (S5, S6)', async () => {
    const app = await start({ DEMO_USERS: 'guarded@example.com=777777', MAX_TOKEN_ATTEMPTS: '3', MAX_DESTINATION_FAILURES_PER_HOUR: '5' });
    const exchange = (token: string) => app.post('/passwordless/exchange/email', { email: 'guarded@example.com', token });
    assert.equal((await app.post('/passwordless/request/email', { email: 'guarded@example.com' })).status, 202);
    for (const guess of ['000001', '000002', '000003']) assert.equal((await exchange(guess)).status, 400);
    assert.equal((await exchange('777777')).status, 400, 'the token is dead after its guesses');

    clock.advance(61);
    assert.equal((await app.post('/passwordless/request/email', { email: 'guarded@example.com' })).status, 202);
    assert.equal((await exchange('000004')).status, 400);
    assert.equal((await exchange('000005')).status, 400);
    assert.equal((await exchange('777777')).status, 400, 'the destination has used its hourly failure budget');

    clock.advance(3600);
    assert.equal((await app.post('/passwordless/request/email', { email: 'guarded@example.com' })).status, 202);
    assert.equal((await exchange('777777')).status, 200);
  });

  it('is refused in production unless ALLOW_DEMO_USERS_IN_PRODUCTION=true (S36)', () => {
    const production = { ...testEnv(db), NODE_ENV: 'production', DEMO_USERS: 'reviewer@example.com=424242@2031-01-31' };
    assert.throws(() => loadConfig(production), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, ['DEMO_USERS: refused in production unless ALLOW_DEMO_USERS_IN_PRODUCTION=true']);
      return true;
    });
    const allowed = loadConfig({ ...production, ALLOW_DEMO_USERS_IN_PRODUCTION: 'true' });
    assert.deepEqual(allowed.demoUsers, [
      { channel: 'email', destination: 'reviewer@example.com', code: '424242', expiresAt: new Date('2031-02-01T00:00:00.000Z') },
    ]);
  });

  it('reports malformed entries without quoting their codes', () => {
    const env = { ...testEnv(db), DEMO_USERS: 'a@example.com=98765,not a number=135790,b@example.com=246801@someday,c@example.com' };
    assert.throws(() => loadConfig(env), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'DEMO_USERS entry 1: the code must be 6 characters of SHORT_TOKEN_CHARS',
        'DEMO_USERS entry 2: not a valid mobile number',
        'DEMO_USERS entry 3: the expiry is not a date (YYYY-MM-DD or an ISO 8601 timestamp)',
        'DEMO_USERS entry 4: use identifier=code or identifier=code@YYYY-MM-DD',
      ]);
      for (const code of ['98765', '135790', '246801']) assert.ok(!error.message.includes(code));
      return true;
    });
  });
});
