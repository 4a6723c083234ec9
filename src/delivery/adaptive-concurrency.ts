/**
 * How many codes the dispatcher keeps in flight (claimed and not yet recorded): additive increase,
 * multiplicative decrease (AIMD), as TCP does with its window. When the provider throttles, fails
 * with a 5xx or times out, the limit halves (at most once per COOLDOWN_MS, so one bad round counts
 * once), never below one bulk call. While it answers quickly, the limit grows back by one bulk
 * call per INCREASE_INTERVAL_MS, up to DELIVERY_MAX_CONCURRENCY. An answer slower than
 * SLOW_CALL_MS holds the limit where it is: slowness without a refusal is latency, not overload,
 * and fewer codes in flight would only deliver fewer per second (in flight / latency). Halving on
 * it made an SES answering in 5 s deliver 10 codes/s in `npm run bench`.
 * Growth is per second rather than per round of sends: with rounds of 30 ms, growing per round
 * would undo a halving long before the provider's rate window (a second, for SES) has passed. A
 * throttled provider thus gets fewer calls at once instead of a storm of retries.
 */

/** A provider call slower than this stops the limit from growing (codes should reach the provider within 2 s). */
export const SLOW_CALL_MS = 1_000;
/** After a decrease, further overload signals are ignored this long: they belong to the same round. */
export const COOLDOWN_MS = 1_000;
/** While answers are quick, one more bulk call's worth of codes in flight this often. */
export const INCREASE_INTERVAL_MS = 1_000;

export interface ConcurrencyLimit {
  /** Codes that may be in flight now. */
  readonly current: number;
  /** A provider call was answered (accepted or refused for its own reasons) after `latencyMs`. */
  answered(latencyMs: number): void;
  /** The provider throttled, failed with a 5xx or timed out. */
  overloaded(): void;
}

export function createAdaptiveConcurrency(options: {
  /** DELIVERY_MAX_CONCURRENCY: the ceiling. */
  max: number;
  /** The floor, and the step the limit grows by: one bulk call's worth (capped by max). */
  step: number;
  now: () => number;
}): ConcurrencyLimit {
  const max = options.max;
  const floor = Math.min(options.step, max);
  const step = floor;
  // Start at the ceiling: a provider that answers quickly needs no ramp, one that does not is
  // halved within a few calls.
  let limit = max;
  let lastDecrease = Number.NEGATIVE_INFINITY;
  let lastIncrease = Number.NEGATIVE_INFINITY;

  function decrease(): void {
    const now = options.now();
    if (now - lastDecrease < COOLDOWN_MS) return;
    lastDecrease = now;
    limit = Math.max(floor, Math.floor(limit / 2));
  }

  return {
    get current() {
      return limit;
    },
    answered(latencyMs) {
      const now = options.now();
      if (latencyMs > SLOW_CALL_MS || limit >= max || now - lastDecrease < COOLDOWN_MS || now - lastIncrease < INCREASE_INTERVAL_MS) return;
      lastIncrease = now;
      limit = Math.min(max, limit + step);
    },
    overloaded: decrease,
  };
}
