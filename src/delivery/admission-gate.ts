/**
 * Admission control (issue 9). Once a second every replica reads the shared outbox (one bounded
 * statement on the partial index of pending jobs and on the primary key): per channel, how old
 * the oldest pending job is, how many are pending, and how many jobs were created since the last
 * reading (those above the highest job id it saw). Every dispatcher of every
 * replica drains that one outbox, so this is their common view of delivery, shared through the
 * database; a request only reads the last verdict, at no cost per request.
 *
 * New code requests are refused (503 overloaded, Retry-After) before anything is stored or sent,
 * for known and unknown identifiers alike (S17), while any of these holds:
 * - the oldest pending job of the request's channel (email or SMS) is older than
 *   DELIVERY_MAX_LAG_SECONDS: a provider that stalls, or one that takes fewer messages a
 *   second than are asked of it (SNS's SMS rate is often tens a second), closes its own
 *   channel and leaves the other open. While the outbox is draining (jobs left it within the
 *   rate window), only jobs none of whose attempts has failed count here; each channel's
 *   draining is its own, as email being sent says nothing about SMS. A job retried after
 *   failures of its own (a send hook answering 5xx for one number, an SES entry's
 *   TRANSIENT_FAILURE) says nothing about the codes behind it, which are being sent; counted,
 *   it would refuse everyone until its code expired. While nothing of the channel drains,
 *   failing jobs count too, so a stalled or failing provider closes the gate; but not one that
 *   a later job of its channel, delivered, shows to be failing for a reason of its own.
 * - more than DELIVERY_MAX_PENDING jobs wait (both channels together: this closes both);
 * - the projected wait of a code accepted now is more than half of DELIVERY_MAX_LAG_SECONDS:
 *   the jobs ahead of it divided by the rate the outbox has been emptied at (jobs created minus
 *   the change in pending: delivered, failed or expired), the higher of that over the last
 *   probe interval and over the last few seconds; each channel's from its own jobs and rate, so
 *   an SMS provider that takes 20 messages a second is not projected from email's 1,000.
 * The first rule alone lets a code accepted just before it trips wait longer than the limit:
 * the oldest job's age is what the head of the queue waited, and under an offered rate r times
 * what delivery manages, the jobs behind it wait up to r times as long (measured: 16 s at 1.6×
 * with a 10 s limit). The projection looks at the tail instead, and its half of the limit leaves
 * the other half for the codes accepted until the next probe and for a rate read too high. It
 * applies from QUEUE_FLOOR_JOBS pending jobs on, whatever the provider's rate: an account whose
 * sending rate is tens of messages a second (SES's is 1 in its sandbox and set per account
 * outside it) is overloaded long before the outbox holds DELIVERY_MAX_CONCURRENCY jobs. Fewer
 * jobs than one bulk email call carries are no queue, and a quiet outbox's low rate would
 * project them far. While nothing leaves the outbox at all,
 * there is no rate to project from: that is a stall, not overload, and the age rule closes the
 * gate within DELIVERY_MAX_LAG_SECONDS (a burst that has not yet reached a slow provider looks
 * the same for a second, and must not be refused). Since the lag limit is shorter than
 * TOKEN_LIFETIME (checked at start), no code is accepted that could not be sent before it
 * expires. Refusals are counted in a metric and logged once per interval.
 *
 * While nothing drains and the only late jobs are ones whose sends failed, two cases look the
 * same from the outbox: a provider that fails every send, and one job failing for a reason of
 * its own on an outbox with nothing else to send (a quiet deployment), which would otherwise
 * refuse everyone until that code expires (TOKEN_LIFETIME). A trial tells them apart, as a
 * circuit breaker's half-open state does: one code request is let through, then the next after
 * twice as long, up to DELIVERY_MAX_LAG_SECONDS apart. If its code is delivered, jobs leave the
 * outbox and the failing ones older than it stop counting for good (not only while the outbox
 * drains): the gate opens and stays open; if its send fails as well, the gate
 * stays closed and a failing provider is sent at most one code per DELIVERY_MAX_LAG_SECONDS per
 * replica, per channel. A trial is let through by time alone, whatever the identifier (S17).
 * A send that hangs rather than fails keeps its job unfailed and late: a stall, with no trials.
 */
