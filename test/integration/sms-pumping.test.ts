// SMS-pumping defences (S21): a country allowlist, hourly caps per country and per number
// prefix, a global daily cap. A blocked request answers exactly like an accepted one, sends
// nothing, is audited and counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTestClock, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSnsFake, type SnsFake } from '../helpers/sns-fake.ts';

const ACCEPTED = { detail: 'If this identifier can sign in, a code is on its way.' };

describe('SMS pumping defences', () => {
  let db: TestDatabase;
  let sns: SnsFake;
  const apps: TestApp[] = [];
  const clock = createTestClock();
  let day = 0;

  before(async () => {
    sns = await startSnsFake();
    useLocalAws({ sns: sns.url });
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await sns.close();
    await db.drop();
  });

  /** Each test runs on a day of its own, ten minutes past midnight UTC, so windows never overlap. */
  async function start(env: Record<string, string>): Promise<TestApp> {
    // One app at a time: an earlier test's dispatcher, with its own caps, would otherwise claim
    // this test's jobs from the shared database.
    await Promise.all(apps.splice(0).map((app) => app.close()));
    day += 3;
    clock.set(new Date(Date.UTC(2031, 0, day, 0, 10)));
    // Every request of these tests comes from one address: the per-requester share (tested on its
    // own below) would otherwise be the first limit any of them meets.
    const app = await startTestApp({ db, clock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', SMS_REQUESTER_SHARE_PERCENT: '100', ...env } });
    apps.push(app);
    return app;
  }

  /** A user with this number; `signedInBefore`: the number has been verified by a sign-in. */
  async function createUser(phone: string, signedInBefore = false): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>(
      'INSERT INTO users (phone_number, phone_number_verified) VALUES ($1, $2) ON CONFLICT (phone_number) DO UPDATE SET disabled = false RETURNING id', [phone, signedInBefore]);
    return rows[0]!.id;
  }

  function sentTo(phone: string): number {
    return sns.messages.filter((sms) => sms.phoneNumber === phone).length;
  }

  function comparable(response: Response): Record<string, string> {
    const headers = Object.fromEntries(response.headers);
    delete headers.date;
    return headers;
  }

  /** Requests a code and checks the answer is the one every accepted request gets. */
  async function request(app: TestApp, phone: string, fromIp?: string): Promise<Record<string, string>> {
    const response = await app.post('/passwordless/request/mobile', { phone_number: phone }, fromIp === undefined ? {} : { 'x-forwarded-for': fromIp });
    assert.equal(response.status, 202, phone);
    assert.deepEqual(await response.json(), ACCEPTED);
    return comparable(response);
  }

  async function blocked(app: TestApp): Promise<{ user_id: string | null; destination: string; reason: string; outcome: string; client_ip: string }[]> {
    await app.app.services.delivery.drain();
    await app.app.services.audit.flush();
    const { rows } = await db.pool.query(
      "SELECT user_id, destination, reason, outcome, client_ip FROM audit_events WHERE event = 'code.blocked' AND created_at >= $1 ORDER BY id",
      [new Date(Date.UTC(2031, 0, day))]);
    return rows;
  }

  it('answers a number in a country off the allowlist like an accepted request, and stores and sends nothing', async () => {
    // Default allowlist: DEFAULT_PHONE_REGION's country only.
    const app = await start({ DEFAULT_PHONE_REGION: 'US' });
    await createUser('+14155550123');
    const germanId = await createUser('+4915112345678');
    const accepted = await request(app, '+14155550123');
    const refused = await request(app, '+4915112345678');
    assert.deepEqual(refused, accepted);
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+14155550123'), 1);
    assert.equal(sentTo('+4915112345678'), 0);
    const tokens = await db.pool.query('SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1', [germanId]);
    assert.equal(tokens.rows[0].n, 0);
    assert.deepEqual(await blocked(app), [{ user_id: null, destination: '+4********5678', reason: 'country_not_allowed', outcome: 'blocked', client_ip: '127.0.0.1' }]);
    assert.equal(app.app.metrics.snapshot()['sesame_sms_blocked_total{reason="country_not_allowed"}'], 1);

    const wider = await start({ DEFAULT_PHONE_REGION: 'US', SMS_ALLOWED_COUNTRIES: 'us,DE' });
    await request(wider, '+4915112345678');
    await wider.app.services.delivery.drain();
    assert.equal(sentTo('+4915112345678'), 1);
  });

  it('throttles a number off the allowlist like any other, so a 429 cannot tell blocked countries apart', async () => {
    const app = await start({ DEFAULT_PHONE_REGION: 'US', TOKEN_REQUEST_THROTTLE_SECONDS: '60' });
    const answers: Array<[number, number, string | null]> = [];
    for (const phone of ['+14155550124', '+4915112345679']) {
      await createUser(phone);
      const first = await app.post('/passwordless/request/mobile', { phone_number: phone });
      const again = await app.post('/passwordless/request/mobile', { phone_number: phone });
      answers.push([first.status, again.status, again.headers.get('retry-after')]);
    }
    assert.deepEqual(answers, [[202, 429, '60'], [202, 429, '60']]);
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+4915112345679'), 0);
  });

  it('caps messages per destination country per hour', async () => {
    const app = await start({ SMS_MAX_PER_COUNTRY_PER_HOUR: '2' });
    await createUser('+12015550123');
    await createUser('+13125550123');
    const thirdId = await createUser('+16175550123');
    for (const phone of ['+12015550123', '+13125550123', '+16175550123']) {
      await request(app, phone);
      await app.app.services.delivery.drain();
    }
    assert.deepEqual([sentTo('+12015550123'), sentTo('+13125550123'), sentTo('+16175550123')], [1, 1, 0]);
    assert.deepEqual(await blocked(app), [{ user_id: thirdId, destination: '+1******0123', reason: 'country_cap', outcome: 'blocked', client_ip: '127.0.0.1' }]);
    // Other countries have their own budget; the blocked message was not counted.
    await createUser('+33612345678');
    await request(app, '+33612345678');
    await app.app.services.delivery.drain();
    const counters = await db.pool.query("SELECT key, count FROM sms_counters WHERE key LIKE 'country:%' AND key NOT LIKE '%|%' AND window_start = $1 ORDER BY key", [new Date(Date.UTC(2031, 0, day, 0))]);
    assert.deepEqual(counters.rows, [{ key: 'country:FR', count: 1 }, { key: 'country:US', count: 2 }]);

    clock.advance(3600);
    await request(app, '+16175550123');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+16175550123'), 1, 'the next hour has a fresh budget');
  });

  it('caps messages per number prefix per hour', async () => {
    const app = await start({ SMS_MAX_PER_PREFIX_PER_HOUR: '2', SMS_PREFIX_LENGTH: '7' });
    for (const phone of ['+14155550131', '+14155550132', '+14155550133', '+12125550123']) await createUser(phone);
    // Counted by the dispatcher just before each send: one at a time, so which one meets the cap is fixed.
    for (const phone of ['+14155550131', '+14155550132', '+14155550133', '+12125550123']) {
      await request(app, phone);
      await app.app.services.delivery.drain();
    }
    assert.deepEqual(['+14155550131', '+14155550132', '+14155550133', '+12125550123'].map(sentTo), [1, 1, 0, 1]);
    const rows = await blocked(app);
    assert.deepEqual(rows.map((row) => [row.destination, row.reason]), [['+1******0133', 'prefix_cap']]);
    assert.equal(app.app.metrics.snapshot()['sesame_sms_blocked_total{reason="prefix_cap"}'], 1);
  });

  it('caps messages per day across all countries', async () => {
    const app = await start({ SMS_MAX_PER_DAY: '2' });
    for (const phone of ['+14155550141', '+4915112345641', '+33612345641']) await createUser(phone);
    // The caps are counted by the dispatcher just before it sends: one send at a time here, so
    // which message reaches the cap first is fixed.
    for (const phone of ['+14155550141', '+4915112345641', '+33612345641']) {
      await request(app, phone);
      await app.app.services.delivery.drain();
    }
    clock.advance(3 * 3600);
    await request(app, '+33612345641');
    await app.app.services.delivery.drain();
    assert.deepEqual(['+14155550141', '+4915112345641', '+33612345641'].map(sentTo), [1, 1, 0]);
    assert.deepEqual((await blocked(app)).map((row) => row.reason), ['daily_cap', 'daily_cap']);

    clock.advance(24 * 3600);
    await request(app, '+33612345641');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+33612345641'), 1, 'the next day has a fresh budget');
  });

  it('counts only messages that would be sent: requests for unknown numbers cannot use up the budget', async () => {
    const app = await start({ SMS_MAX_PER_DAY: '1' });
    for (let i = 0; i < 5; i++) await request(app, `+1415555016${i}`);
    await createUser('+14155550170');
    await request(app, '+14155550170');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+14155550170'), 1);
    assert.deepEqual(await blocked(app), []);
  });

  it('counts every valid number when unknown numbers register (REGISTER_NONEXISTENT_USERS)', async () => {
    const app = await start({ SMS_MAX_PER_DAY: '1', REGISTER_NONEXISTENT_USERS: 'true' });
    // One send at a time, so which number meets the cap is fixed (a burst's jobs share a claim).
    await request(app, '+14155550181');
    await app.app.services.delivery.drain();
    await request(app, '+14155550182');
    await app.app.services.delivery.drain();
    assert.deepEqual([sentTo('+14155550181'), sentTo('+14155550182')], [1, 0]);
    assert.deepEqual((await blocked(app)).map((row) => row.reason), ['daily_cap']);
  });

  // From the review: one undelivered SMS used 10 units of each cap, and then its own retry was blocked.
  it('charges the caps once per message, however often its delivery is retried', async () => {
    const app = await start({ SMS_MAX_PER_PREFIX_PER_HOUR: '1', SMS_MAX_PER_COUNTRY_PER_HOUR: '1', SMS_MAX_PER_DAY: '1' });
    await createUser('+14155550201');
    sns.failNext('InternalError', 500, 4);
    await request(app, '+14155550201');
    for (let round = 0; round < 10 && sentTo('+14155550201') === 0; round++) {
      await app.app.services.delivery.drain();
      clock.advance(30);
    }
    assert.equal(sentTo('+14155550201'), 1, 'delivered once SNS recovers, not blocked by its own earlier attempts');
    const { rows: [job] } = await db.pool.query("SELECT status, attempts, sms_charged FROM delivery_jobs WHERE destination_masked = '+1******0201'");
    assert.equal(job.status, 'delivered');
    assert.ok(job.attempts > 2, `retried (${job.attempts} attempts)`);
    assert.equal(job.sms_charged, true);
    const counters = await db.pool.query("SELECT key, count FROM sms_counters WHERE key IN ('country:US', 'prefix:141555', 'global') AND window_start >= $1 ORDER BY key", [new Date(Date.UTC(2031, 0, day))]);
    assert.deepEqual(counters.rows, [{ key: 'country:US', count: 1 }, { key: 'global', count: 1 }, { key: 'prefix:141555', count: 1 }]);
    assert.deepEqual(await blocked(app), []);
  });

  // From the review: repeated code requests to one's own numbers used up the prefix, country and
  // daily caps, and real users then got 202 and no SMS.
  it("keeps one requester to a share of every cap, so its requests cannot use up others' SMS (S38)", async () => {
    const app = await start({ TRUSTED_PROXIES: '127.0.0.1', SMS_REQUESTER_SHARE_PERCENT: '20', SMS_MAX_PER_PREFIX_PER_HOUR: '10', SMS_MAX_PER_COUNTRY_PER_HOUR: '10', SMS_MAX_PER_DAY: '10' });
    const own = Array.from({ length: 6 }, (_, i) => `+1415555030${i}`);
    for (const phone of own) await createUser(phone);
    // The attacker's network (two addresses of one /24) asks for its own numbers again and again.
    for (const [i, phone] of own.entries()) {
      await request(app, phone, `198.51.100.${i % 2 + 1}`);
      await app.app.services.delivery.drain();
    }
    assert.equal(own.map(sentTo).reduce((a, b) => a + b, 0), 2, '20% of a cap of 10');
    assert.deepEqual(new Set((await blocked(app)).map((row) => row.reason)), new Set(['requester_share']));
    // Someone else, elsewhere, still gets their code.
    await createUser('+14155550399');
    await request(app, '+14155550399', '203.0.113.50');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+14155550399'), 1);
    // The crossing is counted and logged once for the operator, without the number or address.
    assert.equal(app.app.metrics.snapshot()['sesame_sms_cap_reached_total{cap="country",scope="requester"}'], 4);
    const lines = app.logs.filter((line) => line.includes('SMS cap reached'));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"cap":"country","scope":"requester","limit":2/);
    assert.ok(!/198\.51|4155550|user:/.test(lines[0]!), 'no address, number or account in the line (S34)');
  });

  it('keeps a reserved part of every cap for numbers that have signed in before (S38)', async () => {
    const app = await start({ TRUSTED_PROXIES: '127.0.0.1', SMS_RESERVED_PERCENT: '30', SMS_MAX_PER_DAY: '10', SMS_MAX_PER_PREFIX_PER_HOUR: '100' });
    // New numbers from many networks: only 7 of the 10 go out.
    const fresh = Array.from({ length: 9 }, (_, i) => `+1312555040${i}`);
    for (const [i, phone] of fresh.entries()) {
      await createUser(phone);
      await request(app, phone, `10.0.${i}.1`);
      await app.app.services.delivery.drain();
    }
    assert.equal(fresh.map(sentTo).reduce((a, b) => a + b, 0), 7);
    // A number with a past sign-in still gets its code from the reserve.
    await createUser('+16175550499', true);
    await request(app, '+16175550499', '10.1.0.1');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+16175550499'), 1);
    assert.equal(app.app.metrics.snapshot()['sesame_sms_cap_reached_total{cap="daily",scope="open"}'], 2);
  });

  it('sends nothing when the counters cannot be reached (S22)', async () => {
    const app = await start({});
    await createUser('+14155550191');
    await db.pool.query('ALTER TABLE sms_counters RENAME TO sms_counters_away');
    try {
      await request(app, '+14155550191');
      await app.app.services.delivery.drain();
    } finally {
      await db.pool.query('ALTER TABLE sms_counters_away RENAME TO sms_counters');
    }
    assert.equal(sentTo('+14155550191'), 0);
    // The job waits for a retry rather than sending uncounted, and goes out once the counters answer.
    const { rows: [job] } = await db.pool.query("SELECT status, last_error FROM delivery_jobs WHERE destination_masked = '+1******0191'");
    assert.deepEqual(job, { status: 'pending', last_error: 'SmsCountersUnavailable' });
    assert.ok(app.logs.some((line) => line.includes('code delivery will be retried')));
    clock.advance(60);
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+14155550191'), 1);
  });
});
