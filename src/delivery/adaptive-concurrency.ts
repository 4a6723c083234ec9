/**
 * How many codes the dispatcher keeps in flight (claimed and not yet recorded): additive increase,
 * multiplicative decrease (AIMD), as TCP does with its window. While the provider answers quickly,
 * the limit grows by about one bulk call's worth per round of sends, up to DELIVERY_MAX_CONCURRENCY;
 * when it throttles, fails with a 5xx, times out, or answers slower than SLOW_CALL_MS, the limit
 * halves (at most once per COOLDOWN_MS, so one bad round counts once), never below a floor. A
 * throttled provider thus gets fewer calls at once instead of a storm of retries.
 */

/** A provider call slower than this reads as overload (codes should reach the provider within 2 s). */
export const SLOW_CALL_MS = 1_000;
/** After a decrease, further overload signals are ignored this long: they belong to the same round. */
export const COOLDOWN_MS = 1_000;

export interface ConcurrencyLimit {
  /** Codes that may be in flight now. */
  readonly current: number;
  /** A provider call carrying `jobs` codes was answered after `latencyMs`. */
  answered(latencyMs: number, jobs: number): void;
  /** The provider throttled, failed with a 5xx or timed out. */
  overloaded(): void;
}

export function createAdaptiveConcurrency(options: {
  /** DELIVERY_MAX_CONCURRENCY: the ceiling. */
  max: number;
  /** The floor, and the step the limit grows by per round: one bulk call's worth (capped by max). */
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

  function decrease(): void {
    const now = options.now();
    if (now - lastDecrease < COOLDOWN_MS) return;
    lastDecrease = now;
    limit = Math.max(floor, Math.floor(limit / 2));
  }

  return {
    get current() {
      return Math.floor(limit);
    },
    answered(latencyMs, jobs) {
      if (latencyMs > SLOW_CALL_MS) return decrease();
      // About `step` more per round of `limit` codes answered.
      limit = Math.min(max, limit + (step * jobs) / Math.max(limit, 1));
    },
    overloaded: decrease,
  };
}
