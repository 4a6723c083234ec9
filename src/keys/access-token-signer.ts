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
}

/** How and when the session's user authenticated: the `auth_time` and `amr` claims (RFC 8176). */
export interface Authentication {
  authTime: Date;
  amr: string[];
}

export interface AccessTokenSigner {
  /**
   * Signs a token for the user; `sessionId` becomes the `sid` claim (logout ends that session),
   * and the session's authentication becomes `auth_time` and `amr`, refreshes included.
   */
  issue(user: AccessTokenSubject, sessionId: string, authentication: Authentication): Promise<AccessTokenResponse>;
}

export function createAccessTokenSigner(deps: {
  keys: Pick<KeyStore, 'signingKey'>;
  clock: Clock;
  issuer: string;
  audience: string;
  clientId: string;
  ttlSeconds: number;
}): AccessTokenSigner {
  return {
    async issue(user, sessionId, authentication) {
      // Read per token: the key store swaps the current key when a rotation is promoted.
      const key = deps.keys.signingKey();
      const iat = Math.floor(deps.clock.now().getTime() / 1000);
      const claims: Record<string, unknown> = {
        client_id: deps.clientId,
        sid: sessionId,
        auth_time: Math.floor(authentication.authTime.getTime() / 1000),
        amr: authentication.amr,
      };
      if (user.email !== null) claims.email = user.email;
      if (user.phoneNumber !== null) claims.phone_number = user.phoneNumber;
      // Low S only: the token has one accepted spelling (see ecdsa-low-s.ts).
      const accessToken = withLowS(await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(deps.issuer)
        .setSubject(user.id)
        .setAudience(deps.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + deps.ttlSeconds)
        .setJti(randomUUID())
        .sign(key.privateKey));
      return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.ttlSeconds };
    },
  };
}
