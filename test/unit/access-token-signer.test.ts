// The access-token signer writes the compact JWS itself with node:crypto; jose, which verifies
// every token Sesame accepts, must accept each one exactly as if jose had signed it (S23, S24).
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { JwtAlg } from '../../src/config/index.ts';
import { createAccessTokenSigner, signCompactJws } from '../../src/keys/access-token-signer.ts';
import { hasHighS } from '../../src/keys/ecdsa-low-s.ts';

function keyPair(alg: JwtAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

describe('access-token signer', () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
    it(`${alg}: jose verifies the token with the algorithm, issuer, audience and typ pinned, and reads every claim`, async () => {
      const { privateKey, publicKey } = keyPair(alg);
      const now = new Date('2026-11-30T01:00:00Z');
      const signer = createAccessTokenSigner({
        keys: { signingKey: () => ({ kid: 'kid-1', alg, privateKey }) },
        clock: { now: () => now },
        issuer: 'https://auth.example.test',
        defaultClient: () => ({ tokenClientId: 'sesame', audience: 'example-api', accessTokenTtlSeconds: 900 }),
      });
      const issued = await signer.issue({ id: 'user-1', email: 'a@example.test', phoneNumber: null }, 'session-1', { authTime: new Date('2026-11-30T00:59:00Z'), amr: ['otp'] });
      assert.deepEqual(decodeProtectedHeader(issued.access_token), { alg, kid: 'kid-1', typ: 'at+jwt' });
      const { payload } = await jwtVerify(issued.access_token, publicKey, {
        algorithms: [alg], issuer: 'https://auth.example.test', audience: 'example-api', typ: 'at+jwt', currentDate: now,
      });
      const { jti, ...rest } = payload;
      assert.match(String(jti), /^[0-9a-f-]{36}$/);
      assert.deepEqual(rest, {
        client_id: 'sesame', sid: 'session-1', auth_time: Math.floor(Date.parse('2026-11-30T00:59:00Z') / 1000), amr: ['otp'], email: 'a@example.test',
        iss: 'https://auth.example.test', sub: 'user-1', aud: 'example-api', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 900,
      });
      assert.equal(issued.expires_in, 900);
      // Another client's token: its client_id, audience and lifetime.
      const other = await signer.issue({ id: 'user-1', email: null, phoneNumber: '+15550100' }, 'session-2', { authTime: now, amr: ['sms'] }, { tokenClientId: 'web', audience: 'web-api', accessTokenTtlSeconds: 60 });
      const verified = await jwtVerify(other.access_token, publicKey, { algorithms: [alg], audience: 'web-api', typ: 'at+jwt', currentDate: now });
      assert.equal(verified.payload.client_id, 'web');
      assert.equal(verified.payload.phone_number, '+15550100');
      assert.equal(verified.payload.exp, now.getTime() / 1000 + 60);
      assert.equal(other.expires_in, 60);
    });
  }

  it('ES256: every signature has a low S, so each token has one accepted spelling', async () => {
    const { privateKey, publicKey } = keyPair('ES256');
    for (let i = 0; i < 64; i++) {
      const token = signCompactJws({ alg: 'ES256', kid: 'k', typ: 'at+jwt' }, { sub: `u${i}` }, privateKey);
      assert.equal(hasHighS(token), false);
      await jwtVerify(token, publicKey, { algorithms: ['ES256'] });
    }
  });
});
