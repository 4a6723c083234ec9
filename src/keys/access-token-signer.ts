/** Signs RFC 9068 access tokens (S23, S24) with the current key. */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../lib/clock.ts';
import type { AccessTokenResponse } from '../services/types.ts';
import type { SigningKey } from './key-store.ts';

export interface AccessTokenSubject {
  id: string;
  email: string | null;
  phoneNumber: string | null;
}

export interface AccessTokenSigner {
  issue(user: AccessTokenSubject): Promise<AccessTokenResponse>;
}

export function createAccessTokenSigner(deps: {
  key: SigningKey;
  clock: Clock;
  issuer: string;
  audience: string;
  clientId: string;
  ttlSeconds: number;
}): AccessTokenSigner {
  const header = { alg: deps.key.alg, kid: deps.key.kid, typ: 'at+jwt' };
  return {
    async issue(user) {
      const iat = Math.floor(deps.clock.now().getTime() / 1000);
      const claims: Record<string, string> = { client_id: deps.clientId };
      if (user.email !== null) claims.email = user.email;
      if (user.phoneNumber !== null) claims.phone_number = user.phoneNumber;
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader(header)
        .setIssuer(deps.issuer)
        .setSubject(user.id)
        .setAudience(deps.audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + deps.ttlSeconds)
        .setJti(randomUUID())
        .sign(deps.key.privateKey);
      return { access_token: accessToken, token_type: 'Bearer', expires_in: deps.ttlSeconds };
    },
  };
}
