/**
 * The service's configuration: every environment variable is declared, parsed and validated
 * here, once, at start. Nothing else reads process.env (the AWS SDK reads its own variables).
 */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { expandAlphabet } from './lib/alphabet.ts';
import { parseOperatorKey, type OperatorKey } from './keys/operator-key.ts';
import { loadAbuseConfig, type AbuseConfig } from './abuse-config.ts';
import { loadOperationsConfig, type OperationsConfig } from './config/operations.ts';
import { loadAccountsConfig, type AccountsConfig } from './config/accounts.ts';

export type PasswordlessMethod = 'email' | 'mobile';
export type JwtAlg = 'ES256' | 'EdDSA' | 'RS256';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config extends AbuseConfig, AccountsConfig, OperationsConfig {
  nodeEnv: string;
  production: boolean;
  host: string;
  port: number;
  logLevel: LogLevel;

  /** Unset means: start an embedded PostgreSQL under dataDir (development only). */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  migrateOnStart: boolean;
  dataDir: string;
  embeddedPostgresPort: number;

  /** Secrets from SESAME_SECRET followed by SESAME_PREVIOUS_SECRETS; the first one is current. Undefined: dev secret. */
  secrets: Buffer[] | undefined;

  allowedMethods: PasswordlessMethod[];
  shortTokenLength: number;
  shortTokenChars: string;
  longTokenLength: number;
  longTokenChars: string;
  tokenLifetimeSeconds: number;
  maxTokenUses: number;
  maxTokenAttempts: number;
  maxDestinationFailures: number;
  tokenRequestThrottleSeconds: number;
  allowAdminAuthentication: boolean;
  registerNonexistentUsers: boolean;
  incorrectShortTokenRedeemsToken: boolean;
  emailLoginUrl: string | undefined;
  defaultPhoneRegion: CountryCode | undefined;

  appName: string;
  jwtIssuer: string;
  jwtAudience: string;
  jwtAlg: JwtAlg;
  jwtClientId: string;
  accessTokenTtlSeconds: number;
  jwksMaxAgeSeconds: number;
  /** Operator-managed signing key (JWT_PRIVATE_KEY): when set, keys are never generated or rotated. */
  operatorKey: OperatorKey | undefined;
  /** Automatic key rotation period; 0 turns it off. */
  keyRotationIntervalSeconds: number;
  /** How often each replica reloads the key set from the database (and runs key maintenance). */
  keyReloadIntervalSeconds: number;

  /** Sessions: absolute lifetime, idle timeout, and the retry window of a spent refresh token (S31). */
  refreshTokenTtlSeconds: number;
  refreshTokenIdleTtlSeconds: number;
  refreshReuseGraceSeconds: number;

  emailProvider: 'ses' | 'console';
  smsProvider: 'sns' | 'console';
  emailFrom: string | undefined;
  sesConfigurationSet: string | undefined;
  smsSenderId: string | undefined;

  /** Message language when the request names none we have (lower-case tag). */
  defaultLocale: string;
  /** Operator template overrides: <dir>/<locale>/<name>.mustache. */
  templatesDir: string | undefined;
  /** Host for the WebOTP line at the end of SMS texts (`@host #code`). */
  smsOrigin: string | undefined;
  deliveryPollIntervalMs: number;
  deliveryMaxConcurrency: number;
  deliveryLeaseSeconds: number;
  deliverySendTimeoutMs: number;
  deliveryRetryBaseMs: number;
  deliveryRetryMaxMs: number;
}

/** Thrown by loadConfig with every problem found, one per line. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Placeholder values that must never protect a production deployment. */
const KNOWN_PLACEHOLDER_SECRETS = new Set([
  'change-me-to-at-least-32-random-bytes-of-secret',
  'changeme',
  'secret',
]);

