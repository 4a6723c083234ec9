/**
 * The signing key: generated on first start and stored with its private part encrypted under
 * a subkey of SESAME_SECRET (S27), so every replica signs with the same key and the JWKS is
 * the same everywhere. The bootstrap runs under an advisory lock; the first replica creates the
 * key and the others load it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { JwtAlg } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { decrypt, deriveSubkey, encrypt } from '../lib/secret-keys.ts';
import type { SigningKeyRepository, StoredSigningKey } from '../repositories/signing-key-repository.ts';

export interface SigningKey {
  kid: string;
  alg: JwtAlg;
  privateKey: KeyObject;
}

export interface KeyStore {
  signingKey: SigningKey;
  /** The JWKS document, serialized once: it is served on every verification cache miss. */
  jwksJson: string;
}

/** Loads the current signing key, creating it when none exists or when JWT_ALG changed. */
export async function loadKeyStore(deps: { keys: SigningKeyRepository; secrets: readonly Buffer[]; alg: JwtAlg; clock: Clock }): Promise<KeyStore> {
  const encryptionKeys = deps.secrets.map((secret) => deriveSubkey(secret, 'key-encryption'));
  const current = await deps.keys.withLock(async (tx) => {
    const [existing] = await tx.findByState('current');
    if (existing && existing.alg === deps.alg) return existing;
    const now = deps.clock.now();
    // A changed algorithm gets a fresh key; the old one stays published until its tokens expire.
    if (existing) await tx.retire(existing.kid, now);
    const created = await generateStoredKey(deps.alg, encryptionKeys[0]!, now);
    await tx.insert(created);
    return { ...created, retiredAt: null };
  });

  const published = await deps.keys.listPublished();
  return {
    signingKey: { kid: current.kid, alg: deps.alg, privateKey: unseal(current, encryptionKeys) },
    jwksJson: JSON.stringify({ keys: published.map(publicJwkOf) }),
  };
}

async function generateStoredKey(alg: JwtAlg, encryptionKey: Buffer, now: Date): Promise<Omit<StoredSigningKey, 'retiredAt'>> {
  const { privateKey } = generateKeyPair(alg);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    alg,
    state: 'current',
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    privateKeyEnc: encrypt(encryptionKey, der, `signing-key:${kid}`),
    createdAt: now,
    activatedAt: now,
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
function unseal(key: StoredSigningKey, encryptionKeys: Buffer[]): KeyObject {
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

/** Public members only (S25): the stored JWK never had private ones, and this keeps it so. */
function publicJwkOf(key: StoredSigningKey): JWK {
  const { kty, crv, x, y, n, e } = key.publicJwk as JWK;
  const members: JWK = { kty, kid: key.kid, use: 'sig', alg: key.alg };
  if (crv !== undefined) members.crv = crv;
  if (x !== undefined) members.x = x;
  if (y !== undefined) members.y = y;
  if (n !== undefined) members.n = n;
  if (e !== undefined) members.e = e;
  return members;
}
