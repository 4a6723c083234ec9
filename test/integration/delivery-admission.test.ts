// Admission control (issue 9): when delivery falls behind (here: SES stalls), new code requests
// answer 503 overloaded with Retry-After within seconds, on every replica (the signal is read
// from the shared outbox), for known and unknown identifiers alike (S17), with nothing stored
// or sent; refusals are counted and logged once per interval; recovery reopens admission.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { eventually, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesFaults, type SesFaults } from '../helpers/ses-faults.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';
import { startSnsFake, type SnsFake } from '../helpers/sns-fake.ts';
import { createDeliveryJobRepository } from '../../src/repositories/delivery-job-repository.ts';
import { ERRORS } from '../../src/errors.ts';
import { ADMISSION_PROBE_INTERVAL_MS, DRAIN_RATE_WINDOW_MS } from '../../src/delivery/admission-gate.ts';

// A failed send is retried within half a second.
const ENV = {
  TOKEN_REQUEST_THROTTLE_SECONDS: '0', DELIVERY_MAX_LAG_SECONDS: '1', DELIVERY_POLL_INTERVAL_MS: '50',
  DELIVERY_SEND_TIMEOUT_MS: '2000', DELIVERY_RETRY_BASE_MS: '100', DELIVERY_RETRY_MAX_MS: '500',
};
// A stalled send times out after 8 s and is retried soon after, stalling again, until SES
// recovers: while it hangs, its job has no failed attempt and is simply late (a stall, with no
// trial requests; a job whose attempts have failed lets trials through, tested below).
const STALL_ENV = { ...ENV, DELIVERY_SEND_TIMEOUT_MS: '8000' };
const REFUSAL_LOG = 'code requests refused while delivery is overloaded';
const TRIAL_LOG = 'only codes whose sends keep failing are late';
const REOPEN_LOG = 'delivery caught up: accepting code requests again';
const CLOSE_LOG = 'delivery is behind: refusing new code requests with 503 overloaded';

