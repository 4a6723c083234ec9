// The delivery outbox: the request writes the token and its delivery job in one statement and
// answers at once; dispatchers in every replica send each job exactly once, retry transient
// provider failures with backoff until the code expires, stop at permanent ones, survive a
// crash between commit and send, and wipe the sealed payload when the job ends (S8, S34).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { TestDatabase } from '../helpers/database.ts';
import { codeIn, createTestClock, eventually, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesFaults, type SesFaults } from '../helpers/ses-faults.ts';
import { type SesLocal } from '../helpers/ses-local.ts';
import { type SnsFake } from '../helpers/sns-fake.ts';
import { createUser as addUser, suiteScope, withDatabase, withLocalAws, createUser } from '../helpers/fixtures.ts';

const LOGIN_URL = 'https://app.sesame.test/login?token={token}';
// Fast retries and polls so the tests wait milliseconds, not seconds.
const ENV = {
  PASSWORDLESS_EMAIL_LOGIN_URL: LOGIN_URL,
  TOKEN_REQUEST_THROTTLE_SECONDS: '0',
  DELIVERY_POLL_INTERVAL_MS: '20',
  DELIVERY_RETRY_BASE_MS: '10',
  DELIVERY_RETRY_MAX_MS: '50',
};

interface JobRow {
  id: string;
  status: string;
  attempts: number;
  payload: Buffer | null;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  locked_until: Date | null;
  destination_masked: string;
}

