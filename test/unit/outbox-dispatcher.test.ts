// The dispatcher's decisions, with an in-memory outbox and fake senders: what ends a job, what
// is retried and when, and that at most DELIVERY_MAX_CONCURRENCY sends run at once.
import type { AuditEvent } from '../../src/services/audit-log.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Mustache from 'mustache';
import type { BulkEmail, BulkEmailSender, EmailMessage, MessageSender, SmsMessage } from '../../src/delivery/message-sender.ts';
import { loadMessageTemplates } from '../../src/delivery/message-templates.ts';
import { createMessageRenderer } from '../../src/delivery/messages.ts';
import { CLAIM_COALESCE_MS, createOutboxDispatcher } from '../../src/delivery/outbox-dispatcher.ts';
import { createPayloadSealer, type DeliveryPayload } from '../../src/delivery/outbox-payload.ts';
import type { ClaimedDeliveryJob, DeliveryJobEnd, DeliveryJobRepository } from '../../src/repositories/delivery-job-repository.ts';

const T0 = new Date('2026-11-25T12:00:00.000Z');
const sealer = createPayloadSealer([Buffer.from('unit-test-secret-0123456789-abcdefghijkl')]);
const renderer = createMessageRenderer({ templates: loadMessageTemplates({ dir: undefined, defaultLocale: 'en' }), appName: 'Sesame', smsOrigin: undefined });

interface Row extends ClaimedDeliveryJob {
  status: string;
  nextAttemptAt: Date;
  leased: boolean;
  end?: DeliveryJobEnd;
  lastError?: string;
}

function memoryOutbox() {
  const rows: Row[] = [];
  const renewals: string[][] = [];
  const repo: DeliveryJobRepository = {
    async claim({ now, limits }) {
      const taken = { email: 0, mobile: 0 };
      const due = rows.filter((row) => row.status === 'pending' && !row.leased && row.nextAttemptAt <= now && taken[row.channel]++ < limits[row.channel]);
      for (const row of due) {
        row.leased = true;
        row.attempt += 1;
      }
      return due.map((row) => ({ ...row }));
    },
    async finish(job, end) {
      const row = rows.find((candidate) => candidate.id === job.id && candidate.attempt === job.attempt && candidate.status === 'pending');
      if (!row) return false;
      Object.assign(row, { status: end.status, end, payload: null, leased: false });
      return true;
    },
    async reschedule(job, input) {
      const row = rows.find((candidate) => candidate.id === job.id && candidate.attempt === job.attempt);
      if (!row) return false;
      Object.assign(row, { nextAttemptAt: input.nextAttemptAt, leased: false, lastError: input.error });
      return true;
    },
    async extend(held) {
      renewals.push(held.map((job) => job.id));
      return new Set(held.filter((job) => rows.some((row) => row.id === job.id && row.attempt === job.attempt && row.status === 'pending' && row.leased)).map((job) => job.id));
    },
  };
  return {
    rows,
    repo,
    renewals,
    add(options: { to?: string; expiresAt?: Date; payload?: Buffer | null; channel?: 'email' | 'mobile' } = {}): Row {
      const channel = options.channel ?? 'email';
      const to = options.to ?? (channel === 'email' ? `user${rows.length}@example.com` : `+1415555${String(1000 + rows.length)}`);
      const row: Row = {
        id: String(rows.length + 1),
        userId: 'u',
        channel,
        destinationMasked: channel === 'email' ? 'u***@example.com' : '+1415******00',
        clientIp: '203.0.113.9',
        payload: options.payload === undefined ? sealer.seal({ channel, to, code: '123456', locale: 'en' }) : options.payload,
        attempt: 0,
        createdAt: T0,
        expiresAt: options.expiresAt ?? new Date(T0.getTime() + 600_000),
        superseded: false,
        status: 'pending',
        nextAttemptAt: T0,
        leased: false,
      };
      rows.push(row);
      return row;
    },
  };
}

