/** The sign-in rules, under drfpasswordless' setting names. */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import type { EnvReader } from './reader.ts';

export type PasswordlessMethod = 'email' | 'mobile';

export interface PasswordlessConfig {
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
}

export function parsePasswordless(read: EnvReader, problems: string[]): PasswordlessConfig {
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

  const emailLoginUrl = read.optional('PASSWORDLESS_EMAIL_LOGIN_URL');
  if (emailLoginUrl !== undefined) {
    // S11: links come only from this template; it must name where the token goes.
    if (!emailLoginUrl.includes('{token}')) problems.push('PASSWORDLESS_EMAIL_LOGIN_URL: must contain {token}');
    else if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(emailLoginUrl)) problems.push('PASSWORDLESS_EMAIL_LOGIN_URL: must be an absolute URL');
    // A link that runs script, embeds a document or opens a local file is never a sign-in page
    // (refused in every environment; plain http is refused in production by validate()).
    else if (/^\s*(javascript|data|file|vbscript|blob):/i.test(emailLoginUrl)) {
      problems.push(`PASSWORDLESS_EMAIL_LOGIN_URL: the ${emailLoginUrl.split(':')[0]!.toLowerCase()}: scheme is refused; use an https:// page or an app's own scheme`);
    }
  }

  const region = read.optional('DEFAULT_PHONE_REGION')?.toUpperCase();
  if (region !== undefined && !isSupportedCountry(region)) {
    problems.push(`DEFAULT_PHONE_REGION: "${region}" is not an ISO 3166-1 alpha-2 region libphonenumber knows`);
  }

  return {
    allowedMethods: allowedMethods as PasswordlessMethod[],
    shortTokenLength,
    shortTokenChars,
    longTokenLength,
    longTokenChars,
    tokenLifetimeSeconds: read.int('TOKEN_LIFETIME', 600, 30, 86_400),
    maxTokenUses: read.int('MAX_TOKEN_USES', 1, 1, 100),
    maxTokenAttempts: read.int('MAX_TOKEN_ATTEMPTS', 5, 1, 100),
    maxDestinationFailures: read.int('MAX_DESTINATION_FAILURES_PER_HOUR', 10, 1, 10_000),
    tokenRequestThrottleSeconds: read.int('TOKEN_REQUEST_THROTTLE_SECONDS', 60, 0, 86_400),
    allowAdminAuthentication: read.bool('ALLOW_ADMIN_AUTHENTICATION', false),
    registerNonexistentUsers: read.bool('REGISTER_NONEXISTENT_USERS', false),
    incorrectShortTokenRedeemsToken: read.bool('INCORRECT_SHORT_TOKEN_REDEEMS_TOKEN', false),
    emailLoginUrl,
    defaultPhoneRegion: region !== undefined && isSupportedCountry(region) ? region : undefined,
  };
}
