/**
 * The abuse-resistance and audit part of the configuration: rate limits, trusted proxies, Redis,
 * SMS-pumping caps, demo identities and retention. Called once from loadConfig, which owns the
 * reader and the list of problems; kept in its own file because it is one idea.
 */
import { isIP } from 'node:net';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { normalizeEmail, normalizePhone } from './lib/identifiers.ts';
import type { Channel } from './services/types.ts';

/** A fixed-code identity for app-store reviewers and demos; the code is never sent. */
export interface DemoUser {
  channel: Channel;
  /** Normalized like a real identifier (lower-cased email, E.164). */
  destination: string;
  code: string;
  /** The fixed code stops working at this instant; null: never. */
  expiresAt: Date | null;
}

export interface AbuseConfig {
  /** IPs / CIDRs (or proxy-addr names such as `loopback`) whose X-Forwarded-For is believed (S20). */
  trustedProxies: string[];
  rateLimitEnabled: boolean;
  rateLimitRequestPerMinute: number;
  rateLimitExchangePerMinute: number;
  rateLimitGlobalRequestPerMinute: number;
  rateLimitPublicPerMinute: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  redisTimeoutMs: number;

  /** ISO 3166-1 alpha-2 codes, or 'all'. */
  smsAllowedCountries: CountryCode[] | 'all';
  smsMaxPerCountryPerHour: number;
  smsMaxPerPrefixPerHour: number;
  smsPrefixLength: number;
  smsMaxPerDay: number;

  demoUsers: DemoUser[];
  allowDemoUsersInProduction: boolean;

  auditRetentionDays: number;
  /** Seconds between retention runs; 0 disables the timer. */
  cleanupIntervalSeconds: number;
}

/** The reader loadConfig builds; only the methods used here. */
export interface AbuseEnvReader {
  optional(name: string): string | undefined;
  string(name: string, fallback: string): string;
  int(name: string, fallback: number, min: number, max: number): number;
  bool(name: string, fallback: boolean): boolean;
  list(name: string, fallback: string[]): string[];
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function loadAbuseConfig(
  read: AbuseEnvReader,
  problems: string[],
  context: { production: boolean; defaultPhoneRegion: CountryCode | undefined; shortTokenChars: string; shortTokenLength: number },
): AbuseConfig {
  const trustedProxies = read.list('TRUSTED_PROXIES', []);
  for (const entry of trustedProxies) {
    if (!isProxyEntry(entry)) problems.push(`TRUSTED_PROXIES: "${entry}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`);
    else if (isOverBroadProxyRange(entry)) problems.push(`TRUSTED_PROXIES: "${entry}" trusts far too much of the internet: every client could choose its own address (list your proxies' addresses or subnets)`);
  }

  const redisUrl = read.optional('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL: must start with redis:// or rediss://');

  // Default allowlist: the home region only; with no home region, everywhere (warned at start).
  const countryList = read.list('SMS_ALLOWED_COUNTRIES', context.defaultPhoneRegion ? [context.defaultPhoneRegion] : ['*']);
  let smsAllowedCountries: CountryCode[] | 'all';
  if (countryList.length === 1 && countryList[0] === '*') {
    smsAllowedCountries = 'all';
  } else {
    smsAllowedCountries = [];
    for (const raw of countryList) {
      const code = raw.toUpperCase();
      if (isSupportedCountry(code)) smsAllowedCountries.push(code);
      else problems.push(`SMS_ALLOWED_COUNTRIES: "${raw}" is not an ISO 3166-1 alpha-2 region (or use * for all)`);
    }
  }

  const demoUsers = parseDemoUsers(read.optional('DEMO_USERS'), problems, context);
  const allowDemoUsersInProduction = read.bool('ALLOW_DEMO_USERS_IN_PRODUCTION', false);
  // S36 style: a fixed code is a development and review convenience.
  if (context.production && demoUsers.length > 0 && !allowDemoUsersInProduction) {
    problems.push('DEMO_USERS: refused in production unless ALLOW_DEMO_USERS_IN_PRODUCTION=true');
  }

  return {
    trustedProxies,
    rateLimitEnabled: read.bool('RATE_LIMIT_ENABLED', true),
    rateLimitRequestPerMinute: read.int('RATE_LIMIT_REQUEST_PER_MINUTE', 20, 1, 1_000_000),
    rateLimitExchangePerMinute: read.int('RATE_LIMIT_EXCHANGE_PER_MINUTE', 60, 1, 1_000_000),
    rateLimitGlobalRequestPerMinute: read.int('RATE_LIMIT_GLOBAL_REQUEST_PER_MINUTE', 600, 1, 100_000_000),
    rateLimitPublicPerMinute: read.int('RATE_LIMIT_PUBLIC_PER_MINUTE', 600, 1, 1_000_000),
    redisUrl,
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'sesame:'),
    redisTimeoutMs: read.int('REDIS_TIMEOUT_MS', 500, 50, 60_000),
    smsAllowedCountries,
    smsMaxPerCountryPerHour: read.int('SMS_MAX_PER_COUNTRY_PER_HOUR', 100, 1, 100_000_000),
    smsMaxPerPrefixPerHour: read.int('SMS_MAX_PER_PREFIX_PER_HOUR', 10, 1, 100_000_000),
    // At most 8 digits: the prefix is kept in clear in sms_counters, and a longer one is most of a number (S34).
    smsPrefixLength: read.int('SMS_PREFIX_LENGTH', 6, 2, 8),
    smsMaxPerDay: read.int('SMS_MAX_PER_DAY', 1000, 1, 1_000_000_000),
    demoUsers,
    allowDemoUsersInProduction,
    auditRetentionDays: read.int('AUDIT_RETENTION_DAYS', 90, 1, 36_500),
    cleanupIntervalSeconds: read.int('CLEANUP_INTERVAL_SECONDS', 3600, 0, 7 * 86_400),
  };
}