describe('delivery admission control', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let faults: SesFaults;
  let sns: SnsFake;
  const apps: TestApp[] = [];

  before(async () => {
    ses = await startSesLocal();
    faults = await startSesFaults({ target: ses.url });
    sns = await startSnsFake();
    useLocalAws({ ses: faults.url, sns: sns.url });
    db = await createTestDatabase();
  });
  after(async () => {
    for (const app of apps) await app.close();
    await faults.close();
    await sns.close();
    await ses.close();
    await db.drop();
  });

  /**
   * `eventually`, but a timeout says what admission control last logged and what the outbox
   * holds, so a slow CI run that misses a reopening can be told from a gate that never reopens.
   */
  async function eventuallyOrExplain<T>(app: TestApp, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    try {
      return await eventually(check, timeoutMs);
    } catch (error) {
      const gate = app.logs.filter((line) => [REFUSAL_LOG, TRIAL_LOG, REOPEN_LOG, CLOSE_LOG, 'admission control'].some((text) => line.includes(text))).slice(-8).map((line) => line.trim().slice(0, 400));
      const { rows } = await db.pool.query(`SELECT id, status, attempts, last_error, locked_until > clock_timestamp() AS leased, round(extract(epoch FROM clock_timestamp() - created_at)::numeric, 1) AS age_s
        FROM delivery_jobs WHERE status = 'pending' ORDER BY id`);
      throw new Error(`${(error as Error).message}\nlast admission and delivery log lines:\n${gate.join('\n')}\npending jobs: ${JSON.stringify(rows)}`);
    }
  }

  async function stored(address: string): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM one_time_tokens WHERE destination = $1)
            + (SELECT count(*) FROM delivery_jobs j JOIN users u ON u.id = j.user_id WHERE u.email = $1) AS n`,
      [address],
    );
    return Number(rows[0]!.n);
  }

  it("reads its projection's inputs from the shared outbox: pending jobs, the oldest one, and every job ever created, whichever replica wrote it", async () => {
    // Nothing sends here, so the lag limit stays at its default (10 s) and admission stays open.
    const env = { TOKEN_REQUEST_THROTTLE_SECONDS: '0' };
    const first = await startTestApp({ db, env, disableDispatcher: true });
    const second = await startTestApp({ db, env, disableDispatcher: true });
    try {
      const outbox = createDeliveryJobRepository(db.pool);
      const before = await outbox.backlog(1_000);
      for (let i = 0; i < 3; i++) {
        const address = `counted-${i}@example.com`;
        await db.pool.query('INSERT INTO users (email) VALUES ($1)', [address]);
        assert.equal((await (i === 1 ? second : first).post('/passwordless/request/email', { email: address })).status, 202);
      }
      const after = await outbox.backlog(1_000);
      assert.equal(after.pending - before.pending, 3);
      assert.equal((after.created ?? 0) - (before.created ?? 0), 3, 'the highest job id counts every replica\'s jobs');
      // The jobs above an id, by channel: what each channel was given since the last reading.
      const since = await outbox.backlog(1_000, before.created ?? 0);
      assert.deepEqual(since.channels.map((entry) => [entry.channel, entry.createdSince]), [['email', 3]]);
      assert.equal(since.createdSinceComplete, true);
      assert.ok(after.oldestCreatedAt !== null && after.databaseLagSeconds >= 0);
      assert.deepEqual(after.oldestUnfailedCreatedAt, after.oldestCreatedAt, 'no attempt has failed yet');
      // An attempt of the oldest job fails: it waits for a retry, and the oldest unfailed job is the next one.
      await db.pool.query(`UPDATE delivery_jobs SET last_error = 'InternalFailure 500', attempts = 1
        WHERE id = (SELECT min(id) FROM delivery_jobs WHERE status = 'pending')`);
      const failing = await outbox.backlog(1_000);
      assert.deepEqual(failing.oldestCreatedAt, after.oldestCreatedAt);
      const { rows: [next] } = await db.pool.query<{ created_at: Date }>(`SELECT created_at FROM delivery_jobs
        WHERE status = 'pending' AND last_error IS NULL ORDER BY created_at, id LIMIT 1`);
      assert.deepEqual(failing.oldestUnfailedCreatedAt, next!.created_at);
      assert.ok(failing.databaseUnfailedLagSeconds <= failing.databaseLagSeconds);
      // Nothing of its channel was delivered after it: counted while nothing drains.
      assert.deepEqual(failing.oldestUnprovenCreatedAt, failing.oldestCreatedAt);
      // A later job of its channel delivered: the provider sends, so the failing job is no longer
      // counted, and the oldest that is, is the oldest unfailed one.
      await db.pool.query(`UPDATE delivery_jobs SET status = 'delivered', payload = NULL, finished_at = now()
        WHERE id = (SELECT max(id) FROM delivery_jobs WHERE status = 'pending')`);
      const proven = await outbox.backlog(1_000);
      assert.deepEqual(proven.oldestCreatedAt, after.oldestCreatedAt, 'still pending');
      assert.deepEqual(proven.oldestUnprovenCreatedAt, next!.created_at);
      // Delivered jobs leave the count of pending ones and stay in the count of created ones: the
      // difference of the two is what the outbox sent (the drain rate's numerator).
      await db.pool.query("UPDATE delivery_jobs SET status = 'delivered', payload = NULL, finished_at = now() WHERE status = 'pending'");
      const sent = await outbox.backlog(1_000);
      assert.deepEqual({ pending: sent.pending, created: sent.created, oldest: sent.oldestCreatedAt }, { pending: 0, created: after.created, oldest: null });
      // A count capped below the backlog stops at the cap.
      for (let i = 0; i < 3; i++) {
        await db.pool.query('INSERT INTO users (email) VALUES ($1)', [`capped-${i}@example.com`]);
        await first.post('/passwordless/request/email', { email: `capped-${i}@example.com` });
      }
      assert.equal((await outbox.backlog(2)).pending, 2);
      // By channel: an SMS job has a row of its own, with its own oldest job; the totals sum them.
      await db.pool.query('INSERT INTO users (phone_number) VALUES ($1)', ['+14155550160']);
      const beforeSms = await outbox.backlog(1_000);
      assert.equal((await first.post('/passwordless/request/mobile', { phone_number: '+14155550160' })).status, 202);
      const split = await outbox.backlog(1_000, beforeSms.created);
      const byChannel = Object.fromEntries(split.channels.map((entry) => [entry.channel, entry]));
      assert.deepEqual(Object.keys(byChannel).sort(), ['email', 'mobile']);
      assert.deepEqual([byChannel.email!.pending, byChannel.mobile!.pending], [3, 1]);
      assert.deepEqual([byChannel.email!.createdSince, byChannel.mobile!.createdSince], [0, 1]);
      assert.equal(split.pending, 4);
      assert.ok(byChannel.mobile!.oldestCreatedAt!.getTime() > byChannel.email!.oldestCreatedAt!.getTime());
      assert.deepEqual(split.oldestCreatedAt, byChannel.email!.oldestCreatedAt);
      assert.ok(byChannel.mobile!.databaseLagSeconds <= split.databaseLagSeconds);
      // Each channel's own deliveries: an SMS delivered after a failing email job says nothing of
      // email's provider.
      await db.pool.query(`UPDATE delivery_jobs SET last_error = 'InternalFailure 500', attempts = 1
        WHERE id = (SELECT min(id) FROM delivery_jobs WHERE status = 'pending' AND channel = 'email')`);
      await db.pool.query("UPDATE delivery_jobs SET status = 'delivered', payload = NULL, finished_at = now() WHERE status = 'pending' AND channel = 'mobile'");
      const email = (await outbox.backlog(1_000)).channels.find((entry) => entry.channel === 'email')!;
      assert.notDeepEqual(email.oldestUnfailedCreatedAt, email.oldestCreatedAt);
      assert.deepEqual(email.oldestUnprovenCreatedAt, email.oldestCreatedAt);
      await db.pool.query("UPDATE delivery_jobs SET status = 'delivered', payload = NULL, finished_at = now() WHERE status = 'pending'");
      assert.deepEqual((await outbox.backlog(1_000)).channels, [], 'no row for a channel with nothing pending');
      const idle = await outbox.backlog(1_000, split.created);
      assert.deepEqual(idle.channels, [], 'nor one with nothing created since');
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('refuses new code requests with 503 while SES stalls, on every replica and for every identifier, and reopens on recovery (S48, S17)', async () => {
    const dispatching = await startTestApp({ db, env: STALL_ENV });
    const accepting = await startTestApp({ db, env: STALL_ENV, disableDispatcher: true });
    apps.push(dispatching, accepting);
    for (const address of ['stalled@example.com', 'refused@example.com']) await db.pool.query('INSERT INTO users (email) VALUES ($1)', [address]);

    faults.setDelay(60_000);
    assert.equal((await dispatching.post('/passwordless/request/email', { email: 'stalled@example.com' })).status, 202);
    // The stalled send keeps the oldest pending job growing older: admission closes, on the
    // replica that dispatches and on the one that only accepts requests.
    for (const app of [dispatching, accepting]) {
      await eventually(async () => ((await app.post('/passwordless/request/email', { email: 'probe@example.com' })).status === 503 ? true : undefined), 20_000);
    }

    const answers = [];
    for (const app of [dispatching, accepting]) {
      for (const email of ['refused@example.com', 'nobody@example.com']) {
        const response = await app.post('/passwordless/request/email', { email });
        answers.push({ status: response.status, type: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body: await response.json() as { code: string; status: number } });
      }
    }
    for (const answer of answers) {
      assert.equal(answer.status, 503);
      assert.equal(answer.body.code, 'overloaded');
      assert.match(answer.retryAfter ?? '', /^[1-9]\d*$/);
    }
    // Known and unknown identifiers get the same answer (S17).
    assert.deepEqual(answers[0]!.body, answers[1]!.body);
    assert.equal(answers[0]!.type, answers[1]!.type);
    assert.equal(await stored('refused@example.com'), 0, 'nothing is stored for a refused request');

    for (let i = 0; i < 20; i++) assert.equal((await dispatching.post('/passwordless/request/email', { email: `burst-${i}@example.com` })).status, 503);
    const refused = dispatching.app.metrics.snapshot()['sesame_code_requests_overloaded_total'] ?? 0;
    assert.ok(refused >= 22, `refusals are counted (${refused})`);
    // Logged once per probe interval with a count, not once per request.
    await eventually(() => (dispatching.logs.some((line) => line.includes(REFUSAL_LOG)) ? true : undefined), 10_000);
    const lines = dispatching.logs.filter((line) => line.includes(REFUSAL_LOG));
    assert.ok(lines.length < refused, `${lines.length} log lines for ${refused} refusals`);
    // Nor is any refusal logged as a failed request, once per request.
    assert.equal(dispatching.logs.filter((line) => line.includes(ERRORS.overloaded.detail)).length, 0);
    assert.ok(!dispatching.logs.some((line) => line.includes('refused@example.com') || line.includes('nobody@example.com')));

    // SES answers again: the stalled code is delivered, and admission reopens everywhere.
    faults.reset();
    // (The fault proxy forwards each stalled attempt and withholds only the answer, so the mail
    // store may hold copies; the job's status says when an attempt was answered.)
    await eventually(async () => {
      const { rows } = await db.pool.query<{ status: string }>(`SELECT j.status FROM delivery_jobs j JOIN users u ON u.id = j.user_id WHERE u.email = 'stalled@example.com'`);
      return rows[0]?.status === 'delivered' ? true : undefined;
    }, 20_000);
    await eventually(async () => ((await dispatching.post('/passwordless/request/email', { email: 'refused@example.com' })).status === 202 ? true : undefined), 20_000);
    await eventually(async () => ((await accepting.post('/passwordless/request/email', { email: 'nobody@example.com' })).status === 202 ? true : undefined), 20_000);
    await eventually(async () => ((await ses.emails('refused@example.com')).length >= 1 ? true : undefined), 20_000);
    assert.equal((await ses.emails('probe@example.com')).length, 0);
  });

  it('lets a trial code request through while the only late job is one whose sends keep failing, and reopens for good once the trial is delivered (S48)', async () => {
    // A quiet outbox: nothing else to send, and one code that SES refuses every time for a reason
    // of its own. Without a trial it would refuse everyone until that code expired.
    const app = await startTestApp({ db, env: ENV });
    try {
      for (const address of ['poisoned@example.com', 'trial@example.com', ...[0, 1, 2, 3, 4].map((i) => `after-${i}@example.com`)]) {
        await db.pool.query('INSERT INTO users (email) VALUES ($1)', [address]);
      }
      faults.failMatching('poisoned@example.com', 'InternalFailure', 500);
      assert.equal((await app.post('/passwordless/request/email', { email: 'poisoned@example.com' })).status, 202);
      // Once it is late and nothing has left the outbox for the rate window, the gate closes and
      // waits for a trial.
      await eventually(() => (app.logs.some((line) => line.includes(TRIAL_LOG)) ? true : undefined), 20_000);
      assert.equal((await app.post('/passwordless/request/email', { email: 'trial@example.com' })).status, 202, 'the trial');
      await eventually(async () => ((await ses.emails('trial@example.com')).length >= 1 ? true : undefined), 10_000);
      // The trial's code left the outbox: the failing job stops counting, and the gate opens.
      await eventually(() => (app.logs.some((line) => line.includes(REOPEN_LOG)) ? true : undefined), 10_000);
      for (let i = 0; i < 3; i++) assert.equal((await app.post('/passwordless/request/email', { email: `after-${i}@example.com` })).status, 202);
      // Nothing else to send for longer than the rate window: the failing job, older than codes
      // delivered since, does not close the gate again.
      const closings = app.logs.filter((line) => line.includes(CLOSE_LOG)).length;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_RATE_WINDOW_MS + 2 * ADMISSION_PROBE_INTERVAL_MS));
      assert.equal(app.logs.filter((line) => line.includes(CLOSE_LOG)).length, closings, 'not closed again');
      assert.equal((await app.post('/passwordless/request/email', { email: 'after-3@example.com' })).status, 202);
      assert.equal((await app.post('/passwordless/request/email', { email: 'after-4@example.com' })).status, 202, 'no trial: the gate is open');
      const { rows: [poisoned] } = await db.pool.query<{ status: string; attempts: number; last_error: string }>(
        `SELECT j.status, j.attempts, j.last_error FROM delivery_jobs j JOIN users u ON u.id = j.user_id WHERE u.email = 'poisoned@example.com'`);
      assert.equal(poisoned!.status, 'pending');
      assert.ok(poisoned!.attempts > 1, `${poisoned!.attempts} attempts`);
      assert.equal(poisoned!.last_error, 'InternalFailure 500');
    } finally {
      faults.reset();
      await eventually(async () => ((await ses.emails('poisoned@example.com')).length >= 1 ? true : undefined), 20_000);
      await app.close();
    }
  });

  it('sends a provider that fails every send one trial code request per interval at most, and reopens once one is delivered (S48)', async () => {
    const app = await startTestApp({ db, env: ENV });
    try {
      for (let i = 0; i <= 50; i++) await db.pool.query('INSERT INTO users (email) VALUES ($1)', [`down-${i}@example.com`]);
      faults.failMatching('', 'InternalFailure', 500);
      assert.equal((await app.post('/passwordless/request/email', { email: 'down-0@example.com' })).status, 202);
      await eventually(() => (app.logs.some((line) => line.includes(TRIAL_LOG)) ? true : undefined), 20_000);
      // Ten requests a second for five seconds: with DELIVERY_MAX_LAG_SECONDS at 1 the trials are
      // a second apart, and each trial's send fails too, so the gate stays closed.
      const statuses: number[] = [];
      const startedAt = Date.now();
      for (let i = 1; i <= 50; i++) {
        statuses.push((await app.post('/passwordless/request/email', { email: `down-${i}@example.com` })).status);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const seconds = (Date.now() - startedAt) / 1000;
      const accepted = statuses.filter((status) => status === 202).length;
      assert.equal(accepted + statuses.filter((status) => status === 503).length, 50);
      assert.ok(accepted >= 1 && accepted <= Math.ceil(seconds) + 1, `${accepted} of 50 requests let through in ${seconds.toFixed(1)} s`);
      assert.equal(app.logs.filter((line) => line.includes(REOPEN_LOG)).length, 0, 'never reopened while every send failed');
      // SES answers again: the failing codes and the next trial are delivered, and the gate opens.
      faults.reset();
      await eventuallyOrExplain(app, async () => ((await app.post('/passwordless/request/email', { email: 'down-0@example.com' })).status === 202 && app.logs.some((line) => line.includes(REOPEN_LOG)) ? true : undefined), 20_000);
      await eventuallyOrExplain(app, async () => ((await db.pool.query(`SELECT 1 FROM delivery_jobs WHERE status = 'pending'`)).rowCount === 0 ? true : undefined), 20_000);
    } finally {
      faults.reset();
      await app.close();
    }
  });

  it('closes only the channel whose provider stalls: SMS requests answer 503 while email codes are still accepted and sent (S48, S17)', async () => {
    const app = await startTestApp({ db, env: STALL_ENV });
    try {
      for (const phone of ['+14155550170', '+14155550171']) await db.pool.query('INSERT INTO users (phone_number) VALUES ($1)', [phone]);
      await db.pool.query('INSERT INTO users (email) VALUES ($1)', ['mixed@example.com']);
      sns.setDelay(60_000);
      assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+14155550170' })).status, 202);
      await eventually(async () => ((await app.post('/passwordless/request/mobile', { phone_number: '+14155550179' })).status === 503 ? true : undefined), 20_000);
      const refused = await app.post('/passwordless/request/mobile', { phone_number: '+14155550171' });
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { code: string }).code, 'overloaded');
      // Email is another provider, and it is sending: its requests are accepted and delivered.
      assert.equal((await app.post('/passwordless/request/email', { email: 'mixed@example.com' })).status, 202);
      await eventually(async () => ((await ses.emails('mixed@example.com')).length >= 1 ? true : undefined), 10_000);
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM one_time_tokens WHERE destination = '+14155550171'`);
      assert.equal(rows[0]!.n, 0, 'nothing is stored for the refused SMS request');
      // SNS answers again: the stalled code is sent on its next attempt, and SMS reopens.
      sns.setDelay(0);
      await eventually(async () => ((await app.post('/passwordless/request/mobile', { phone_number: '+14155550171' })).status === 202 ? true : undefined), 30_000);
      await eventually(async () => ((await db.pool.query(`SELECT 1 FROM delivery_jobs WHERE status = 'pending'`)).rowCount === 0 ? true : undefined), 30_000);
    } finally {
      sns.setDelay(0);
      await app.close();
    }
  });
});
