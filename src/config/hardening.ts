/**
 * Budgets that keep one party from spending what others need (S38): the daily ceiling of wrong
 * guesses per destination, and the SMS caps' per-requester share and reserved part; and the
 * time limits that keep a slow client from holding a connection (S47).
 * Parsed by loadConfig with its reader and list of problems.
 */
import type { EnvReader } from './reader.ts';

export interface HardeningConfig {
  /** Wrong guesses per destination per rolling day, across all source networks (S6). */
  maxDestinationFailuresPerDay: number;
  /** The share (percent) of any SMS cap one requester (IP /24 or /64, or one account) may use. */
  smsRequesterSharePercent: number;
  /** The share (percent) of every SMS cap kept for numbers that have signed in before. */
  smsReservedPercent: number;
  /** Time limits of the public listener (S47): a slow client cannot hold a connection. */
  http: HttpLimits;
}

export interface HttpLimits {
  /** The whole request, headers and body, from its first byte. */
  requestTimeoutMs: number;
  /** The request line and headers. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
  /** Socket inactivity at any point (a client that stops reading the response, too). */
  connectionTimeoutMs: number;
}

/** The target the guess budget must meet: P(guess a code within a day) below this. */
export const MAX_DAILY_GUESS_PROBABILITY = 1e-4;

export function parseHardeningConfig(
  read: EnvReader,
  problems: string[],
  context: { shortTokenChars: string; shortTokenLength: number; maxDestinationFailuresPerHour: number; maxTokenAttempts: number },
): HardeningConfig {
  const maxDestinationFailuresPerDay = read.int('MAX_DESTINATION_FAILURES_PER_DAY', 90, 1, 100_000);
  // Every guess hits a code with probability at most 1 / (possible codes), so the chance of a
  // lucky guess within a day is at most guesses / codes. Guesses per day: the ceiling, plus
  // fewer than MAX_TOKEN_ATTEMPTS that concurrent requests can slip past it (docs/security.md).
  const codes = context.shortTokenChars.length ** context.shortTokenLength;
  const guessesPerDay = maxDestinationFailuresPerDay + context.maxTokenAttempts - 1;
  // (A code space under 10^6 is refused on its own by the S1 rule.)
  if (codes >= 1_000_000 && guessesPerDay / codes >= MAX_DAILY_GUESS_PROBABILITY) {
    problems.push(`MAX_DESTINATION_FAILURES_PER_DAY: up to ${guessesPerDay} guesses a day (with MAX_TOKEN_ATTEMPTS) against ${codes} possible codes give a chance of 1 in ${Math.round(codes / guessesPerDay)}; it must stay under 1 in ${1 / MAX_DAILY_GUESS_PROBABILITY}`);
  }
  if (context.maxDestinationFailuresPerHour > maxDestinationFailuresPerDay) {
    problems.push('MAX_DESTINATION_FAILURES_PER_HOUR: must not exceed MAX_DESTINATION_FAILURES_PER_DAY');
  }
  const smsRequesterSharePercent = read.int('SMS_REQUESTER_SHARE_PERCENT', 20, 1, 100);
  const smsReservedPercent = read.int('SMS_RESERVED_PERCENT', 30, 0, 90);
  const http: HttpLimits = {
    requestTimeoutMs: read.int('REQUEST_TIMEOUT_MS', 15_000, 100, 300_000),
    headersTimeoutMs: read.int('HEADERS_TIMEOUT_MS', 10_000, 100, 300_000),
    keepAliveTimeoutMs: read.int('KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    connectionTimeoutMs: read.int('CONNECTION_TIMEOUT_MS', 90_000, 100, 600_000),
  };
  // Node requires it, and a header deadline past the request's would never fire.
  if (http.headersTimeoutMs >= http.requestTimeoutMs) problems.push('HEADERS_TIMEOUT_MS: must be shorter than REQUEST_TIMEOUT_MS');
  // An idle keep-alive connection is closed by its own timeout, not cut as inactive first
  // (a proxy reusing a connection the server just dropped answers its client 502).
  if (http.connectionTimeoutMs <= http.keepAliveTimeoutMs) problems.push('CONNECTION_TIMEOUT_MS: must be longer than KEEP_ALIVE_TIMEOUT_MS');
  return { maxDestinationFailuresPerDay, smsRequesterSharePercent, smsReservedPercent, http };
}
