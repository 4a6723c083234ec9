/** Signs RFC 9068 access tokens (S23, S24) with the current key. */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../lib/clock.ts';
import type { AccessTokenResponse } from '../services/types.ts';
import type { KeyStore } from './key-store.ts';

export interface AccessTokenSubject {
  id: string;
  email: string | null;
  phoneNumber: string | null;
}

export interface AccessTokenSigner {
  /** Signs a token for the user; `sessionId` becomes the `sid` claim (logout ends that session). */
  issue(user: AccessTokenSubject, sessionId: string): Promise<AccessTokenResponse>;
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
    async issue(user, sessionId) {
      // Read per token: the key store swaps the current key when a rotation is promoted.
      const key = deps.keys.signingKey();
      const iat = Math.floor(deps.clock.now().getTime() / 1000);
      const claims: Record<string, string> = { client_id: deps.clientId, sid: sessionId };
      if (user.email !== null) claims.email = user.email;
      if (user.phoneNumber !== null) claims.phone_number = user.phoneNumber;
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(deps.issuer)
        .setSubject(user.id)
        .setAudience(deps.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + deps.ttlSeconds)
        .setJti(randomUUID())
        .sign(key.privateKey);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.ttlSeconds };
    },
  };
}