function awsError(name: string, status: number): Error {
  return Object.assign(new Error('quoted jane@example.com'), { name, $metadata: { httpStatusCode: status } });
}

function setup(email: MessageSender<EmailMessage>['send'], settings: Partial<{ maxConcurrency: number; leaseSeconds: number; sendTimeoutMs: number; sms: MessageSender<SmsMessage>['send'] }> = {}) {
  const outbox = memoryOutbox();
  const logs: Array<{ level: string; object: Record<string, unknown>; message?: string }> = [];
  const record = (level: string) => (object: object, message?: string) => { logs.push({ level, object: object as Record<string, unknown>, message }); };
  let now = T0;
  const audited: AuditEvent[] = [];
  const sms: MessageSender<SmsMessage> = { provider: 'fake-sms', send: settings.sms ?? (async () => ({ messageId: 'sms-1' })) };
  const dispatcher = createOutboxDispatcher({
    jobs: outbox.repo,
    sealer,
    renderer,
    email: { provider: 'fake-email', send: email },
    sms,
    clock: { now: () => now },
    random: { int: (max) => max - 1, bytes: (size) => Buffer.alloc(size) },
    log: { info: record('info'), warn: record('warn'), error: record('error') },
    audit: { record: (event) => { audited.push(event); } },
    smsCaps: { admit: async () => ({ allowed: true }) },
    settings: { pollIntervalMs: 60_000, maxConcurrency: settings.maxConcurrency ?? 4, leaseSeconds: settings.leaseSeconds ?? 60, sendTimeoutMs: settings.sendTimeoutMs ?? 1000, retryBaseMs: 1000, retryMaxMs: 60_000 },
  });
  dispatcher.start();
  return { outbox, logs, audited, dispatcher, advance: (ms: number) => { now = new Date(now.getTime() + ms); } };
}

