/**
 * Sends the delivery outbox. Runs in every replica: claims due jobs with a lease (FOR UPDATE
 * SKIP LOCKED, see delivery-job-repository.ts), renders the message in the job's language, and
 * sends it. `wake()` after a request's statement commits starts the send within milliseconds; a
 * poll picks up retries and jobs a crashed process left behind. Transient failures retry with
 * exponential backoff and full jitter until the code expires; permanent ones stop at once.
 * Logs carry the masked destination and the provider's error name only (S34).
 */
import type { Clock } from '../lib/clock.ts';
import { deadline } from '../lib/deadline.ts';
import type { Histogram } from '../lib/metrics.ts';
import type { RandomSource } from '../lib/random.ts';
import type { ClaimedDeliveryJob, DeliveryJobEnd, DeliveryJobRepository } from '../repositories/delivery-job-repository.ts';
import type { AuditLog } from '../services/audit-log.ts';
import type { SmsPumpingGuard, SmsVerdict } from '../services/sms-pumping-guard.ts';
import type { WebhookEvents } from '../services/webhook-events.ts';
import type { Channel, Logger } from '../services/types.ts';
import { canSendBulk, type BulkEmail, type BulkEmailSender, type EmailMessage, type MessageSender, type SendResult, type SmsMessage } from './message-sender.ts';
import { bulkKeyString, type MessageRenderer, type OutboundMessage } from './messages.ts';
import type { DeliveryPayload, PayloadSealer } from './outbox-payload.ts';
import { describeProviderError, formatProviderError, isOverloadSignal, isTransientProviderError, type ProviderErrorSummary } from './provider-errors.ts';
import { createAdaptiveConcurrency, type ConcurrencyLimit } from './adaptive-concurrency.ts';
import { CHANNELS } from './admission-gate.ts';
import { retryDelayMs } from './retry-backoff.ts';
import type { Worker } from '../workers/worker.ts';

// A request's wake waits at least this long, so the reply is written before any sending work
// starts on this event loop (a known identifier's answer must not be slower, S17).
const WAKE_DELAY_MS = 2;

// ...and at most this long for more codes to share the claim and the provider call: a
// SendBulkEmail call costs about 1 ms of CPU whether it carries 1 code or 50 (measured: 2.2 ms
// per code in calls of one, 81 µs in calls of 14, 36 µs in calls of 50), and a claim or a
// completion is one statement whatever its size. Once a bulk call's worth of codes has been
// committed here, the claim goes at once. 50 ms is small beside the 2 s a code may take to reach
// the provider (DELIVERY_MAX_LAG_SECONDS refuses requests long before).
export const CLAIM_COALESCE_MS = 50;

// At most this many jobs per claim: one statement and one commit lease a whole batch.
const CLAIM_BATCH_MAX = 250;

// A claimed batch is dispatched in slices, each in its own turn of the event loop: requests
// that arrived meanwhile are read and answered between two slices, instead of waiting behind the
// whole batch (up to 250 payloads opened, and a provider call's CPU, about 1 ms through the AWS
// SDK, per bulk call or per SMS). A slice ends after one provider call of a bulk group, after
// this many single sends, or after this many jobs opened.
const SLICE_SINGLE_SENDS = 4;
const SLICE_JOBS = 50;

/** Lets the event loop run its I/O (pending requests) before the dispatcher goes on. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface DispatcherSettings {
  pollIntervalMs: number;
  /**
   * Jobs in flight at most per channel (claimed and not yet recorded); an email bulk call carries
   * up to 50. Per channel, so SMS sends waiting on a slow SNS never take email's room, nor the
   * reverse.
   */
  maxConcurrency: number;
  leaseSeconds: number;
  sendTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface OutboxDispatcher extends Worker {
  /** Starts polling; until then `wake` and `drain` do nothing (a replica that only accepts requests). */
  start(): void;
  /**
   * A job was committed: claim due jobs within CLAIM_COALESCE_MS, or at once when a bulk call's
   * worth is waiting. Never throws, never waits.
   */
  wake(): void;
  /** Sends every job due now and waits for the sends to settle (tests, operations). */
  drain(): Promise<void>;
  /** Stops claiming and waits for in-flight sends to record their outcome (shutdown). */
  stop(): Promise<void>;
}

