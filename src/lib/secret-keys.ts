/**
 * Subkeys derived from SESAME_SECRET with HKDF-SHA-256, one per purpose, so a leak of one
 * (say, the code pepper in a heap dump) does not expose the others. The first secret is
 * current; older ones stay usable for verification and decryption during rotation.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export type SubkeyPurpose = 'code-hash' | 'key-encryption' | 'throttle-key' | 'refresh-token' | 'outbox' | 'webhook-secret';

/** Derives a 32-byte subkey of `secret` for one purpose. */
export function deriveSubkey(secret: Buffer, purpose: SubkeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'sesame/v1', purpose, 32));
}

/** HMAC-SHA-256 over the parts, joined with a separator that cannot occur inside them. */
export function keyedHash(key: Buffer, parts: readonly string[]): Buffer {
  const mac = createHmac('sha256', key);
  parts.forEach((part, index) => {
    if (index > 0) mac.update('\x1f');
    mac.update(part, 'utf8');
  });
  return mac.digest();
}

/** Constant-time equality for two secrets (S9); unequal lengths are simply unequal. */
export function secretsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_V1 = 1;

/** AES-256-GCM: version byte | IV | tag | ciphertext. `context` is bound as associated data. */
export function encrypt(key: Buffer, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
}

/** Reverses encrypt; throws when the key, the context or the bytes do not match. */
export function decrypt(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) throw new Error('unsupported ciphertext format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}