describe('outbox dispatcher', () => {
  it('delivers with the rendered message and records the provider message id', async () => {
    const sent: EmailMessage[] = [];
    const { outbox, dispatcher, logs, audited } = setup(async (message) => { sent.push(message); return { messageId: 'ses-1' }; });
    const job = outbox.add({ to: 'jane@example.com' });
    await dispatcher.drain();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.to, 'jane@example.com');
    assert.match(sent[0]!.subject, /123456/);
    assert.deepEqual(outbox.rows[0]!.end, { status: 'delivered', provider: 'fake-email', providerMessageId: 'ses-1', error: null });
    assert.equal(outbox.rows[0]!.payload, null);
    assert.deepEqual(logs.map((entry) => entry.message), ['code delivered']);
    // S33: the job's end is audited once, with the masked destination only.
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.event, 'code.delivered');
    assert.equal(audited[0]!.userId, job.userId);
    assert.deepEqual(audited[0]!.masked, { channel: job.channel, destination: job.destinationMasked });
    assert.equal(audited[0]!.detail?.messageId, 'ses-1');
    await dispatcher.stop();
  });

  it('reschedules a transient failure with backoff, then delivers once the retry is due', async () => {
    let calls = 0;
    const { outbox, dispatcher, advance, logs } = setup(async () => {
      calls++;
      if (calls === 1) throw awsError('TooManyRequestsException', 429);
      return { messageId: 'ses-2' };
    });
    const row = outbox.add();
    await dispatcher.drain();
    assert.equal(row.status, 'pending');
    assert.equal(row.lastError, 'TooManyRequestsException 429');
    assert.equal(row.nextAttemptAt.getTime() - T0.getTime(), 1000, 'first retry within the base delay');
    await dispatcher.drain();
    assert.equal(calls, 1, 'not before it is due');
    advance(1000);
    await dispatcher.drain();
    assert.equal(calls, 2);
    assert.equal(row.status, 'delivered');
    assert.ok(!JSON.stringify(logs).includes('jane@example.com'), 'provider messages are never logged');
    await dispatcher.stop();
  });

  it('fails a permanent error at once, and expires a transient one whose retry would come after the code expires', async () => {
    const { outbox, dispatcher, audited } = setup(async (message) => {
      throw message.to === 'rejected@example.com' ? awsError('MessageRejected', 400) : awsError('ServiceUnavailable', 503);
    });
    const rejected = outbox.add({ to: 'rejected@example.com' });
    const late = outbox.add({ to: 'late@example.com', expiresAt: new Date(T0.getTime() + 500) });
    await dispatcher.drain();
    assert.deepEqual(rejected.end, { status: 'failed', provider: 'fake-email', providerMessageId: null, error: 'MessageRejected 400' });
    assert.equal(rejected.attempt, 1);
    assert.deepEqual(late.end, { status: 'expired', provider: 'fake-email', providerMessageId: null, error: 'ServiceUnavailable 503' });
    assert.deepEqual(audited.map((event) => [event.event, event.reason]).sort(), [['code.failed', 'MessageRejected'], ['code.failed', 'expired']]);
    await dispatcher.stop();
  });

  it('expires a job claimed after its code expired, and fails one whose payload no secret opens, without sending', async () => {
    let calls = 0;
    const { outbox, dispatcher, advance } = setup(async () => { calls++; return { messageId: 'x' }; });
    const expired = outbox.add({ expiresAt: new Date(T0.getTime() + 1000) });
    advance(1000);
    const unreadable = outbox.add({ payload: createPayloadSealer([Buffer.from('another-secret-0123456789-abcdefghijklmn')]).seal({ channel: 'email', to: 'x@example.com', code: '1', locale: 'en' }) });
    await dispatcher.drain();
    assert.equal(calls, 0);
    assert.equal(expired.status, 'expired');
    assert.equal(unreadable.status, 'failed');
    assert.equal(unreadable.end?.error, 'PayloadUnreadable');
    await dispatcher.stop();
  });

  it('runs at most maxConcurrency sends at once and still sends every job', async () => {
    let active = 0;
    let peak = 0;
    const { outbox, dispatcher } = setup(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setImmediate(resolve));
      active--;
      return { messageId: 'x' };
    }, { maxConcurrency: 3 });
    for (let i = 0; i < 20; i++) outbox.add();
    await dispatcher.drain();
    assert.equal(peak, 3);
    assert.ok(outbox.rows.every((row) => row.status === 'delivered'));
    await dispatcher.stop();
  });

  it('gives each channel its own maxConcurrency: SMS sends hanging on a slow provider never hold up email (S48)', async () => {
    const hanging: Array<() => void> = [];
    const emailed: string[] = [];
    const { outbox, dispatcher } = setup(async (message) => {
      emailed.push(message.to);
      return { messageId: 'e' };
    }, {
      maxConcurrency: 2,
      sms: () => new Promise((resolve) => { hanging.push(() => resolve({ messageId: 's' })); }),
    });
    // Due first: three SMS codes, then three email codes.
    const texts = [0, 1, 2].map(() => outbox.add({ channel: 'mobile' }));
    const emails = [0, 1, 2].map(() => outbox.add());
    dispatcher.wake();
    const until = async (condition: () => boolean) => {
      for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(condition());
    };
    // Two SMS sends hang, filling SMS's room; email's is its own, so every email code goes out.
    await until(() => emailed.length === 3 && hanging.length === 2);
    assert.ok(emails.every((row) => row.status === 'delivered'));
    assert.deepEqual(texts.map((row) => row.attempt), [1, 1, 0], 'the third SMS waits for room of its own channel');
    // SNS answers: the waiting SMS goes out as soon as one of the hanging sends ends.
    hanging.shift()!();
    await until(() => hanging.length === 2);
    for (const answer of hanging.splice(0)) answer();
    await until(() => hanging.length === 0 && texts.every((row) => row.status === 'delivered'));
    await dispatcher.stop();
  });

  it('keeps retrying to record a delivered message while the database is unreachable, and never sends it again', async () => {
    let calls = 0;
    const { outbox, dispatcher, logs } = setup(async () => { calls++; return { messageId: 'once' }; });
    const row = outbox.add();
    const finish = outbox.repo.finish.bind(outbox.repo);
    let failures = 2;
    outbox.repo.finish = async (job, end, now) => {
      if (failures > 0) {
        failures--;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      return finish(job, end, now);
    };
    await dispatcher.drain();
    assert.equal(calls, 1);
    assert.equal(row.status, 'delivered');
    assert.equal(logs.filter((entry) => entry.message === 'delivery outcome not written yet; retrying').length, 2);
    await dispatcher.stop();
  });

  it('renews the lease of a send in flight three times a lease, so a slow send keeps its job', async () => {
    const { outbox, dispatcher } = setup(async () => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      return { messageId: 'slow' };
    }, { leaseSeconds: 0.3, sendTimeoutMs: 5_000 });
    const row = outbox.add();
    await dispatcher.drain();
    assert.equal(row.status, 'delivered');
    assert.equal(row.attempt, 1);
    assert.ok(outbox.renewals.length >= 4 && outbox.renewals.every((ids) => ids.join() === row.id), `renewals: ${JSON.stringify(outbox.renewals)}`);
    await dispatcher.stop();
  });

  it('aborts a send whose lease another dispatcher took, and records nothing over its outcome', async () => {
    let aborted = false;
    const { outbox, dispatcher, logs } = setup((_message, options) => new Promise((_resolve, reject) => {
      options?.signal?.addEventListener('abort', () => {
        aborted = options.signal!.reason?.name !== 'TimeoutError';
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      });
    }), { leaseSeconds: 0.3, sendTimeoutMs: 5_000 });
    const row = outbox.add();
    dispatcher.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Another replica's claim: the lease had run out, the attempt moves on.
    row.attempt += 1;
    // The renewal timer does not hold the process open (a server does); this test must.
    const open = setInterval(() => undefined, 100);
    await dispatcher.drain();
    clearInterval(open);
    assert.equal(aborted, true, 'the send was aborted by the lost lease, not by its timeout');
    assert.ok(logs.some((entry) => entry.message === 'delivery job lease lost while sending; send aborted'));
    assert.equal(row.status, 'pending', 'the other claim owns the outcome');
    assert.equal(row.attempt, 2);
    await dispatcher.stop();
  });

  it('sends once when its own lease runs out mid-send and it claims the job again: the send in flight takes the new attempt', async () => {
    let calls = 0;
    let release!: () => void;
    const { outbox, dispatcher } = setup(async () => {
      calls++;
      await new Promise<void>((resolve) => { release = resolve; });
      return { messageId: 'once' };
    });
    const row = outbox.add();
    dispatcher.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(calls, 1);
    row.leased = false; // the lease ran out (a starved event loop renewed it too late)
    dispatcher.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(row.attempt, 2, 'claimed again by the same process');
    release();
    await dispatcher.drain();
    assert.equal(calls, 1, 'sent once');
    assert.equal(row.status, 'delivered', 'and the outcome recorded under the new attempt');
    await dispatcher.stop();
  });

  it('dispatches a large claim in slices: the event loop gets a turn between two provider calls, every code goes out once, one log line per call', async () => {
    const outbox = memoryOutbox();
    // What happened, in order: each bulk call and each turn the event loop gave to other work.
    const events: string[] = [];
    const logs: Array<{ object: Record<string, unknown>; message?: string | undefined }> = [];
    const audited: AuditEvent[] = [];
    const bulkSender: BulkEmailSender = {
      provider: 'bulk',
      maxBulkEntries: 5,
      send: async () => ({ messageId: 'x' }),
      sendBulk: async (email) => {
        events.push(`call ${email.entries.length}`);
        // Another turn of the loop (a request being read) is asked for during each call.
        setImmediate(() => events.push('turn'));
        return email.entries.map(() => ({ ok: true as const, messageId: 'x' }));
      },
    };
    const dispatcher = createOutboxDispatcher({
      jobs: outbox.repo, sealer, renderer,
      email: bulkSender,
      sms: { provider: 's', send: async () => ({ messageId: 'x' }) },
      clock: { now: () => T0 }, random: { int: () => 0, bytes: (size) => Buffer.alloc(size) },
      log: { info: (object: object, message?: string) => { logs.push({ object: object as Record<string, unknown>, message }); }, warn() {}, error() {} },
      audit: { record: (event) => { audited.push(event); } },
      smsCaps: { admit: async () => ({ allowed: true }) },
      settings: { pollIntervalMs: 60_000, maxConcurrency: 100, leaseSeconds: 60, sendTimeoutMs: 1000, retryBaseMs: 1, retryMaxMs: 1 },
    });
    for (let i = 0; i < 20; i++) outbox.add();
    dispatcher.start();
    await dispatcher.drain();
    await new Promise((resolve) => setImmediate(resolve));
    // One claim of 20 codes, four calls of five, and the loop's turn comes before the next call.
    assert.deepEqual(events, ['call 5', 'turn', 'call 5', 'turn', 'call 5', 'turn', 'call 5', 'turn']);
    await dispatcher.stop();
    assert.ok(outbox.rows.every((row) => row.status === 'delivered'));
    // One log line per call, naming its jobs (no destination); every job audited on its own.
    assert.deepEqual(logs.map((entry) => entry.message), ['codes delivered', 'codes delivered', 'codes delivered', 'codes delivered']);
    assert.deepEqual(logs.flatMap((entry) => entry.object.jobIds as string[]).sort(), outbox.rows.map((row) => row.id).sort());
    assert.deepEqual(logs[0]!.object, { provider: 'bulk', count: 5, jobIds: ['1', '2', '3', '4', '5'], messageIds: ['x', 'x', 'x', 'x', 'x'] });
    assert.equal(audited.filter((event) => event.event === 'code.delivered').length, 20);
  });

  it('lets the codes of a burst share one claim and one bulk call: at once when a call is full, else after CLAIM_COALESCE_MS', async () => {
    const outbox = memoryOutbox();
    const claims: number[] = [];
    const calls: number[] = [];
    const bulkSender: BulkEmailSender = {
      provider: 'bulk',
      maxBulkEntries: 5,
      send: async () => ({ messageId: 'x' }),
      sendBulk: async (email) => { calls.push(email.entries.length); return email.entries.map(() => ({ ok: true as const, messageId: 'x' })); },
    };
    const dispatcher = createOutboxDispatcher({
      jobs: { ...outbox.repo, claim: async (input) => { const jobs = await outbox.repo.claim(input); claims.push(jobs.length); return jobs; } },
      sealer, renderer,
      email: bulkSender,
      sms: { provider: 's', send: async () => ({ messageId: 'x' }) },
      clock: { now: () => T0 }, random: { int: () => 0, bytes: (size) => Buffer.alloc(size) },
      log: { info() {}, warn() {}, error() {} },
      audit: { record() {} },
      smsCaps: { admit: async () => ({ allowed: true }) },
      settings: { pollIntervalMs: 60_000, maxConcurrency: 100, leaseSeconds: 60, sendTimeoutMs: 1000, retryBaseMs: 1, retryMaxMs: 1 },
    });
    dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    claims.length = 0;
    // Three requests commit a job each: fewer than a bulk call holds, so the claim waits.
    for (let i = 0; i < 3; i++) {
      outbox.add();
      dispatcher.wake();
    }
    await new Promise((resolve) => setTimeout(resolve, CLAIM_COALESCE_MS / 2));
    assert.deepEqual(claims, [], 'no claim before CLAIM_COALESCE_MS');
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(claims, [3]);
    assert.deepEqual(calls, [3]);
    // Five more fill a bulk call: one claim and one call take them all.
    for (let i = 0; i < 5; i++) {
      outbox.add();
      dispatcher.wake();
    }
    while (calls.length === 1) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.deepEqual(claims, [3, 5]);
    assert.deepEqual(calls, [3, 5]);
    await dispatcher.stop();
    assert.ok(outbox.rows.every((row) => row.status === 'delivered'));
  });

  it("never mixes clients in one bulk call, and each entry renders as its single send would, with its client's name and From (S16)", async () => {
    const outbox = memoryOutbox();
    const calls: BulkEmail[] = [];
    const bulkSender: BulkEmailSender = {
      provider: 'bulk',
      maxBulkEntries: 50,
      send: async () => ({ messageId: 'x' }),
      sendBulk: async (email) => { calls.push(email); return email.entries.map(() => ({ ok: true as const, messageId: 'x' })); },
    };
    const clients = [
      { clientId: 'web', appName: 'Web <App>', from: 'web@example.com' },
      { clientId: 'mobile', appName: 'Mobile & "Co"', from: 'mobile@example.com' },
      // Same name and sender as "web" today, yet another client: never in web's call.
      { clientId: 'partner', appName: 'Web <App>', from: 'web@example.com' },
      // The default client, from before clients: APP_NAME and EMAIL_FROM.
      { clientId: undefined, appName: undefined, from: undefined },
    ];
    const sentTo = new Map<string, (typeof clients)[number] & { payload: DeliveryPayload }>();
    for (const [index, client] of clients.entries()) {
      for (let i = 0; i < 3; i++) {
        const payload: DeliveryPayload = {
          channel: 'email', to: `c${index}-${i}@example.com`, code: `${index}${i}1234`, locale: i === 2 ? 'de' : 'en',
          link: `https://app.example/login?token=t${index}${i}&next=<x>`, appName: client.appName, from: client.from, clientId: client.clientId,
        };
        outbox.add({ to: payload.to, payload: sealer.seal(payload) });
        sentTo.set(payload.to, { ...client, payload });
      }
    }
    const dispatcher = createOutboxDispatcher({
      jobs: outbox.repo, sealer, renderer, email: bulkSender,
      sms: { provider: 's', send: async () => ({ messageId: 'x' }) },
      clock: { now: () => T0 }, random: { int: () => 0, bytes: (size) => Buffer.alloc(size) },
      log: { info() {}, warn() {}, error() {} },
      audit: { record() {} },
      smsCaps: { admit: async () => ({ allowed: true }) },
      settings: { pollIntervalMs: 60_000, maxConcurrency: 100, leaseSeconds: 60, sendTimeoutMs: 1000, retryBaseMs: 1, retryMaxMs: 1 },
    });
    dispatcher.start();
    await dispatcher.drain();
    await dispatcher.stop();
    // One call per client and language: web, mobile, partner and the default, each in en and de.
    assert.equal(calls.length, 8);
    assert.equal(calls.reduce((sum, call) => sum + call.entries.length, 0), 12);
    /** What SES does with an inline template: each {{name}} replaced by the entry's value, unescaped. */
    const substitute = (template: string, values: Record<string, string>) => template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '');
    for (const call of calls) {
      const owners = new Set(call.entries.map((entry) => sentTo.get(entry.to)!.clientId));
      assert.equal(owners.size, 1, 'one client per call');
      const owner = sentTo.get(call.entries[0]!.to)!;
      assert.equal(call.from, owner.from);
      for (const entry of call.entries) {
        const single = renderer.render(sentTo.get(entry.to)!.payload, 10);
        assert.equal(single.channel, 'email');
        if (single.channel !== 'email') continue;
        assert.equal(single.from, owner.from);
        assert.equal(substitute(call.template.subject, entry.values), single.subject);
        assert.equal(substitute(call.template.text, entry.values), single.text);
        assert.equal(substitute(call.template.html, entry.values), single.html);
        const html = substitute(call.template.html, entry.values);
        assert.ok(html.includes(owner.appName === undefined ? 'Sesame' : Mustache.escape(owner.appName)), 'the client\'s name, escaped');
        assert.ok(!html.includes('<x>') && !html.includes('<App>'), 'nothing unescaped in the HTML part');
      }
    }
    assert.ok(outbox.rows.every((row) => row.status === 'delivered'));
  });

  it('halves the codes in flight when the provider throttles a bulk call, and still delivers every code once', async () => {
    const outbox = memoryOutbox();
    const limits: number[] = [];
    let calls = 0;
    const delivered: string[] = [];
    const bulkSender: BulkEmailSender = {
      provider: 'bulk',
      maxBulkEntries: 50,
      send: async () => ({ messageId: 'x' }),
      sendBulk: async (email) => {
        calls++;
        if (calls === 1) throw awsError('TooManyRequestsException', 429);
        delivered.push(...email.entries.map((entry) => entry.to));
        return email.entries.map(() => ({ ok: true as const, messageId: 'x' }));
      },
    };
    for (let i = 0; i < 200; i++) outbox.add();
    const started = Date.now();
    const dispatcher = createOutboxDispatcher({
      jobs: { ...outbox.repo, claim: async (input) => { limits.push(input.limits.email); return outbox.repo.claim(input); } },
      sealer, renderer, email: bulkSender,
      sms: { provider: 's', send: async () => ({ messageId: 'x' }) },
      // Time moves, so the throttled codes' retries (1 ms later) come due.
      clock: { now: () => new Date(T0.getTime() + Date.now() - started) }, random: { int: () => 0, bytes: (size) => Buffer.alloc(size) },
      log: { info() {}, warn() {}, error() {} },
      audit: { record() {} },
      smsCaps: { admit: async () => ({ allowed: true }) },
      settings: { pollIntervalMs: 60_000, maxConcurrency: 200, leaseSeconds: 60, sendTimeoutMs: 1000, retryBaseMs: 1, retryMaxMs: 1 },
    });
    dispatcher.start();
    while (outbox.rows.some((row) => row.status === 'pending')) {
      await dispatcher.drain();
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await dispatcher.stop();
    assert.equal(limits[0], 200, 'the first claim fills DELIVERY_MAX_CONCURRENCY');
    // (Later claims may grow again: one bulk call more per second of quick answers.)
    assert.ok(limits.length > 1 && limits[1]! <= 100, `after the throttling, at most half as many in flight (${limits.join(', ')})`);
    assert.equal(delivered.length, 200);
    assert.equal(new Set(delivered).size, 200, 'every code once');
  });

  it('does nothing until started, and stops claiming once stopped', async () => {
    const outbox = memoryOutbox();
    let calls = 0;
    const dispatcher = createOutboxDispatcher({
      jobs: outbox.repo, sealer, renderer,
      email: { provider: 'e', send: async () => { calls++; return { messageId: 'x' }; } },
      sms: { provider: 's', send: async () => ({ messageId: 'x' }) },
      clock: { now: () => T0 }, random: { int: () => 0, bytes: (size) => Buffer.alloc(size) },
      log: { info() {}, warn() {}, error() {} },
      audit: { record() {} },
      smsCaps: { admit: async () => ({ allowed: true }) },
      settings: { pollIntervalMs: 60_000, maxConcurrency: 1, leaseSeconds: 60, sendTimeoutMs: 1000, retryBaseMs: 1, retryMaxMs: 1 },
    });
    outbox.add();
    dispatcher.wake();
    await dispatcher.drain();
    assert.equal(calls, 0);
    await dispatcher.stop();
    dispatcher.start();
    await dispatcher.drain();
    assert.equal(calls, 0);
  });
});