export function createOutboxDispatcher(deps: {
  jobs: DeliveryJobRepository;
  sealer: PayloadSealer;
  renderer: MessageRenderer;
  email: MessageSender<EmailMessage>;
  sms: MessageSender<SmsMessage>;
  clock: Clock;
  random: RandomSource;
  log: Logger;
  audit: Pick<AuditLog, 'record'>;
  /**
   * The SMS-pumping caps (S21), counted just before an SMS is sent: after the reply, so the
   * count's round trip cannot tell known numbers apart (S17), and only for messages that would
   * really go out. Unreachable counters: nothing is sent and the job is retried (S22).
   */
  smsCaps: Pick<SmsPumpingGuard, 'admit'>;
  settings: DispatcherSettings;
  /** Webhook events (code.blocked). */
  events?: Pick<WebhookEvents, 'emit'>;
  /** Seconds from the code request to the job's end, by channel, provider and outcome. */
  latency?: Pick<Histogram, 'observe'>;
}): OutboxDispatcher {
  const { jobs, sealer, renderer, clock, random, log, settings } = deps;
  const inFlight = new Set<Promise<void>>();
  // The jobs this process is working on, by id. Their leases are renewed while they run, so a
  // slow send (a starved event loop, a provider that answers late) never outlives its lease and
  // is sent again by a dispatcher that claimed it meanwhile; a job whose lease was lost anyway
  // has its send aborted. `settled`: its outcome is being written, so no renewal is needed.
  const held = new Map<string, { job: ClaimedDeliveryJob; abort: AbortController; settled: boolean }>();
  let heartbeat: NodeJS.Timeout | undefined;
  let renewing = false;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;
  let backlog = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  let wakeDue = 0;
  /** Jobs committed by this process's requests since the last claim. */
  let committed = 0;
  let claimedSinceDrainCheck = 0;
  // A bulk call's worth: enough committed jobs to fill one provider call.
  const fill = canSendBulk(deps.email) ? deps.email.maxBulkEntries : 1;
  // Each channel's own room: its codes in flight adapt to its provider (AIMD), up to
  // DELIVERY_MAX_CONCURRENCY, so SNS throttling halves the SMS limit only. `full`: the last claim
  // found no room, so a finishing send of the channel claims again.
  const rooms = Object.fromEntries(CHANNELS.map((channel) => [channel, {
    limit: createAdaptiveConcurrency({ max: settings.maxConcurrency, step: fill, now: () => Date.now() }),
    inFlight: 0,
    full: false,
  }])) as Record<Channel, { limit: ConcurrencyLimit; inFlight: number; full: boolean }>;

  // One claim loop at a time per process; a wake during a loop asks for one more pass, so a
  // burst of requests costs a few claims, not one per request.
  function wake(): void {
    if (!started || stopped) return;
    again = true;
    pumping ??= pump().finally(() => { pumping = undefined; });
  }

  // From a request: see WAKE_DELAY_MS and CLAIM_COALESCE_MS. The claim goes CLAIM_COALESCE_MS
  // after the first unclaimed commit, or WAKE_DELAY_MS after the one that fills a bulk call.
  function wakeSoon(): void {
    if (!started || stopped) return;
    committed++;
    const delay = committed >= fill ? WAKE_DELAY_MS : CLAIM_COALESCE_MS;
    const due = Date.now() + delay;
    if (wakeTimer !== undefined && wakeDue <= due) return;
    if (wakeTimer !== undefined) clearTimeout(wakeTimer);
    wakeDue = due;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      wake();
    }, delay);
  }

  async function pump(): Promise<void> {
    while (again && !stopped) {
      const free = {} as Record<Channel, number>;
      for (const channel of CHANNELS) {
        const room = rooms[channel];
        free[channel] = Math.max(0, Math.min(room.limit.current - room.inFlight, CLAIM_BATCH_MAX));
        room.full = free[channel] === 0;
      }
      if (CHANNELS.every((channel) => free[channel] === 0)) return; // `again` stays set: a finishing send resumes the loop
      again = false;
      committed = 0;
      if (wakeTimer !== undefined) {
        // This claim takes what the pending wake was waiting for.
        clearTimeout(wakeTimer);
        wakeTimer = undefined;
      }
      let claimed: ClaimedDeliveryJob[];
      try {
        claimed = await jobs.claim({ now: clock.now(), limits: free, leaseSeconds: settings.leaseSeconds });
      } catch (error) {
        log.warn({ error: describeProviderError(error) }, 'delivery dispatcher could not claim jobs; will retry');
        return;
      }
      claimedSinceDrainCheck += claimed.length;
      // A full batch of a channel suggests more are waiting: claim again now and as sends finish.
      backlog = CHANNELS.some((channel) => free[channel] > 0 && claimed.filter((job) => job.channel === channel).length === free[channel]);
      if (backlog) again = true;
      await dispatch(claimed);
    }
  }

  /** Runs a task for claimed jobs, held and counted in flight until it has recorded their outcome. */
  function track(owned: ClaimedDeliveryJob[], task: () => Promise<void>): void {
    for (const job of owned) rooms[job.channel].inFlight++;
    const entries = owned.map((job) => ({ job, abort: new AbortController(), settled: false }));
    for (const entry of entries) held.set(entry.job.id, entry);
    const running = task().finally(() => {
      inFlight.delete(running);
      for (const job of owned) rooms[job.channel].inFlight--;
      for (const entry of entries) if (held.get(entry.job.id) === entry) held.delete(entry.job.id);
      if (again || backlog || owned.some((job) => rooms[job.channel].full)) wake();
    });
    inFlight.add(running);
  }

  function settling(job: ClaimedDeliveryJob): void {
    const entry = held.get(job.id);
    if (entry !== undefined && entry.job === job) entry.settled = true;
  }

  /** Renews the leases of the sends in flight; aborts a send whose job another dispatcher took. */
  async function renewLeases(): Promise<void> {
    // Settled jobs too: one whose outcome waits for the database keeps its lease meanwhile.
    const entries = [...held.values()];
    if (entries.length === 0 || renewing) return;
    renewing = true;
    try {
      const kept = await jobs.extend(entries.map((entry) => ({ id: entry.job.id, attempt: entry.job.attempt })), settings.leaseSeconds);
      for (const entry of entries) {
        if (kept.has(entry.job.id) || entry.settled || held.get(entry.job.id) !== entry) continue;
        entry.abort.abort();
        log.warn({ jobId: entry.job.id, channel: entry.job.channel, to: entry.job.destinationMasked, attempt: entry.job.attempt }, 'delivery job lease lost while sending; send aborted');
      }
    } catch (error) {
      // Database unreachable: the lease may run out; the attempt fence still keeps one outcome.
      log.warn({ error: describeProviderError(error) }, 'delivery dispatcher could not renew its leases');
    } finally {
      renewing = false;
    }
  }

  // Email codes of one client, language, lifetime and link presence go out together, up to the
  // provider's bulk limit per call (SES SendBulkEmail: 50): the SDK's CPU cost per call is paid
  // once per group rather than once per code. SMS, and email to a provider without bulk
  // sending, go one by one.
  async function dispatch(claimed: ClaimedDeliveryJob[]): Promise<void> {
    const groups = new Map<string, { template: BulkEmail['template']; items: { job: ClaimedDeliveryJob; payload: DeliveryPayload }[] }>();
    const bulk = canSendBulk(deps.email) ? deps.email : undefined;
    let singles = 0;
    let opened = 0;
    for (const job of claimed) {
      if (singles >= SLICE_SINGLE_SENDS || opened >= SLICE_JOBS) {
        await nextTurn();
        singles = 0;
        opened = 0;
      }
      opened++;
      // This process claimed a job it is still sending (its lease ran out first): the send in
      // flight takes the new claim's attempt, so its outcome is the one recorded, and nothing is
      // sent twice.
      const mine = held.get(job.id);
      if (mine !== undefined) {
        mine.job.attempt = job.attempt;
        continue;
      }
      const payload = open(job);
      if (payload === undefined || payload.channel !== 'email' || bulk === undefined) {
        track([job], () => guard(job, () => attempt(job, payload)));
        singles++;
        continue;
      }
      const key = { kind: payload.kind ?? 'sign_in', locale: payload.locale, lifetimeMinutes: lifetimeMinutes(job), hasLink: payload.link !== undefined, appName: payload.appName, from: payload.from, clientId: payload.clientId };
      const template = renderer.bulkTemplate(key);
      if (template === undefined) {
        track([job], () => guard(job, () => attempt(job, payload)));
        singles++;
        continue;
      }
      const id = bulkKeyString(key);
      let group = groups.get(id);
      if (group !== undefined && group.items.length >= bulk.maxBulkEntries) {
        // A full call goes now; the jobs after it wait for the next turn.
        groups.delete(id);
        sendGroup(bulk, group);
        group = undefined;
        singles = SLICE_SINGLE_SENDS;
      }
      if (group === undefined) {
        group = { template, items: [] };
        groups.set(id, group);
      }
      group.items.push({ job, payload });
    }
    if (bulk === undefined) return;
    let first = true;
    for (const group of groups.values()) {
      if (!first || singles >= SLICE_SINGLE_SENDS) await nextTurn();
      first = false;
      sendGroup(bulk, group);
    }
  }

  function sendGroup(bulk: BulkEmailSender, group: { template: BulkEmail['template']; items: { job: ClaimedDeliveryJob; payload: DeliveryPayload }[] }): void {
    const { template, items } = group;
    track(items.map((item) => item.job), async () => {
      let results: Awaited<ReturnType<typeof bulk.sendBulk>>;
      const sentAt = Date.now();
      try {
        const signal = AbortSignal.timeout(settings.sendTimeoutMs);
        // One group shares its key, sender included.
        results = await bulk.sendBulk({ template, from: items[0]!.payload.from, entries: items.map((item) => ({ to: item.payload.to, values: renderer.bulkValues(item.payload) })) }, { signal });
      } catch (error) {
        // The call as a whole failed: every code in it is retried or failed alike.
        const summary = describeProviderError(error);
        if (isOverloadSignal(summary)) rooms.email.limit.overloaded();
        await Promise.all(items.map((item) => guard(item.job, () => retryOrFail(item.job, bulk.provider, summary))));
        return;
      }
      if (results.some((result) => !result.ok && isOverloadSignal(result.error))) rooms.email.limit.overloaded();
      else rooms.email.limit.answered(Date.now() - sentAt);
      // One log line for the codes a call delivered, not one per code (each job's end is still
      // audited on its own, with its message id); failures and retries are logged per job.
      const jobIds: string[] = [];
      const messageIds: (string | null)[] = [];
      await Promise.all(items.map((item, index) => guard(item.job, () => {
        const result = results[index]!;
        if (!result.ok) return retryOrFail(item.job, bulk.provider, { name: result.error.name }, result.error.transient);
        const messageId = result.messageId ?? null;
        return finish(item.job, { status: 'delivered', provider: bulk.provider, providerMessageId: messageId, error: null }, undefined, undefined, () => {
          jobIds.push(item.job.id);
          messageIds.push(messageId);
        });
      })));
      if (jobIds.length > 0) log.info({ provider: bulk.provider, count: jobIds.length, jobIds, messageIds }, 'codes delivered');
    });
  }

  async function guard(job: ClaimedDeliveryJob, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      // Bookkeeping failed (database unreachable): the lease runs out and the job is retried.
      log.error({ jobId: job.id, channel: job.channel, to: job.destinationMasked, error: describeProviderError(error) }, 'delivery job bookkeeping failed; it will be retried after its lease');
    }
  }

  function lifetimeMinutes(job: ClaimedDeliveryJob): number {
    return Math.ceil((job.expiresAt.getTime() - job.createdAt.getTime()) / 60_000);
  }

  /** The job's payload when it should still be sent; undefined when it ends without a send. */
  function open(job: ClaimedDeliveryJob): DeliveryPayload | undefined {
    if (job.expiresAt.getTime() <= clock.now().getTime() || job.superseded || job.payload === null) return undefined;
    try {
      return sealer.open(job.payload);
    } catch {
      return undefined;
    }
  }

  async function attempt(job: ClaimedDeliveryJob, payload: DeliveryPayload | undefined): Promise<void> {
    if (job.expiresAt.getTime() <= clock.now().getTime()) {
      return finish(job, { status: 'expired', provider: null, providerMessageId: null, error: null });
    }
    // A newer request revoked this code: sending it late (say, after throttling) would only
    // deliver a code that no longer works, after the one that does.
    if (job.superseded) {
      return finish(job, { status: 'expired', provider: null, providerMessageId: null, error: 'Superseded' }, { name: 'Superseded' });
    }
    let message: OutboundMessage;
    try {
      if (payload === undefined) throw new Error('payload missing or unreadable');
      message = renderer.render(payload, lifetimeMinutes(job));
    } catch {
      // A payload no configured secret opens (its secret was rotated out) can never be sent.
      return finish(job, { status: 'failed', provider: null, providerMessageId: null, error: 'PayloadUnreadable' }, { name: 'PayloadUnreadable' });
    }

    const sender = message.channel === 'email' ? deps.email : deps.sms;
    if (message.channel === 'mobile') {
      let verdict: SmsVerdict;
      try {
        verdict = await deps.smsCaps.admit({ jobId: job.id, e164: message.to, userId: job.userId, clientIp: job.clientIp });
      } catch {
        // No HTTP status: retried like a network failure until the code expires.
        return retryOrFail(job, sender.provider, { name: 'SmsCountersUnavailable' });
      }
      if (!verdict.allowed) {
        return finish(job, { status: 'failed', provider: null, providerMessageId: null, error: `SmsBlocked:${verdict.reason}` }, { name: 'SmsBlocked' }, verdict.reason);
      }
    }
    let result: SendResult;
    const sentAt = Date.now();
    const lost = held.get(job.id)?.abort.signal;
    // Not AbortSignal.any over AbortSignal.timeout: see src/lib/deadline.ts.
    const timeout = deadline(settings.sendTimeoutMs, lost);
    try {
      const options = { signal: timeout.signal, idempotencyKey: job.id };
      result = message.channel === 'email' ? await deps.email.send(message, options) : await deps.sms.send(message, options);
    } catch (error) {
      const summary = describeProviderError(error);
      // A send aborted because another dispatcher took the job says nothing about the provider.
      if (isOverloadSignal(summary) && lost?.aborted !== true) rooms[job.channel].limit.overloaded();
      return retryOrFail(job, sender.provider, summary);
    } finally {
      timeout.clear();
    }
    rooms[job.channel].limit.answered(Date.now() - sentAt);
    return finish(job, { status: 'delivered', provider: sender.provider, providerMessageId: result.messageId ?? null, error: null });
  }

  async function retryOrFail(job: ClaimedDeliveryJob, provider: string, error: ProviderErrorSummary, transient = isTransientProviderError(error)): Promise<void> {
    settling(job);
    const formatted = formatProviderError(error);
    if (!transient) {
      return finish(job, { status: 'failed', provider, providerMessageId: null, error: formatted }, error);
    }
    const next = new Date(clock.now().getTime() + retryDelayMs(job.attempt, { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs }, random));
    if (next.getTime() >= job.expiresAt.getTime()) {
      return finish(job, { status: 'expired', provider, providerMessageId: null, error: formatted }, error);
    }
    const fields = { jobId: job.id, channel: job.channel, provider, to: job.destinationMasked, attempt: job.attempt, error };
    if (!(await jobs.reschedule(job, { nextAttemptAt: next, error: formatted, provider }))) {
      log.warn(fields, 'delivery job was taken over by another dispatcher; retry not recorded');
      return;
    }
    log.warn({ ...fields, retryAt: next.toISOString() }, 'code delivery will be retried');
  }

  /**
   * Writes the job's end, retrying while the database is unreachable: a message the provider
   * accepted must not be sent again because its outcome could not be written. The job stays
   * held meanwhile (its lease is renewed, and a re-claim by this process is adopted), until the
   * code expires or the dispatcher stops.
   */
  async function recordEnd(job: ClaimedDeliveryJob, end: DeliveryJobEnd): Promise<boolean> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await jobs.finish(job, end, clock.now());
      } catch (error) {
        if (stopped || job.expiresAt.getTime() <= clock.now().getTime()) throw error;
        log.warn({ jobId: job.id, channel: job.channel, to: job.destinationMasked, status: end.status, error: describeProviderError(error) }, 'delivery outcome not written yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // Every job ends here, and only here: delivered, failed or expired. The payload is wiped in
  // the same statement. This is the one place to record code.delivered / code.failed.
  // A bulk call logs its deliveries in one line of its own (`bulkDelivered`, called once the
  // outcome is recorded, instead of a line per code).
  async function finish(job: ClaimedDeliveryJob, end: DeliveryJobEnd, error?: ProviderErrorSummary, blockedReason?: string, bulkDelivered?: () => void): Promise<void> {
    settling(job);
    const recorded = await recordEnd(job, end);
    const fields = { jobId: job.id, userId: job.userId, channel: job.channel, provider: end.provider, to: job.destinationMasked, attempt: job.attempt };
    if (!recorded) {
      log.warn(fields, 'delivery job was taken over by another dispatcher; outcome not recorded');
      return;
    }
    deps.latency?.observe(
      { channel: job.channel, provider: end.provider ?? 'none', outcome: blockedReason !== undefined ? 'blocked' : end.status },
      Math.max(0, clock.now().getTime() - job.createdAt.getTime()) / 1000,
    );
    const audited = {
      userId: job.userId,
      masked: { channel: job.channel, destination: job.destinationMasked },
      ...(job.clientIp !== null ? { context: { ip: job.clientIp, userAgent: undefined, acceptLanguage: undefined } } : {}),
    };
    if (blockedReason !== undefined) {
      log.info({ ...fields, reason: blockedReason }, 'code blocked by SMS caps; nothing sent');
      deps.audit.record({ event: 'code.blocked', outcome: 'blocked', ...audited, reason: blockedReason, detail: { jobId: job.id } });
      deps.events?.emit({ type: 'code.blocked', data: { user_id: job.userId, channel: job.channel, destination: job.destinationMasked, reason: blockedReason } });
    } else if (end.status === 'delivered') {
      if (bulkDelivered !== undefined) bulkDelivered();
      else log.info({ ...fields, messageId: end.providerMessageId }, 'code delivered');
      deps.audit.record({ event: 'code.delivered', outcome: 'delivered', ...audited, detail: { jobId: job.id, provider: end.provider, messageId: end.providerMessageId, attempt: job.attempt } });
    } else {
      if (end.status === 'failed') log.error({ ...fields, error }, 'code delivery failed');
      else log.warn({ ...fields, error }, 'code delivery expired');
      deps.audit.record({
        event: 'code.failed', outcome: 'failed', ...audited,
        reason: end.status === 'expired' ? (error?.name === 'Superseded' ? 'superseded' : 'expired') : error?.name ?? 'failed',
        detail: { jobId: job.id, provider: end.provider, status: error?.status ?? null, attempt: job.attempt },
      });
    }
  }

  return {
    name: 'outbox-dispatcher',
    start() {
      if (started) return;
      started = true;
      timer = setInterval(wake, settings.pollIntervalMs);
      timer.unref();
      // Three renewals per lease: one late or failed renewal still leaves the lease standing.
      heartbeat = setInterval(() => { void renewLeases(); }, Math.max(100, (settings.leaseSeconds * 1000) / 3));
      heartbeat.unref();
      wake();
    },
    wake: wakeSoon,
    async drain() {
      if (!started) return;
      do {
        claimedSinceDrainCheck = 0;
        wake();
        await pumping;
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        await pumping;
      } while (claimedSinceDrainCheck > 0 && !stopped);
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (wakeTimer !== undefined) clearTimeout(wakeTimer);
      await pumping;
      // Leases are renewed until the last send has recorded its outcome.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      if (heartbeat) clearInterval(heartbeat);
    },
  };
}