import type { Clock } from '../lib/clock.ts';
import type { Counter } from '../lib/metrics.ts';
import type { Channel, Logger } from '../services/types.ts';
import type { Worker } from '../workers/worker.ts';

export interface AdmissionGate extends Worker {
  /** True while code requests for the channel may be accepted; counts a refusal otherwise. Never waits. */
  admit(channel: Channel): boolean;
  /** Whether the channel's code requests are accepted (trials aside); counts and spends nothing. */
  isOpen(channel: Channel): boolean;
  /** Seconds a client refused for the channel should wait before asking again. */
  retryAfterSeconds(channel: Channel): number;
  /** Reads the outbox now and updates the verdict; the worker does this once a second. */
  probe(): Promise<void>;
  /** The last probe's projected wait for a code of the channel accepted now, in seconds (0: no queue or no rate yet; Infinity: nothing drains). */
  projectedWaitSeconds(channel: Channel): number;
}

export const ADMISSION_PROBE_INTERVAL_MS = 1_000;
/** The outbox's drain rate is also read over this long: a few probes, so that bursts of bulk sends average out. */
export const DRAIN_RATE_WINDOW_MS = 5_000;
/** Fewer pending jobs than this (one SES bulk call's worth) are no queue to project a wait from. */
export const QUEUE_FLOOR_JOBS = 50;

/** The pending jobs of one channel, and the jobs it was given since the last reading. */
export interface ChannelBacklog {
  channel: Channel;
  oldestCreatedAt: Date | null;
  databaseLagSeconds: number;
  /** The same for the oldest pending job none of whose attempts has failed yet (waiting, or in its first send). */
  oldestUnfailedCreatedAt: Date | null;
  databaseUnfailedLagSeconds: number;
  /**
   * The same for the oldest pending job that has not failed, or has failed with no later job of
   * its channel delivered since: a job that keeps failing while a job created after it was
   * delivered fails for a reason of its own, not the provider's.
   */
  oldestUnprovenCreatedAt: Date | null;
  databaseUnprovenLagSeconds: number;
  pending: number;
  /** Jobs of the channel with an id above the one asked about (0 when none was given). */
  createdSince: number;
}

/** The outbox as a whole (the sums and the oldest of its channels), and by channel. */
export interface Backlog extends Omit<ChannelBacklog, 'channel' | 'createdSince'> {
  /** Counted up to the cap asked for, all channels together. */
  pending: number;
  /** The highest job id, null before the first: the next reading counts the jobs above it. */
  created: number | null;
  /** The channels with pending jobs or jobs created since. */
  channels: ChannelBacklog[];
  /** False when the jobs created since were too many to count (the count stopped at its cap). */
  createdSinceComplete: boolean;
}

