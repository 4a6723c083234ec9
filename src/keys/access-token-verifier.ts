/**
 * Verifies our own access tokens against the local key store (no HTTP): the algorithms are
 * those of the published keys, the key must be published under the token's kid with that same
 * algorithm, and issuer, audience and typ are pinned, with at most 60 s of clock skew (S28).
 * `alg: none`, HS* (including an HMAC keyed with our public key) and unknown kids never reach
 * a signature check that could pass, and an ES256 signature with a high S (the malleable twin of
 * a valid one) is refused before it.
 */
import type { KeyObject } from 'node:crypto';
import { jwtVerify, type CompactJWSHeaderParameters } from 'jose';
import type { Clock } from '../lib/clock.ts';
import { hasHighS } from './ecdsa-low-s.ts';
import type { KeyStore } from './key-store.ts';

export interface VerifiedAccessToken {
  userId: string;
  sessionId: string;
  /** When the user authenticated (seconds since the epoch); null for a token without the claim. */
  authTime: number | null;
  /** How they did (RFC 8176); empty for a token without the claim. */
  amr: string[];
}

export interface AccessTokenVerifier {
  /** The token's subject and session, or null when the token is not one we would accept. */
  verify(token: string): Promise<VerifiedAccessToken | null>;
}

const CLOCK_TOLERANCE_SECONDS = 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createAccessTokenVerifier(deps: {
  keys: Pick<KeyStore, 'publishedKey' | 'algorithms'>;
  clock: Clock;
  issuer: string;
  /** Every client's audience: our own endpoints accept a token issued to any client. */
  audiences: () => string[];
  /** Our tokens live at most this long (the longest of any client); an older iat, or one in the future, is not one of ours. */
  maxTokenAgeSeconds: () => number;
}): AccessTokenVerifier {
  function keyFor(header: CompactJWSHeaderParameters): KeyObject {
    const key = header.kid === undefined ? undefined : deps.keys.publishedKey(header.kid);
    if (key === undefined || key.alg !== header.alg) throw new Error('no published key for this kid and alg');
    return key.publicKey;
  }

  return {
    async verify(token) {
      // The high-S twin of one of our ES256 tokens verifies mathematically; we never issue it.
      if (hasHighS(token)) return null;
      try {
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: deps.keys.algorithms(),
          issuer: deps.issuer,
          audience: deps.audiences(),
          typ: 'at+jwt',
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          maxTokenAge: deps.maxTokenAgeSeconds(),
          currentDate: deps.clock.now(),
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        });
        const { sub, sid } = payload;
        if (typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !UUID.test(sid)) return null;
        const authTime = typeof payload.auth_time === 'number' && Number.isInteger(payload.auth_time) ? payload.auth_time : null;
        const amr = Array.isArray(payload.amr) && payload.amr.every((value) => typeof value === 'string') ? payload.amr as string[] : [];
        return { userId: sub, sessionId: sid, authTime, amr };
      } catch {
        return null;
      }
    },
  };
}