function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry) || isIP(entry) !== 0) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return false;
  const address = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Shortest prefixes a proxy range may have: anything wider takes in most of the internet, and
 * `0.0.0.0/0` or `::/0` would let every client write its own address (S20). The IPv6 floor
 * still admits fc00::/7 (unique local addresses).
 */
const MIN_PROXY_PREFIX = { 4: 8, 6: 7 } as const;

function isOverBroadProxyRange(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(entry.slice(0, slash));
  return (family === 4 || family === 6) && Number(entry.slice(slash + 1)) < MIN_PROXY_PREFIX[family];
}

// `identifier=code` or `identifier=code@expiry`, comma-separated. The identifier may itself
// contain `=` and `@` (emails), the code and the expiry never do, so the last `=` splits.
const DEMO_ENTRY = /^(.+)=([^=@\s]+)(?:@([^=@\s]+))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Parses DEMO_USERS. Problems never quote the code. A date-only expiry means "through the end of
 * that day (UTC)"; a full ISO timestamp is taken as is.
 */
export function parseDemoUsers(
  value: string | undefined,
  problems: string[],
  context: { defaultPhoneRegion: CountryCode | undefined; shortTokenChars: string; shortTokenLength: number },
): DemoUser[] {
  if (value === undefined) return [];
  const users: DemoUser[] = [];
  const allowed = new Set(context.shortTokenChars);
  value.split(',').map((item) => item.trim()).filter((item) => item !== '').forEach((item, index) => {
    const where = `DEMO_USERS entry ${index + 1}`;
    const match = DEMO_ENTRY.exec(item);
    if (!match) {
      problems.push(`${where}: use identifier=code or identifier=code@YYYY-MM-DD`);
      return;
    }
    const [, identifier, code, expiry] = match as unknown as [string, string, string, string | undefined];
    const channel: Channel = identifier.includes('@') ? 'email' : 'mobile';
    const destination = channel === 'email' ? normalizeEmail(identifier) : normalizePhone(identifier, context.defaultPhoneRegion);
    if (destination === undefined) {
      problems.push(`${where}: not a valid ${channel === 'email' ? 'email address' : 'mobile number'}`);
      return;
    }
    if (code.length !== context.shortTokenLength || [...code].some((char) => !allowed.has(char))) {
      problems.push(`${where}: the code must be ${context.shortTokenLength} characters of SHORT_TOKEN_CHARS`);
      return;
    }
    let expiresAt: Date | null = null;
    if (expiry !== undefined) {
      const parsed = DATE_ONLY.test(expiry) ? new Date(`${expiry}T00:00:00Z`) : new Date(expiry);
      if (Number.isNaN(parsed.getTime())) {
        problems.push(`${where}: the expiry is not a date (YYYY-MM-DD or an ISO 8601 timestamp)`);
        return;
      }
      expiresAt = DATE_ONLY.test(expiry) ? new Date(parsed.getTime() + 86_400_000) : parsed;
    }
    if (users.some((user) => user.channel === channel && user.destination === destination)) {
      problems.push(`${where}: the identifier is listed twice`);
      return;
    }
    users.push({ channel, destination, code, expiresAt });
  });
  return users;
}
