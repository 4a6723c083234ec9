/**
 * The rules for a client's (an application's) fields, shared by the configuration (the default
 * client, ALLOWED_ORIGINS), the `npm run clients` CLI and the admin API. Each check returns a
 * problem sentence, or undefined when the value is fine.
 */

/** 1–64 characters of a-z, 0-9, `_` and `-`. */
export const CLIENT_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;

export function clientIdProblem(value: string): string | undefined {
  return CLIENT_ID_PATTERN.test(value) ? undefined : `"${value}" is not a client id (1 to 64 characters of a-z, 0-9, _ and -)`;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An origin exactly as a browser sends it: `scheme://host[:port]`, lower case, no path, query,
 * credentials or wildcard (S39). The default port is left out, as browsers do.
 */
export function originProblem(value: string): string | undefined {
  const bad = `"${value}" is not an origin (scheme://host[:port], no path, no wildcard)`;
  if (value.includes('*')) return `"${value}": wildcards are not allowed in an origin`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return bad;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `"${value}": an origin is http:// or https://`;
  // URL.origin drops a default port and lower-cases the host; anything else the value held
  // (a path, even "/", a query, user info) makes it differ.
  if (url.origin !== value) return bad;
  return undefined;
}

const FORBIDDEN_LINK_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:']);

/**
 * A magic-link template (S11): contains `{token}`; `https://`, or `http://` only for localhost
 * and 127.0.0.1, or a custom scheme of a mobile app (`myapp://`); never javascript:, data: or file:.
 */
export function loginUrlProblem(value: string): string | undefined {
  if (!value.includes('{token}')) return `"${value}": a login URL must contain {token}`;
  if (/\s/.test(value)) return `"${value}": a login URL cannot contain spaces`;
  let url: URL;
  try {
    url = new URL(value.replaceAll('{token}', 'token'));
  } catch {
    return `"${value}" is not an absolute URL`;
  }
  if (FORBIDDEN_LINK_SCHEMES.has(url.protocol)) return `"${value}": ${url.protocol} login URLs are not allowed`;
  if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname)) return `"${value}": http:// is allowed only for localhost and 127.0.0.1; use https://`;
  if (url.protocol === 'https:' && url.hostname === '') return `"${value}" has no host`;
  return undefined;
}

export const CLIENT_METHODS = ['email', 'mobile'] as const;
export type ClientMethod = (typeof CLIENT_METHODS)[number];

export function methodsProblem(values: readonly string[]): string | undefined {
  if (values.length === 0) return 'at least one method is required (email, mobile)';
  const unknown = values.filter((value) => !(CLIENT_METHODS as readonly string[]).includes(value));
  return unknown.length === 0 ? undefined : `unknown method ${unknown.map((value) => `"${value}"`).join(', ')} (use email, mobile)`;
}

export const REFRESH_TOKEN_DELIVERIES = ['body', 'cookie'] as const;
export type RefreshTokenDelivery = (typeof REFRESH_TOKEN_DELIVERIES)[number];

/** Bounds of the lifetimes, the same as ACCESS_TOKEN_TTL's and REFRESH_TOKEN_TTL's. */
export const ACCESS_TOKEN_TTL_RANGE = { min: 60, max: 86_400 } as const;
export const REFRESH_TOKEN_TTL_RANGE = { min: 60, max: 365 * 86_400 } as const;

export function secondsProblem(value: number, range: { min: number; max: number }): string | undefined {
  return Number.isInteger(value) && value >= range.min && value <= range.max ? undefined : `must be a whole number of seconds between ${range.min} and ${range.max}`;
}

/** A sender address, bare (`auth@example.com`) or with a display name (`Example <auth@example.com>`); one line. */
export function emailFromProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value) || value.length > 320) return 'must be one line of at most 320 characters';
  const address = /<([^<>\s]+)>\s*$/.exec(value)?.[1] ?? value;
  return /^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$/.test(address) ? undefined : `"${value}" is not an email address`;
}

/** Free text shown in messages ({{app_name}}): one line, 1–100 characters. */
export function nameProblem(value: string): string | undefined {
  return value.trim() !== '' && value.length <= 100 && !/[\r\n\u0000]/.test(value) ? undefined : 'must be one line of 1 to 100 characters';
}

/** The access token's `aud`: 1–200 printable characters without spaces. */
export function audienceProblem(value: string): string | undefined {
  return /^[\x21-\x7e]{1,200}$/.test(value) ? undefined : 'must be 1 to 200 printable characters without spaces';
}