describe('delivery outbox', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let faults: SesFaults;
  let sns: SnsFake;
  // Every app of a test is closed after it, so no dispatcher from one test sends another's jobs.
  const apps: TestApp[] = [];
  const running = new Set<TestApp>();
  const codes: string[] = [];
  const addresses: string[] = [];

  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
    faults = await startSesFaults({ target: ses.url });
    suite.after(() => faults.close());
    useLocalAws({ ses: faults.url });
    db = await withDatabase(suite);
  });
  afterEach(async () => {
    for (const app of running) await app.close();
    running.clear();
  });

  async function start(options: Partial<Parameters<typeof startTestApp>[0]> = {}): Promise<TestApp> {
    const app = await startTestApp({ db, ...options, env: { ...ENV, ...options.env } });
    apps.push(app);
    running.add(app);
    return app;
  }

  async function createUser(identifier: string): Promise<void> {
    await addUser(db, identifier);
    addresses.push(identifier);
  }

  async function jobsFor(identifier: string): Promise<JobRow[]> {
    const column = identifier.startsWith('+') ? 'phone_number' : 'email';
    const { rows } = await db.pool.query<JobRow>(
      `SELECT j.id, j.status, j.attempts, j.payload, j.provider, j.provider_message_id, j.last_error, j.locked_until, j.destination_masked
       FROM delivery_jobs j JOIN users u ON u.id = j.user_id WHERE u.${column} = $1 ORDER BY j.id`,
      [identifier],
    );
    return rows;
  }

  async function jobEnded(identifier: string): Promise<JobRow> {
    return eventually(async () => {
      const [job] = await jobsFor(identifier);
      return job && job.status !== 'pending' ? job : undefined;
    }, 10_000);
  }

  function logEntries(app: TestApp): Array<Record<string, unknown>> {
    return app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('answers at once while SES is still answering, then delivers, records the message id and wipes the payload', async () => {
    const app = await start();
    await createUser('slow@example.com');
    faults.setDelay(2_000);
    try {
      const response = await app.post('/passwordless/request/email', { email: 'slow@example.com' });
      assert.equal(response.status, 202);
      // The reply came back before SES answered: the job is still waiting for the answer. (The
      // fault proxy forwards at once and holds only the answer, so the local SES may already
      // hold the message; what matters is that the request did not wait for the provider.)
      const [pending] = await jobsFor('slow@example.com');
      assert.equal(pending!.status, 'pending');
      assert.ok(pending!.payload, 'the sealed payload is there while the job is pending');
      assert.equal(pending!.destination_masked, 's***@example.com');
      assert.equal(pending!.provider_message_id, null, 'no provider answer recorded yet');

      const job = await jobEnded('slow@example.com');
      const [email] = await ses.emails('slow@example.com');
      assert.equal(job.status, 'delivered');
      assert.equal(job.provider, 'ses');
      assert.equal(job.provider_message_id, email!.messageId);
      assert.equal(job.payload, null, 'the payload is wiped when the job ends (S8)');
      assert.equal(job.attempts, 1);
      codes.push(codeIn(email!.body.text ?? ''));
    } finally {
      faults.reset();
    }
  });

  it('writes no job for an identifier that may not sign in, and answers it the same way (S17)', async () => {
    const app = await start();
    const { rows: [before] } = await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs');
    const response = await app.post('/passwordless/request/email', { email: 'nobody@example.com' });
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { detail: 'If this identifier can sign in, a code is on its way.' });
    await app.app.services.delivery.drain();
    const { rows: [afterwards] } = await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs');
    assert.deepEqual(afterwards, before);
    assert.equal((await ses.emails('nobody@example.com')).length, 0);
  });

  it('retries SES throttling, 5xx and ThrottlingException with backoff, and the code arrives exactly once', async () => {
    const app = await start();
    await createUser('throttled@example.com');
    const before = faults.counts();
    faults.failNext('TooManyRequestsException', 429);
    faults.failNext('InternalFailure', 500);
    faults.failNext('ThrottlingException', 400);
    assert.equal((await app.post('/passwordless/request/email', { email: 'throttled@example.com' })).status, 202);

    const job = await jobEnded('throttled@example.com');
    assert.equal(job.status, 'delivered');
    assert.equal(job.attempts, 4);
    assert.equal(job.payload, null);
    assert.equal(job.last_error, 'ThrottlingException 400', 'the last failure is kept, by name and status only');
    await app.app.services.delivery.drain();
    const emails = await ses.emails('throttled@example.com');
    assert.equal(emails.length, 1, 'delivered exactly once');
    assert.deepEqual(faults.counts(), { failed: before.failed + 3, forwarded: before.forwarded + 1 });
    codes.push(codeIn(emails[0]!.body.text ?? ''));

    const retries = logEntries(app).filter((entry) => entry.msg === 'code delivery will be retried');
    assert.deepEqual(retries.map((entry) => entry.error), [
      { name: 'TooManyRequestsException', status: 429 },
      { name: 'InternalFailure', status: 500 },
      { name: 'ThrottlingException', status: 400 },
    ]);
    assert.ok(retries.every((entry) => entry.to === 't***@example.com'));
  });

  it('stops at once when SES permanently rejects the address: failed, one request, no retries', async () => {
    const app = await start();
    await createUser('rejected@example.com');
    const before = faults.counts();
    faults.failNext('MessageRejected', 400);
    assert.equal((await app.post('/passwordless/request/email', { email: 'rejected@example.com' })).status, 202);

    const job = await jobEnded('rejected@example.com');
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 1);
    assert.equal(job.last_error, 'MessageRejected 400');
    assert.equal(job.payload, null);
    await app.app.services.delivery.drain();
    assert.deepEqual(faults.counts(), { failed: before.failed + 1, forwarded: before.forwarded }, 'never asked again');
    assert.equal((await ses.emails('rejected@example.com')).length, 0);
    const failure = logEntries(app).find((entry) => entry.msg === 'code delivery failed');
    assert.deepEqual(failure?.error, { name: 'MessageRejected', status: 400 });
    assert.equal(failure?.to, 'r***@example.com');
  });

  it('retries SNS throttling and sends the SMS once; an opted-out number fails without retries', async () => {
    const app = await start();
    await createUser('+4915112345670');
    await createUser('+4915112345671');
    sns.failNext('Throttling', 400, 2);
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+4915112345670' })).status, 202);
    const delivered = await jobEnded('+4915112345670');
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.attempts, 3);
    assert.equal(sns.messages.filter((message) => message.phoneNumber === '+4915112345670').length, 1);
    codes.push(codeIn(sns.messages.find((message) => message.phoneNumber === '+4915112345670')!.message));

    sns.failNext('OptedOut', 400);
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+4915112345671' })).status, 202);
    const failed = await jobEnded('+4915112345671');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.payload, null);
    assert.equal(sns.messages.filter((message) => message.phoneNumber === '+4915112345671').length, 0);
  });

  it('gives up when the code expires while SES keeps throttling: expired, nothing sent', async () => {
    const clock = createTestClock();
    const app = await start({ clock });
    await createUser('expiring@example.com');
    faults.failNext('TooManyRequestsException', 429, 10_000);
    try {
      assert.equal((await app.post('/passwordless/request/email', { email: 'expiring@example.com' })).status, 202);
      await eventually(async () => {
        const [job] = await jobsFor('expiring@example.com');
        return job && job.attempts >= 1 && job.last_error !== null ? job : undefined;
      });
      clock.advance(app.config.tokenLifetimeSeconds + 1);
      const job = await jobEnded('expiring@example.com');
      assert.equal(job.status, 'expired');
      assert.equal(job.last_error, 'TooManyRequestsException 429');
      assert.equal(job.payload, null);
      assert.equal((await ses.emails('expiring@example.com')).length, 0);
    } finally {
      faults.reset();
    }
  });

  it('loses nothing when the process stops after the commit and before the send: the next one sends it', async () => {
    await createUser('crash@example.com');
    const crashed = await start({ disableDispatcher: true });
    assert.equal((await crashed.post('/passwordless/request/email', { email: 'crash@example.com' })).status, 202);
    const [pending] = await jobsFor('crash@example.com');
    assert.equal(pending!.status, 'pending');
    const sealed = pending!.payload!;
    await crashed.close();
    running.delete(crashed);
    assert.equal((await ses.emails('crash@example.com')).length, 0, 'nothing was sent before the stop');

    await start();
    const job = await jobEnded('crash@example.com');
    assert.equal(job.status, 'delivered');
    assert.equal(job.payload, null);
    const emails = await ses.emails('crash@example.com');
    assert.equal(emails.length, 1);
    const text = emails[0]!.body.text ?? '';
    const code = codeIn(text);
    const longToken = new URL(/https:\/\/\S+/.exec(text)![0]).searchParams.get('token')!;
    codes.push(code);
    // S8: what sat in the database held neither the code, the link token nor the address in clear.
    const raw = sealed.toString('latin1');
    for (const secret of [code, longToken, 'crash@example.com']) assert.ok(!raw.includes(secret), 'payload is sealed');
    assert.ok(!sealed.includes(Buffer.from(code, 'utf8')));
  });

  it('sends codes waiting together in one SendBulkEmail call, each recipient with its own code and link (issue 9)', async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => `bulk-${i}@example.com`);
    for (const address of recipients) await createUser(address);
    // Requests answered by a replica that does not dispatch: twelve jobs wait in the outbox.
    const accepting = await start({ disableDispatcher: true });
    for (const address of recipients) assert.equal((await accepting.post('/passwordless/request/email', { email: address })).status, 202);
    const before = faults.counts().forwarded;
    // One claim takes all twelve; one language, one lifetime, all with a link: one provider call.
    await start();
    for (const address of recipients) assert.equal((await jobEnded(address)).status, 'delivered');
    assert.equal(faults.counts().forwarded - before, 1, 'one SendBulkEmail call for the twelve codes');
    const seen = new Set<string>();
    for (const address of recipients) {
      const emails = await ses.emails(address);
      assert.equal(emails.length, 1);
      const text = emails[0]!.body.text ?? '';
      const html = emails[0]!.body.html ?? '';
      const code = codeIn(text);
      assert.ok(!seen.has(code), 'every recipient has a code of their own');
      seen.add(code);
      assert.ok(html.includes(code), 'the HTML part carries the same code');
      const link = /https:\/\/\S+/.exec(text)![0];
      // S16: the HTML part has the link escaped exactly as a single send would.
      assert.ok(html.includes(link.replaceAll('/', '&#x2F;').replaceAll('=', '&#x3D;')));
      codes.push(code);
      // The code works for its own address: the values were not mixed up between entries.
      const signIn = await accepting.post('/passwordless/exchange/email', { email: address, token: code });
      assert.equal(signIn.status, 200);
    }
  });

  it('does not send a code that a newer request revoked before it could be sent', async () => {
    await createUser('twice@example.com');
    const stopped = await start({ disableDispatcher: true });
    for (let i = 0; i < 2; i++) assert.equal((await stopped.post('/passwordless/request/email', { email: 'twice@example.com' })).status, 202);
    await stopped.close();
    running.delete(stopped);

    await start();
    const ended = await eventually(async () => {
      const jobs = await jobsFor('twice@example.com');
      return jobs.every((job) => job.status !== 'pending') ? jobs : undefined;
    });
    assert.deepEqual(ended.map((job) => [job.status, job.last_error, job.payload]), [['expired', 'Superseded', null], ['delivered', null, null]]);
    const emails = await ses.emails('twice@example.com');
    assert.equal(emails.length, 1);
    const code = codeIn(emails[0]!.body.text ?? '');
    codes.push(code);
    const exchange = await apps.at(-1)!.post('/passwordless/exchange/email', { email: 'twice@example.com', token: code });
    assert.equal(exchange.status, 200, 'the code that was sent is the one that works');
  });

  it('sends each job exactly once with two dispatchers on one database', async () => {
    const count = 30;
    const emails = Array.from({ length: count }, (_, i) => `pair${i}@example.com`);
    for (const email of emails) await createUser(email);
    // Jobs waiting in the outbox when both dispatchers start, so they race for the same rows.
    const producer = await start({ disableDispatcher: true });
    for (const email of emails.slice(0, count / 2)) assert.equal((await producer.post('/passwordless/request/email', { email })).status, 202);
    faults.setDelay(20);
    try {
      const [first, second] = await Promise.all([start(), start()]);
      await Promise.all(emails.slice(count / 2).map((email, i) => (i % 2 === 0 ? first! : second!).post('/passwordless/request/email', { email })));
      for (const email of emails) assert.equal((await jobEnded(email)).status, 'delivered');
      await Promise.all([first!.app.services.delivery.drain(), second!.app.services.delivery.drain()]);
      for (const email of emails) {
        const received = await ses.emails(email);
        assert.equal(received.length, 1, `${email} got exactly one message`);
        codes.push(codeIn(received[0]!.body.text ?? ''));
      }
      // A single send logs `code delivered`, a bulk call one `codes delivered` line with its job ids.
      const sent = [first!, second!].map((app) => logEntries(app).reduce((sum, entry) => sum + (entry.msg === 'code delivered' ? 1 : entry.msg === 'codes delivered' ? (entry.jobIds as string[]).length : 0), 0));
      assert.equal(sent[0]! + sent[1]!, count);
      assert.ok(![first!, second!].some((app) => app.logs.some((line) => line.includes('taken over'))));
    } finally {
      faults.reset();
    }
  });

  it('finishes in-flight sends before shutting down', async () => {
    const app = await start();
    await createUser('shutdown@example.com');
    faults.setDelay(300);
    try {
      assert.equal((await app.post('/passwordless/request/email', { email: 'shutdown@example.com' })).status, 202);
      await eventually(async () => {
        const [job] = await jobsFor('shutdown@example.com');
        return job?.locked_until ? job : undefined;
      });
      await app.close();
      running.delete(app);
      const [job] = await jobsFor('shutdown@example.com');
      assert.equal(job!.status, 'delivered', 'the send finished and was recorded before the close returned');
      assert.equal(job!.payload, null);
      assert.equal((await ses.emails('shutdown@example.com')).length, 1);
    } finally {
      faults.reset();
    }
  });

  it('leaves no payload behind and no code, link or address in any log line (S8, S34)', async () => {
    const { rows } = await db.pool.query<{ status: string; payload: Buffer | null }>('SELECT status, payload FROM delivery_jobs');
    assert.ok(rows.length > 30);
    for (const row of rows) if (row.status !== 'pending') assert.equal(row.payload, null);
    const logs = apps.flatMap((app) => app.logs).join('\n');
    assert.ok(codes.length > 30);
    for (const address of addresses) assert.ok(!logs.includes(address), 'no identifier in the logs');
    // A six-digit code is looked for as a number of its own: inside a longer digit run (a
    // timestamp, a provider message id) it is a coincidence, not a leak.
    for (const code of codes) assert.ok(!new RegExp(`(?<![0-9])${code}(?![0-9])`).test(logs), 'no code in the logs');
    assert.ok(!logs.includes('token='));
  });
});
