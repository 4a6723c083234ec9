// SMS-pumping defences (S21): a country allowlist, hourly caps per country and per number
// prefix, a global daily cap. A blocked request answers exactly like an accepted one, sends
// nothing, is audited and counted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, startTestApp, type TestApp } from '../helpers/app.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';
import { suiteScope, withDatabase, withLocalAws, createUser } from '../helpers/fixtures.ts';

const ACCEPTED = { detail: 'If this identifier can sign in, a code is on its way.' };

describe('SMS pumping defences', () => {
  let db: TestDatabase;
  let sns: SnsFake;
  const apps: TestApp[] = [];
  const clock = createTestClock();
  let day = 0;

  const suite = suiteScope();
  before(async () => {
    ({ sns } = await withLocalAws(suite, { sns: true }));
    db = await withDatabase(suite);
    suite.after(() => Promise.all(apps.splice(0).map((app) => app.close())));
  });

  /** Each test runs on a day of its own, ten minutes past midnight UTC, so windows never overlap. */
  async function start(env: Record<string, string>): Promise<TestApp> {
    // One app at a time: an earlier test's dispatcher, with its own caps, would otherwise claim
    // this test's jobs from the shared database.
    await Promise.all(apps.splice(0).map((app) => app.close()));
    day += 3;
    clock.set(new Date(Date.UTC(2031, 0, day, 0, 10)));
    const app = await startTestApp({ db, clock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', ...env } });
    apps.push(app);
    return app;
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
  async function request(app: TestApp, phone: string): Promise<Record<string, string>> {
    const response = await app.post('/passwordless/request/mobile', { phone_number: phone });
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
    await createUser(db, '+14155550123');
    const germanId = await createUser(db, '+4915112345678');
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
      await createUser(db, phone);
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
    await createUser(db, '+12015550123');
    await createUser(db, '+13125550123');
    const thirdId = await createUser(db, '+16175550123');
    for (const phone of ['+12015550123', '+13125550123', '+16175550123']) {
      await request(app, phone);
      await app.app.services.delivery.drain();
    }
    assert.deepEqual([sentTo('+12015550123'), sentTo('+13125550123'), sentTo('+16175550123')], [1, 1, 0]);
    assert.deepEqual(await blocked(app), [{ user_id: thirdId, destination: '+1******0123', reason: 'country_cap', outcome: 'blocked', client_ip: '127.0.0.1' }]);
    // Other countries have their own budget; the blocked message was not counted.
    await createUser(db, '+33612345678');
    await request(app, '+33612345678');
    await app.app.services.delivery.drain();
    const counters = await db.pool.query("SELECT key, count FROM sms_counters WHERE key LIKE 'country:%' AND window_start = $1 ORDER BY key", [new Date(Date.UTC(2031, 0, day, 0))]);
    assert.deepEqual(counters.rows, [{ key: 'country:FR', count: 1 }, { key: 'country:US', count: 2 }]);

    clock.advance(3600);
    await request(app, '+16175550123');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+16175550123'), 1, 'the next hour has a fresh budget');
  });

  it('caps messages per number prefix per hour', async () => {
    const app = await start({ SMS_MAX_PER_PREFIX_PER_HOUR: '2', SMS_PREFIX_LENGTH: '7' });
    for (const phone of ['+14155550131', '+14155550132', '+14155550133', '+12125550123']) await createUser(db, phone);
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
    for (const phone of ['+14155550141', '+4915112345641', '+33612345641']) await createUser(db, phone);
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
    await createUser(db, '+14155550170');
    await request(app, '+14155550170');
    await app.app.services.delivery.drain();
    assert.equal(sentTo('+14155550170'), 1);
    assert.deepEqual(await blocked(app), []);
  });

  it('counts every valid number when unknown numbers register (REGISTER_NONEXISTENT_USERS)', async () => {
    const app = await start({ SMS_MAX_PER_DAY: '1', REGISTER_NONEXISTENT_USERS: 'true' });
    await request(app, '+14155550181');
    await request(app, '+14155550182');
    await app.app.services.delivery.drain();
    assert.deepEqual([sentTo('+14155550181'), sentTo('+14155550182')], [1, 0]);
    assert.deepEqual((await blocked(app)).map((row) => row.reason), ['daily_cap']);
  });

  it('sends nothing when the counters cannot be reached (S22)', async () => {
    const app = await start({});
    await createUser(db, '+14155550191');
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
