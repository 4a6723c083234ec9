/**
 * Key material: generating a key pair, sealing its private part for storage (S27) and opening
 * it again, and the public JWK that the JWKS publishes (S25).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { JwtAlg } from '../config/index.ts';
import { decrypt, encrypt } from '../lib/secret-keys.ts';
import type { KeyState, StoredSigningKey } from '../repositories/signing-key-repository.ts';

/** A fresh key pair, sealed under `encryptionKey`, identified by its JWK thumbprint. */
export async function generateStoredKey(alg: JwtAlg, state: KeyState, encryptionKey: Buffer, now: Date): Promise<Omit<StoredSigningKey, 'retiredAt'>> {
  const { privateKey } = generateKeyPair(alg);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    alg,
    state,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    privateKeyEnc: encrypt(encryptionKey, der, `signing-key:${kid}`),
    createdAt: now,
    activatedAt: state === 'current' ? now : null,
  };
}

function generateKeyPair(alg: JwtAlg): { privateKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 3072 });
  }
}

/** Decrypts with the current secret, falling back to previous ones during a secret rotation. */
export function unseal(key: Pick<StoredSigningKey, 'kid' | 'privateKeyEnc'>, encryptionKeys: readonly Buffer[]): KeyObject {
  for (const encryptionKey of encryptionKeys) {
    try {
      const der = decrypt(encryptionKey, key.privateKeyEnc, `signing-key:${key.kid}`);
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      // try the next secret
    }
  }
  throw new Error(`signing key ${key.kid} cannot be decrypted with SESAME_SECRET or SESAME_PREVIOUS_SECRETS`);
}

/** Public members only (S25): whatever the stored JWK holds, only these leave the service. */
export function publicJwkOf(kid: string, alg: string, jwk: Record<string, unknown>): JWK {
  const { kty, crv, x, y, n, e } = jwk as JWK;
  const members: JWK = { kty, kid, use: 'sig', alg };
  if (crv !== undefined) members.crv = crv;
  if (x !== undefined) members.x = x;
  if (y !== undefined) members.y = y;
  if (n !== undefined) members.n = n;
  if (e !== undefined) members.e = e;
  return members;
}

/** The public key as a KeyObject, for local verification. */
export function publicKeyOf(jwk: JWK): KeyObject {
  return createPublicKey({ key: jwk as never, format: 'jwk' });
}
