/**
 * Exponential backoff with full jitter: the n-th retry waits a uniform random time in
 * [0, min(max, base · 2^(n-1))], so many jobs throttled together do not return together.
 */
import type { RandomSource } from '../lib/random.ts';

export interface BackoffSettings {
  baseMs: number;
  maxMs: number;
}

/** Delay before the retry that follows the `failures`-th failed attempt (1-based). */
export function retryDelayMs(failures: number, settings: BackoffSettings, random: RandomSource): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** exponent);
  return random.int(Math.floor(ceiling) + 1);
}
