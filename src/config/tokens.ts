/** What Sesame issues after sign-in: the access token's claims and lifetime, and the session's refresh token. */
import type { EnvReader } from './reader.ts';

export interface TokensConfig {
  /** The `iss` claim: this service's public base URL. */
  jwtIssuer: string;
  jwtAudience: string;
  /** The `client_id` claim of the default client's tokens (by default its id, DEFAULT_CLIENT_ID). */
  jwtClientId: string;
  accessTokenTtlSeconds: number;
  /** Sessions: absolute lifetime, idle timeout, and the retry window of a spent refresh token (S31). */
  refreshTokenTtlSeconds: number;
  refreshTokenIdleTtlSeconds: number;
  refreshReuseGraceSeconds: number;
}

export function parseTokens(read: EnvReader, context: { production: boolean; port: number; defaultClientId: string }): TokensConfig {
  return {
    // No default in production: the empty issuer is refused there by validate() (S36).
    jwtIssuer: read.string('JWT_ISSUER', context.production ? '' : `http://localhost:${context.port}`),
    jwtAudience: read.string('JWT_AUDIENCE', 'sesame'),
    jwtClientId: read.string('JWT_CLIENT_ID', context.defaultClientId),
    accessTokenTtlSeconds: read.int('ACCESS_TOKEN_TTL', 900, 60, 86_400),
    refreshTokenTtlSeconds: read.int('REFRESH_TOKEN_TTL', 30 * 86_400, 60, 365 * 86_400),
    refreshTokenIdleTtlSeconds: read.int('REFRESH_TOKEN_IDLE_TTL', 7 * 86_400, 60, 365 * 86_400),
    refreshReuseGraceSeconds: read.int('REFRESH_REUSE_GRACE_SECONDS', 10, 0, 300),
  };
}
