/**
 * Admission control for code requests (issue 9). Once a second every replica reads the shared
 * outbox (one bounded statement on the partial index of pending jobs): how old the oldest
 * pending job is and how many are pending. Every dispatcher of every replica drains that one
 * outbox, so this is their common view of delivery lag, shared through the database; a request
 * only reads the last verdict, at no cost per request.
 *
 * While the oldest pending job is older than DELIVERY_MAX_LAG_SECONDS, or more than
 * DELIVERY_MAX_PENDING jobs wait, new code requests are refused (503 overloaded, Retry-After)
 * before anything is stored or sent, for known and unknown identifiers alike (S17). Since the
 * lag limit is shorter than TOKEN_LIFETIME (checked at start), no code is accepted that could
 * not be sent before it expires. Refusals are counted in a metric and logged once per interval.
 */
import type { Clock } from '../lib/clock.ts';
import type { Counter } from '../lib/metrics.ts';
import type { Logger } from '../services/types.ts';
import type { Worker } from '../workers/worker.ts';

export interface AdmissionGate extends Worker {
  /** True while code requests may be accepted; counts a refusal otherwise. Never waits. */
  admit(): boolean;
  /** Seconds a refused client should wait before asking again. */
  retryAfterSeconds(): number;
}

export const ADMISSION_PROBE_INTERVAL_MS = 1_000;

export function createAdmissionGate(deps: {
  backlog(cap: number): Promise<{ oldestCreatedAt: Date | null; databaseLagSeconds: number; pending: number }>;
  clock: Clock;
  log: Logger;
  refused: Counter;
  settings: { deliveryMaxLagSeconds: number; deliveryMaxPending: number };
  intervalMs?: number;
}): AdmissionGate {
  const { clock, log, settings } = deps;
  const intervalMs = deps.intervalMs ?? ADMISSION_PROBE_INTERVAL_MS;
  let open = true;
  let lagSeconds = 0;
  let pending = 0;
  let refusedSinceLog = 0;
  let timer: NodeJS.Timeout | undefined;
  let probing: Promise<void> | undefined;

  async function probe(): Promise<void> {
    let view: { oldestCreatedAt: Date | null; databaseLagSeconds: number; pending: number };
    try {
      view = await deps.backlog(settings.deliveryMaxPending + 1);
    } catch {
      // The database is unreachable: readiness and the request itself report that; keep the last verdict.
      return;
    }
    // The job's age by the database's clock and by this service's clock (which wrote
    // created_at): the same in production, where clocks are synchronised; the smaller one wins,
    // so neither a service clock that stands still nor one that runs ahead reads as lag.
    const serviceLag = view.oldestCreatedAt === null ? 0 : (clock.now().getTime() - view.oldestCreatedAt.getTime()) / 1000;
    lagSeconds = Math.max(0, Math.min(view.databaseLagSeconds, serviceLag));
    pending = view.pending;
    const wasOpen = open;
    open = lagSeconds <= settings.deliveryMaxLagSeconds && pending <= settings.deliveryMaxPending;
    const fields = { lagSeconds: Math.round(lagSeconds * 10) / 10, pending, maxLagSeconds: settings.deliveryMaxLagSeconds, maxPending: settings.deliveryMaxPending };
    if (wasOpen && !open) log.warn(fields, 'delivery is behind: refusing new code requests with 503 overloaded');
    if (!wasOpen && open) log.info(fields, 'delivery caught up: accepting code requests again');
    if (refusedSinceLog > 0) {
      log.warn({ ...fields, refused: refusedSinceLog }, 'code requests refused while delivery is overloaded');
      refusedSinceLog = 0;
    }
  }

  return {
    name: 'delivery-admission',
    admit() {
      if (open) return true;
      refusedSinceLog++;
      deps.refused.inc();
      return false;
    },
    retryAfterSeconds() {
      // About how far delivery is behind its limit: at least a second, at most the lag limit.
      const behind = Math.ceil(lagSeconds - settings.deliveryMaxLagSeconds);
      return Math.min(settings.deliveryMaxLagSeconds, Math.max(1, behind));
    },
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