/** Parses and validates the environment. Reports all problems at once. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = createReader(env, problems);

  const nodeEnv = read.string('NODE_ENV', 'development');
  const production = nodeEnv === 'production';

  const allowedMethods = read.list('ALLOWED_PASSWORDLESS_METHODS', ['email']);
  for (const method of allowedMethods) {
    if (method !== 'email' && method !== 'mobile') {
      problems.push(`ALLOWED_PASSWORDLESS_METHODS: unknown method "${method}" (use email, mobile)`);
    }
  }
  if (allowedMethods.length === 0) problems.push('ALLOWED_PASSWORDLESS_METHODS: at least one method is required');

  const shortTokenLength = read.int('SHORT_TOKEN_LENGTH', 6, 4, 64);
  const shortTokenChars = read.alphabet('SHORT_TOKEN_CHARS', '0-9');
  const longTokenLength = read.int('LONG_TOKEN_LENGTH', 64, 16, 256);
  const longTokenChars = read.alphabet('LONG_TOKEN_CHARS', 'a-z0-9');
  // S1: at least about 20 bits, i.e. a million possible short codes (six digits is the floor);
  // S2: a magic-link token carries at least 128 bits.
  if (shortTokenChars.length > 1 && shortTokenChars.length ** shortTokenLength < 1_000_000) {
    problems.push('SHORT_TOKEN_LENGTH/SHORT_TOKEN_CHARS: a short code needs at least 10^6 possible values (about 20 bits)');
  }
  if (longTokenChars.length > 1 && longTokenLength * Math.log2(longTokenChars.length) < 128) {
    problems.push('LONG_TOKEN_LENGTH/LONG_TOKEN_CHARS: a long token must carry at least 128 bits of entropy');
  }

  const secretValue = read.optional('SESAME_SECRET');
  const previousSecrets = read.list('SESAME_PREVIOUS_SECRETS', []);
  let secrets: Buffer[] | undefined;
  if (secretValue !== undefined) {
    secrets = [secretValue, ...previousSecrets].map((value, index) => {
      const name = index === 0 ? 'SESAME_SECRET' : 'SESAME_PREVIOUS_SECRETS';
      if (Buffer.byteLength(value) < 32) problems.push(`${name}: must be at least 32 bytes`);
      if (production && KNOWN_PLACEHOLDER_SECRETS.has(value)) problems.push(`${name}: the example placeholder cannot be used in production`);
      return Buffer.from(value, 'utf8');
    });
  } else if (production) {
    problems.push('SESAME_SECRET: required in production (at least 32 random bytes)');
  } else if (previousSecrets.length > 0) {
    problems.push('SESAME_PREVIOUS_SECRETS: set SESAME_SECRET too');
  }

  const emailLoginUrl = read.optional('PASSWORDLESS_EMAIL_LOGIN_URL');
  if (emailLoginUrl !== undefined) {
    // S11: links come only from this template; it must name where the token goes.
    if (!emailLoginUrl.includes('{token}')) problems.push('PASSWORDLESS_EMAIL_LOGIN_URL: must contain {token}');
    else if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(emailLoginUrl)) problems.push('PASSWORDLESS_EMAIL_LOGIN_URL: must be an absolute URL');
  }

  const region = read.optional('DEFAULT_PHONE_REGION')?.toUpperCase();
  if (region !== undefined && !isSupportedCountry(region)) {
    problems.push(`DEFAULT_PHONE_REGION: "${region}" is not an ISO 3166-1 alpha-2 region libphonenumber knows`);
  }

  const jwtAlg = read.oneOf('JWT_ALG', ['ES256', 'EdDSA', 'RS256'] as const, 'ES256');
  const emailProvider = read.oneOf('EMAIL_PROVIDER', ['ses', 'console'] as const, 'console');
  const smsProvider = read.oneOf('SMS_PROVIDER', ['sns', 'console'] as const, 'console');
  const emailFrom = read.optional('EMAIL_FROM');
  if (emailProvider === 'ses' && emailFrom === undefined) problems.push('EMAIL_FROM: required when EMAIL_PROVIDER=ses');

  const jwksMaxAgeSeconds = read.int('JWKS_MAX_AGE', 300, 0, 86_400);
  const keyRotationIntervalSeconds = read.int('KEY_ROTATION_INTERVAL', 30 * 86_400, 0, 10 * 365 * 86_400);
  const keyReloadIntervalSeconds = read.int('KEY_RELOAD_INTERVAL', 60, 1, 3_600);
  // A new key must be published (every replica reloaded, every cache expired) before it signs.
  if (keyRotationIntervalSeconds > 0 && keyRotationIntervalSeconds < 2 * (jwksMaxAgeSeconds + keyReloadIntervalSeconds)) {
    problems.push('KEY_ROTATION_INTERVAL: must be 0 (off) or at least twice JWKS_MAX_AGE + KEY_RELOAD_INTERVAL');
  }
  let operatorKey: OperatorKey | undefined;
  const operatorKeyValue = read.optional('JWT_PRIVATE_KEY');
  if (operatorKeyValue !== undefined) {
    const parsed = parseOperatorKey(operatorKeyValue, read.optional('JWT_KEY_ID'), jwtAlg);
    if (typeof parsed === 'string') problems.push(`JWT_PRIVATE_KEY: ${parsed}`);
    else operatorKey = parsed;
  } else if (read.optional('JWT_KEY_ID') !== undefined) {
    problems.push('JWT_KEY_ID: only meaningful with JWT_PRIVATE_KEY');
  }
  const refreshTokenTtlSeconds = read.int('REFRESH_TOKEN_TTL', 30 * 86_400, 60, 365 * 86_400);
  const refreshTokenIdleTtlSeconds = read.int('REFRESH_TOKEN_IDLE_TTL', 7 * 86_400, 60, 365 * 86_400);
  const refreshReuseGraceSeconds = read.int('REFRESH_REUSE_GRACE_SECONDS', 0, 0, 300);
  const defaultLocale = read.string('DEFAULT_LOCALE', 'en').toLowerCase();
  if (!/^[a-z]{2,8}(-[a-z0-9]{1,8})*$/.test(defaultLocale)) problems.push(`DEFAULT_LOCALE: "${defaultLocale}" is not a language tag (e.g. en, de, pt-br)`);
  const smsOrigin = read.optional('SMS_ORIGIN')?.toLowerCase();
  if (smsOrigin !== undefined && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/.test(smsOrigin)) {
    problems.push('SMS_ORIGIN: must be a host such as auth.example.com (no scheme, no path)');
  }
  const deliveryLeaseSeconds = read.int('DELIVERY_LEASE_SECONDS', 60, 5, 3600);
  const deliverySendTimeoutMs = read.int('DELIVERY_SEND_TIMEOUT_MS', 10_000, 100, 600_000);
  // A send that outlives its lease could be claimed and sent again by another replica.
  if (deliverySendTimeoutMs >= deliveryLeaseSeconds * 1000) problems.push('DELIVERY_SEND_TIMEOUT_MS: must be shorter than DELIVERY_LEASE_SECONDS');
  const deliveryRetryBaseMs = read.int('DELIVERY_RETRY_BASE_MS', 1000, 1, 600_000);
  const deliveryRetryMaxMs = read.int('DELIVERY_RETRY_MAX_MS', 60_000, 1, 3_600_000);
  if (deliveryRetryMaxMs < deliveryRetryBaseMs) problems.push('DELIVERY_RETRY_MAX_MS: must be at least DELIVERY_RETRY_BASE_MS');

  const databaseUrl = read.optional('DATABASE_URL');
  const port = read.int('PORT', 3000, 0, 65535);

  const defaultPhoneRegion = region !== undefined && isSupportedCountry(region) ? region : undefined;
  const abuse = loadAbuseConfig(read, problems, { production, defaultPhoneRegion, shortTokenChars, shortTokenLength });

  const operations = loadOperationsConfig(read, problems);
  const jwtIssuer = read.string('JWT_ISSUER', `http://localhost:${port}`);
  const accounts = loadAccountsConfig(read, problems, { jwtIssuer, production });

  const config: Config = {
    ...abuse,
    ...accounts,
    ...operations,
    nodeEnv,
    production,
    host: read.string('HOST', '0.0.0.0'),
    port,
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    databaseUrl,
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 20, 1, 500),
    migrateOnStart: read.bool('MIGRATE_ON_START', true),
    dataDir: read.string('DATA_DIR', './data'),
    embeddedPostgresPort: read.int('EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    secrets,
    allowedMethods: allowedMethods as PasswordlessMethod[],
    shortTokenLength,
    shortTokenChars,
    longTokenLength,
    longTokenChars,
    tokenLifetimeSeconds: read.int('TOKEN_LIFETIME', 600, 30, 86_400),
    maxTokenUses: read.int('MAX_TOKEN_USES', 1, 1, 100),
    maxTokenAttempts: read.int('MAX_TOKEN_ATTEMPTS', 5, 1, 100),
    maxDestinationFailures: read.int('MAX_DESTINATION_FAILURES_PER_HOUR', 20, 1, 10_000),
    tokenRequestThrottleSeconds: read.int('TOKEN_REQUEST_THROTTLE_SECONDS', 60, 0, 86_400),
    allowAdminAuthentication: read.bool('ALLOW_ADMIN_AUTHENTICATION', false),
    registerNonexistentUsers: read.bool('REGISTER_NONEXISTENT_USERS', false),
    incorrectShortTokenRedeemsToken: read.bool('INCORRECT_SHORT_TOKEN_REDEEMS_TOKEN', false),
    emailLoginUrl,
    defaultPhoneRegion: region !== undefined && isSupportedCountry(region) ? region : undefined,
    appName: read.string('APP_NAME', 'Sesame'),
    jwtIssuer,
    jwtAudience: read.string('JWT_AUDIENCE', 'sesame'),
    jwtAlg,
    jwtClientId: read.string('JWT_CLIENT_ID', 'sesame'),
    accessTokenTtlSeconds: read.int('ACCESS_TOKEN_TTL', 900, 60, 86_400),
    jwksMaxAgeSeconds,
    operatorKey,
    keyRotationIntervalSeconds,
    keyReloadIntervalSeconds,
    refreshTokenTtlSeconds,
    refreshTokenIdleTtlSeconds,
    refreshReuseGraceSeconds,
    emailProvider,
    smsProvider,
    emailFrom,
    sesConfigurationSet: read.optional('SES_CONFIGURATION_SET'),
    smsSenderId: read.optional('SMS_SENDER_ID'),
    defaultLocale,
    templatesDir: read.optional('TEMPLATES_DIR'),
    smsOrigin,
    deliveryPollIntervalMs: read.int('DELIVERY_POLL_INTERVAL_MS', 1000, 10, 60_000),
    deliveryMaxConcurrency: read.int('DELIVERY_MAX_CONCURRENCY', 16, 1, 1000),
    deliveryLeaseSeconds,
    deliverySendTimeoutMs,
    deliveryRetryBaseMs,
    deliveryRetryMaxMs,
  };

  // S36: development conveniences are refused in production.
  if (production) {
    if (databaseUrl === undefined) problems.push('DATABASE_URL: required in production (the embedded PostgreSQL is for development)');
    if (emailProvider === 'console' && config.allowedMethods.includes('email')) {
      problems.push('EMAIL_PROVIDER: "console" is for development; use "ses" in production');
    }
    if (smsProvider === 'console' && config.allowedMethods.includes('mobile')) {
      problems.push('SMS_PROVIDER: "console" is for development; use "sns" in production');
    }
    if (env.JWT_ISSUER === undefined) problems.push('JWT_ISSUER: required in production (the public base URL of this service)');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function createReader(env: Env, problems: string[]) {
  const raw = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    optional: raw,
    string(name: string, fallback: string): string {
      return raw(name) ?? fallback;
    },
    int(name: string, fallback: number, min: number, max: number): number {
      const value = raw(name);
      if (value === undefined) return fallback;
      if (!/^-?\d+$/.test(value)) {
        problems.push(`${name}: "${value}" is not an integer`);
        return fallback;
      }
      const parsed = Number(value);
      if (parsed < min || parsed > max) problems.push(`${name}: must be between ${min} and ${max}`);
      return parsed;
    },
    bool(name: string, fallback: boolean): boolean {
      const value = raw(name)?.toLowerCase();
      if (value === undefined) return fallback;
      if (['true', '1', 'yes', 'on'].includes(value)) return true;
      if (['false', '0', 'no', 'off'].includes(value)) return false;
      problems.push(`${name}: "${value}" is not a boolean (true/false)`);
      return fallback;
    },
    list(name: string, fallback: string[]): string[] {
      const value = raw(name);
      if (value === undefined) return fallback;
      return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    },
    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
      const value = raw(name);
      if (value === undefined) return fallback;
      if ((allowed as readonly string[]).includes(value)) return value as T;
      problems.push(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
      return fallback;
    },
    alphabet(name: string, fallback: string): string {
      const spec = raw(name) ?? fallback;
      const result = expandAlphabet(spec);
      if (typeof result === 'string') return result;
      problems.push(`${name}: ${result.error}`);
      return expandAlphabet(fallback) as string;
    },
  };
}
