/** Fixed-code identities for app-store reviewers and demos (DEMO_USERS); refused in production unless allowed. */
import type { CountryCode } from 'libphonenumber-js/max';
import { normalizeEmail, normalizePhone } from '../lib/identifiers.ts';
import type { Channel } from '../services/types.ts';
import type { EnvReader } from './reader.ts';

/** A fixed-code identity for app-store reviewers and demos; the code is never sent. */
export interface DemoUser {
  channel: Channel;
  /** Normalized like a real identifier (lower-cased email, E.164). */
  destination: string;
  code: string;
  /** The fixed code stops working at this instant; null: never. */
  expiresAt: Date | null;
}

export interface DemoUsersConfig {
  demoUsers: DemoUser[];
  allowDemoUsersInProduction: boolean;
}

/** What a demo entry is checked against: the phone region and the shape of a real code. */
export interface DemoUserContext {
  defaultPhoneRegion: CountryCode | undefined;
  shortTokenChars: string;
  shortTokenLength: number;
}

export function parseDemoUsersSection(read: EnvReader, problems: string[], context: DemoUserContext): DemoUsersConfig {
  return {
    demoUsers: parseDemoUsers(read.optional('DEMO_USERS'), problems, context),
    allowDemoUsersInProduction: read.bool('ALLOW_DEMO_USERS_IN_PRODUCTION', false),
  };
}

// `identifier=code` or `identifier=code@expiry`, comma-separated. The identifier may itself
// contain `=` and `@` (emails), the code and the expiry never do, so the last `=` splits.
const DEMO_ENTRY = /^(.+)=([^=@\s]+)(?:@([^=@\s]+))?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Parses DEMO_USERS. Problems never quote the code. A date-only expiry means "through the end of
 * that day (UTC)"; a full ISO timestamp is taken as is.
 */
export function parseDemoUsers(value: string | undefined, problems: string[], context: DemoUserContext): DemoUser[] {
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
