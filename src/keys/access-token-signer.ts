/** Signs RFC 9068 access tokens (S23, S24) with the current key. */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { withLowS } from './ecdsa-low-s.ts';
import type { Clock } from '../lib/clock.ts';
import type { AccessTokenResponse } from '../services/types.ts';
import type { KeyStore } from './key-store.ts';

export interface AccessTokenSubject {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  /** The user's app_metadata (set through the admin API); a non-empty one becomes the `app_metadata` claim. */
  appMetadata?: Record<string, unknown>;
}

/** How and when the session's user authenticated: the `auth_time` and `amr` claims (RFC 8176). */
export interface Authentication {
  authTime: Date;
  amr: string[];
}

/** The client (application) a token is issued to: its `client_id` claim, its `aud` and its lifetime (S24). */
export interface TokenClient {
  tokenClientId: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

export interface AccessTokenSigner {
  /**
   * Signs a token for the user; `sessionId` becomes the `sid` claim (logout ends that session),
   * and the session's authentication becomes `auth_time` and `amr`, refreshes included.
   * `client` gives `client_id`, `aud` and the lifetime; without it, the default client's.
   */
  issue(user: AccessTokenSubject, sessionId: string, authentication: Authentication, client?: TokenClient): Promise<AccessTokenResponse>;
}

export function createAccessTokenSigner(deps: {
  keys: Pick<KeyStore, 'signingKey'>;
  clock: Clock;
  issuer: string;
  /** The default client's claims and lifetime (read per token: a reload may change them). */
  defaultClient: () => TokenClient;
}): AccessTokenSigner {
  return {
    async issue(user, sessionId, authentication, client = deps.defaultClient()) {
      // Read per token: the key store swaps the current key when a rotation is promoted.
      const key = deps.keys.signingKey();
      const iat = Math.floor(deps.clock.now().getTime() / 1000);
      const claims: Record<string, unknown> = {
        client_id: client.tokenClientId,
        sid: sessionId,
        auth_time: Math.floor(authentication.authTime.getTime() / 1000),
        amr: authentication.amr,
      };
      if (user.email !== null) claims.email = user.email;
      if (user.phoneNumber !== null) claims.phone_number = user.phoneNumber;
      // Roles, tenant and the like for sibling services; left out when empty, so tokens of
      // users without it are unchanged.
      if (user.appMetadata !== undefined && Object.keys(user.appMetadata).length > 0) claims.app_metadata = user.appMetadata;
      // Low S only: the token has one accepted spelling (see ecdsa-low-s.ts).
      const accessToken = withLowS(await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(deps.issuer)
        .setSubject(user.id)
        .setAudience(client.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + client.accessTokenTtlSeconds)
        .setJti(randomUUID())
        .sign(key.privateKey));
      return { access_token: accessToken, token_type: 'Bearer', expires_in: client.accessTokenTtlSeconds };
    },
  };
}