/** The outbox's totals from its channels' readings. */
export function summarizeBacklog(channels: ChannelBacklog[], created: number | null, createdSinceComplete = true): Backlog {
  const oldest = (pick: (entry: ChannelBacklog) => Date | null) => channels.map(pick).filter((at): at is Date => at !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  return {
    oldestCreatedAt: oldest((entry) => entry.oldestCreatedAt),
    databaseLagSeconds: Math.max(0, ...channels.map((entry) => entry.databaseLagSeconds)),
    oldestUnfailedCreatedAt: oldest((entry) => entry.oldestUnfailedCreatedAt),
    databaseUnfailedLagSeconds: Math.max(0, ...channels.map((entry) => entry.databaseUnfailedLagSeconds)),
    oldestUnprovenCreatedAt: oldest((entry) => entry.oldestUnprovenCreatedAt),
    databaseUnprovenLagSeconds: Math.max(0, ...channels.map((entry) => entry.databaseUnprovenLagSeconds)),
    pending: channels.reduce((sum, entry) => sum + entry.pending, 0),
    created,
    channels,
    createdSinceComplete,
  };
}

export const CHANNELS: readonly Channel[] = ['email', 'mobile'];

/** One probe's reading of a channel, for its drain rate. */
interface Sample { atMs: number; created: number; pending: number }

/** One channel's readings and verdict. */
interface ChannelState {
  open: boolean;
  /** Closed only by late jobs whose sends failed (see the top of the file): trials are let through. */
  failingOnly: boolean;
  nextTrialAtMs: number;
  trialGapMs: number;
  lagSeconds: number;
  projectedWait: number;
  /** Jobs of the channel created since the gate started (the sum of the readings' createdSince). */
  created: number;
  samples: Sample[];
}

export function createAdmissionGate(deps: {
  /** Reads the outbox: pending jobs up to `cap`, and the jobs created with an id above `since`. */
  backlog(cap: number, since: number | null): Promise<Backlog>;
  clock: Clock;
  log: Logger;
  refused: Counter;
  settings: { deliveryMaxLagSeconds: number; deliveryMaxPending: number };
  intervalMs?: number;
}): AdmissionGate {
  const { clock, log, settings } = deps;
  const intervalMs = deps.intervalMs ?? ADMISSION_PROBE_INTERVAL_MS;
  const states = new Map<Channel, ChannelState>(CHANNELS.map((channel) => [channel, {
    open: true, failingOnly: false, nextTrialAtMs: 0, trialGapMs: intervalMs, lagSeconds: 0, projectedWait: 0, created: 0, samples: [],
  }]));
  let pending = 0;
  /** The highest job id of the last reading. */
  let lastCreated: number | null = null;
  let refusedSinceLog = 0;
  let unreadable = false;
  let timer: NodeJS.Timeout | undefined;
  let probing: Promise<void> | undefined;

  /**
   * A channel's jobs taken out of the outbox per second: the higher of the rate since the
   * previous probe and over the window (a window that began while the outbox was idle
   * understates what it can send). Undefined until two probes are far enough apart.
   */
  function drainRate(samples: Sample[], latest: Sample): number | undefined {
    samples.push(latest);
    while (samples.length > 2 && latest.atMs - samples[1]!.atMs >= DRAIN_RATE_WINDOW_MS) samples.shift();
    const over = (from: Sample) => {
      const seconds = (latest.atMs - from.atMs) / 1000;
      return seconds < intervalMs / 2000 ? undefined : Math.max(0, (latest.created - from.created) - (latest.pending - from.pending)) / seconds;
    };
    const window = over(samples[0]!);
    const last = samples.length > 2 ? over(samples.at(-2)!) : undefined;
    return window === undefined ? undefined : Math.max(window, last ?? 0);
  }

  async function probe(): Promise<void> {
    let view: Backlog;
    try {
      view = await deps.backlog(settings.deliveryMaxPending + 1, lastCreated);
    } catch (error) {
      // The database is unreachable (readiness and the request itself report that) or the
      // statement fails: keep the last verdict, and say so once, not every second.
      if (!unreadable) log.warn({ err: { name: (error as Error).name, code: (error as { code?: string }).code } }, 'admission control cannot read the outbox: keeping its last verdict');
      unreadable = true;
      return;
    }
    if (unreadable) log.info({}, 'admission control reads the outbox again');
    unreadable = false;
    const nowMs = clock.now().getTime();
    pending = view.pending;
    // An empty table (before the first job, or after retention removed them all): count from the start.
    lastCreated = view.created ?? 0;
    const capped = pending > settings.deliveryMaxPending;
    // The job's age by the database's clock and by this service's clock (which wrote
    // created_at): the same in production, where clocks are synchronised; the smaller one wins,
    // so neither a service clock that stands still nor one that runs ahead reads as lag.
    const lagOf = (oldest: Date | null, databaseLag: number) => (oldest === null ? 0 : Math.max(0, Math.min(databaseLag, (nowMs - oldest.getTime()) / 1000)));
    // The count is the outbox's as a whole; the rate, the projection and the age rule are each
    // channel's, so a provider that stalls or falls behind closes only its own channel.
    for (const channel of CHANNELS) {
      const state = states.get(channel)!;
      const own = view.channels.find((entry) => entry.channel === channel);
      const channelPending = own?.pending ?? 0;
      state.created += own?.createdSince ?? 0;
      // A count that hit its cap says nothing about the rate: start the window again.
      if (capped || !view.createdSinceComplete) state.samples = [];
      const rate = capped ? undefined : drainRate(state.samples, { atMs: nowMs, created: state.created, pending: channelPending });
      const draining = rate !== undefined && rate > 0;
      state.projectedWait = channelPending < QUEUE_FLOOR_JOBS || rate === undefined ? 0 : rate > 0 ? channelPending / rate : Number.POSITIVE_INFINITY;
      // An unbounded projection (nothing drains) is left to the age rule: see the top of the file.
      const behind = Number.isFinite(state.projectedWait) && state.projectedWait > settings.deliveryMaxLagSeconds / 2;
      const unfailedLag = own === undefined ? 0 : lagOf(own.oldestUnfailedCreatedAt, own.databaseUnfailedLagSeconds);
      // Nothing drains: a failing job counts too, unless a later job of its channel was delivered
      // (the provider sends; this one fails on its own), so one failing code on a quiet outbox
      // does not close the gate again each time the rate window passes without a send.
      state.lagSeconds = own === undefined ? 0 : draining ? unfailedLag : lagOf(own.oldestUnprovenCreatedAt, own.databaseUnprovenLagSeconds);
      const wasOpen = state.open;
      const wasFailingOnly = state.failingOnly;
      state.open = state.lagSeconds <= settings.deliveryMaxLagSeconds && !capped && !behind;
      state.failingOnly = !state.open && !capped && !behind && unfailedLag <= settings.deliveryMaxLagSeconds;
      if (state.open || !state.failingOnly) {
        state.nextTrialAtMs = 0;
        state.trialGapMs = intervalMs;
      }
      const fields = {
        channel,
        lagSeconds: Math.round(state.lagSeconds * 10) / 10,
        pending,
        channelPending,
        projectedWaitSeconds: Number.isFinite(state.projectedWait) ? Math.round(state.projectedWait * 10) / 10 : 'unbounded',
        maxLagSeconds: settings.deliveryMaxLagSeconds,
        maxPending: settings.deliveryMaxPending,
      };
      if (wasOpen && !state.open) log.warn(fields, 'delivery is behind: refusing new code requests with 503 overloaded');
      if (state.failingOnly && !wasFailingOnly) log.warn(fields, 'only codes whose sends keep failing are late: letting code requests through one at a time to test delivery');
      if (!wasOpen && state.open) log.info(fields, 'delivery caught up: accepting code requests again');
    }
    if (refusedSinceLog > 0) {
      const closed = CHANNELS.filter((channel) => !states.get(channel)!.open);
      log.warn({ refused: refusedSinceLog, closed, pending, maxLagSeconds: settings.deliveryMaxLagSeconds, maxPending: settings.deliveryMaxPending }, 'code requests refused while delivery is overloaded');
      refusedSinceLog = 0;
    }
  }

  return {
    name: 'delivery-admission',
    admit(channel) {
      const state = states.get(channel)!;
      if (state.open) return true;
      if (state.failingOnly) {
        const nowMs = clock.now().getTime();
        if (nowMs >= state.nextTrialAtMs) {
          state.nextTrialAtMs = nowMs + state.trialGapMs;
          state.trialGapMs = Math.min(state.trialGapMs * 2, settings.deliveryMaxLagSeconds * 1000);
          return true;
        }
      }
      refusedSinceLog++;
      deps.refused.inc();
      return false;
    },
    isOpen: (channel) => states.get(channel)!.open,
    retryAfterSeconds(channel) {
      const state = states.get(channel)!;
      // Until the next trial, while only failing jobs are late.
      if (state.failingOnly) return Math.min(settings.deliveryMaxLagSeconds, Math.max(1, Math.ceil((state.nextTrialAtMs - clock.now().getTime()) / 1000)));
      // About how far delivery is behind its limits: at least a second, at most the lag limit.
      const projectedOver = Number.isFinite(state.projectedWait) ? state.projectedWait - settings.deliveryMaxLagSeconds / 2 : 0;
      const behind = Math.ceil(Math.max(state.lagSeconds - settings.deliveryMaxLagSeconds, projectedOver));
      return Math.min(settings.deliveryMaxLagSeconds, Math.max(1, behind));
    },
    projectedWaitSeconds: (channel) => states.get(channel)!.projectedWait,
    probe,
    start() {
      if (timer) return;
      timer = setInterval(() => { probing ??= probe().finally(() => { probing = undefined; }); }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await probing;
    },
  };
}
