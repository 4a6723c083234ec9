// SMS sign-in through the SNS Publish query API (a local fake reached via AWS_ENDPOINT_URL_SNS).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { codeIn, createTestClock, eventually, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSnsFake, type SnsFake } from '../helpers/sns-fake.ts';

describe('mobile sign-in', () => {
  let db: TestDatabase;
  let sns: SnsFake;
  const apps: TestApp[] = [];
  const clock = createTestClock();

  before(async () => {
    sns = await startSnsFake();
    useLocalAws({ sns: sns.url });
    db = await createTestDatabase();
  });
  // Each test's apps stop with it: their outbox dispatchers share this database and would
  // otherwise claim a later test's jobs with their own clock.
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await sns.close();
    await db.drop();
  });

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    const app = await startTestApp({ db, clock, env });
    apps.push(app);
    return app;
  }

  async function createUser(phone: string): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>('INSERT INTO users (phone_number) VALUES ($1) RETURNING id', [phone]);
    return rows[0]!.id;
  }

  async function smsTo(phone: string, after: number): Promise<string> {
    const message = await eventually(() => sns.messages.filter((sms) => sms.phoneNumber === phone)[after]);
    return message.message;
  }

  it('texts a code to the E.164 number and signs in with any spelling of it (S15)', async () => {
    const app = await start();
    const userId = await createUser('+14155550123');
    const response = await app.post('/passwordless/request/mobile', { phone_number: '+1 (415) 555-0123' });
    assert.equal(response.status, 202);
    const text = await smsTo('+14155550123', 0);
    const code = codeIn(text);
    assert.ok(!/https?:/.test(text), 'SMS carries the code only');
    assert.equal(sns.messages.at(-1)!.attributes['AWS.SNS.SMS.SMSType'], 'Transactional');

    const exchange = await app.post('/passwordless/exchange/mobile', { phone_number: '+14155550123', token: code });
    assert.equal(exchange.status, 200);
    const { access_token } = (await exchange.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), {
      algorithms: ['ES256'], issuer: 'https://auth.sesame.test', audience: 'sesame-tests', typ: 'at+jwt', currentDate: clock.now(),
    });
    assert.equal(payload.sub, userId);
    assert.equal(payload.phone_number, '+14155550123');
    assert.equal(payload.email, undefined);
    // RFC 8176: an SMS code is "sms"; the session keeps it for refreshes.
    assert.deepEqual(payload.amr, ['sms']);
    assert.equal(payload.auth_time, Math.floor(clock.now().getTime() / 1000));
    const { rows } = await db.pool.query('SELECT phone_number_verified, email_verified FROM users WHERE id = $1', [userId]);
    assert.deepEqual(rows[0], { phone_number_verified: true, email_verified: false });
  });

  it('accepts national formats only with DEFAULT_PHONE_REGION', async () => {
    const international = await start();
    const refused = await international.post('/passwordless/request/mobile', { phone_number: '(201) 555-0123' });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { code: string }).code, 'invalid_phone_number');

    const national = await start({ DEFAULT_PHONE_REGION: 'US' });
    await createUser('+12015550123');
    assert.equal((await national.post('/passwordless/request/mobile', { phone_number: '(201) 555-0123' })).status, 202);
    const code = codeIn(await smsTo('+12015550123', 0));
    assert.equal((await national.post('/passwordless/exchange/mobile', { phone_number: '201-555-0123', token: code })).status, 200);
  });

  it('rejects numbers that cannot receive SMS and sends nothing', async () => {
    const app = await start();
    const before = sns.messages.length;
    for (const phone_number of ['+18005550199', '+442071838750', '12345', '+1415555012a', '+14155550123\n+14155550124']) {
      const response = await app.post('/passwordless/request/mobile', { phone_number });
      assert.equal(response.status, 400, phone_number);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_phone_number');
    }
    await app.app.services.delivery.drain();
    assert.equal(sns.messages.length, before);
  });

  it('refuses the mobile method when it is not in ALLOWED_PASSWORDLESS_METHODS', async () => {
    const app = await start({ ALLOWED_PASSWORDLESS_METHODS: 'email' });
    const response = await app.post('/passwordless/request/mobile', { phone_number: '+14155550123' });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, 'method_not_allowed');
  });

  it('refuses the email method when only mobile is allowed', async () => {
    const app = await start({ ALLOWED_PASSWORDLESS_METHODS: 'mobile' });
    const response = await app.post('/passwordless/request/email', { email: 'someone@example.com' });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, 'method_not_allowed');
  });

  it('answers a delivery failure exactly like a success and logs it without the number or the code (S34)', async () => {
    const app = await start();
    await createUser('+4915112345678');
    sns.failNext('InvalidParameter', 400);
    const failed = await app.post('/passwordless/request/mobile', { phone_number: '+4915112345678' });
    assert.equal(failed.status, 202);
    assert.deepEqual(await failed.json(), { detail: 'If this identifier can sign in, a code is on its way.' });
    await app.app.services.delivery.drain();
    const failure = app.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'code delivery failed');
    assert.ok(failure, 'the failure is logged');
    assert.equal(failure.to, '+4********5678');
    assert.deepEqual(failure.error, { name: 'InvalidParameterException', status: 400 });
    const [token] = (await db.pool.query("SELECT id FROM one_time_tokens WHERE destination = '+4915112345678'")).rows;
    assert.ok(token, 'the code exists even though it was not delivered');
    assert.ok(!app.logs.join('\n').includes('4915112345678'));
  });
});
