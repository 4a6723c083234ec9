/**
 * The accounts section of the configuration: recent sign-in for account changes (S45) and the
 * WebAuthn relying party (S46).
 */
import type { EnvReader } from './reader.ts';

export interface AccountsConfig {
  /** How old `auth_time` may be for changing an identifier or adding a passkey (S45). */
  reauthMaxAgeSeconds: number;
  /** The WebAuthn relying party: its ID (a registrable domain) and display name. */
  webauthnRpId: string;
  webauthnRpName: string;
  /** Origins whose WebAuthn ceremonies are accepted (S46): JWT_ISSUER's origin by default. */
  webauthnOrigins: string[];
}

/** Parses the section; `jwtIssuer` gives the defaults of the RP ID and origins. */
export function parseAccounts(read: EnvReader, problems: string[], context: { jwtIssuer: string; production: boolean }): AccountsConfig {
  let issuer: URL | undefined;
  // A blank issuer is reported by validate(); only a malformed one is this section's problem.
  if (context.jwtIssuer !== '') {
    try {
      issuer = new URL(context.jwtIssuer);
    } catch {
      problems.push('JWT_ISSUER: must be an absolute URL (WebAuthn takes its default RP ID and origin from it)');
    }
  }
  const webauthnRpId = (read.optional('WEBAUTHN_RP_ID') ?? issuer?.hostname ?? 'localhost').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(webauthnRpId)) {
    problems.push(`WEBAUTHN_RP_ID: "${webauthnRpId}" is not a host name (no scheme, port or path)`);
  }
  const webauthnOrigins = read.list('WEBAUTHN_ORIGINS', issuer === undefined ? [] : [issuer.origin]).map((entry) => {
    const origin = originOf(entry);
    if (origin === undefined) problems.push(`WEBAUTHN_ORIGINS: "${entry}" is not an origin such as https://app.example.com`);
    return origin ?? entry;
  });
  for (const origin of webauthnOrigins) {
    const url = originOf(origin) === undefined ? undefined : new URL(origin);
    const host = url?.hostname;
    // Outside localhost a ceremony over plain HTTP can be tampered with on the way.
    if (context.production && url?.protocol === 'http:' && host !== 'localhost') problems.push(`WEBAUTHN_ORIGINS: "${origin}" must use https in production`);
    // A browser refuses an RP ID that is not the origin's host or one of its parent domains.
    if (host !== undefined && host !== webauthnRpId && !host.endsWith(`.${webauthnRpId}`)) {
      problems.push(`WEBAUTHN_ORIGINS: "${origin}" is not on WEBAUTHN_RP_ID "${webauthnRpId}" or one of its subdomains`);
    }
  }
  return {
    reauthMaxAgeSeconds: read.int('REAUTH_MAX_AGE', 600, 30, 86_400),
    webauthnRpId,
    webauthnRpName: read.string('WEBAUTHN_RP_NAME', 'Sesame'),
    webauthnOrigins,
  };
}

/** The origin of an http(s) URL without path, query or credentials; undefined otherwise. */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
