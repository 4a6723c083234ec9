/** Per-client and global request limits (S19); counters live in Redis when REDIS_URL is set. */
import type { EnvReader } from './reader.ts';

export interface RateLimitConfig {
  rateLimitEnabled: boolean;
  rateLimitRequestPerMinute: number;
  rateLimitExchangePerMinute: number;
  rateLimitGlobalRequestPerMinute: number;
  rateLimitPublicPerMinute: number;
}

export function parseRateLimits(read: EnvReader): RateLimitConfig {
  return {
    rateLimitEnabled: read.bool('RATE_LIMIT_ENABLED', true),
    rateLimitRequestPerMinute: read.int('RATE_LIMIT_REQUEST_PER_MINUTE', 20, 1, 1_000_000),
    rateLimitExchangePerMinute: read.int('RATE_LIMIT_EXCHANGE_PER_MINUTE', 60, 1, 1_000_000),
    rateLimitGlobalRequestPerMinute: read.int('RATE_LIMIT_GLOBAL_REQUEST_PER_MINUTE', 600, 1, 100_000_000),
    rateLimitPublicPerMinute: read.int('RATE_LIMIT_PUBLIC_PER_MINUTE', 600, 1, 1_000_000),
  };
}
