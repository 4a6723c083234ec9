/**
 * Subkeys derived from SESAME_SECRET with HKDF-SHA-256, one per purpose, so a leak of one
 * (say, the code pepper in a heap dump) does not expose the others. The first secret is
 * current; older ones stay usable for verification and decryption during rotation.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';

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

const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

// Random IVs are drawn from the CSPRNG in blocks of 256 and each is used once: one
// randomFillSync call per 256 seals instead of one per seal (its fixed cost, about 3 µs, was a
// sixth of sealing an outbox payload, which every code request does).
const IV_BLOCK = Buffer.alloc(IV_BYTES * 256);
let ivOffset = IV_BLOCK.length;

function nextIv(into: Buffer, at: number): void {
  if (ivOffset === IV_BLOCK.length) {
    randomFillSync(IV_BLOCK);
    ivOffset = 0;
  }
  IV_BLOCK.copy(into, at, ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
}

// The associated data of the few fixed contexts, encoded once.
const contextBytes = new Map<string, Buffer>();

function associatedData(context: string): Buffer {
  let bytes = contextBytes.get(context);
  if (bytes === undefined) {
    bytes = Buffer.from(context, 'utf8');
    if (contextBytes.size < 64) contextBytes.set(context, bytes);
  }
  return bytes;
}

/** AES-256-GCM: version byte | IV | tag | ciphertext. `context` is bound as associated data. */
export function encrypt(key: Buffer, plaintext: Buffer, context: string): Buffer {
  // One buffer for the whole result: GCM's ciphertext is as long as the plaintext.
  const sealed = Buffer.alloc(HEADER_BYTES + plaintext.length);
  sealed[0] = FORMAT_V1;
  nextIv(sealed, 1);
  const cipher = createCipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
  cipher.setAAD(associatedData(context));
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  if (body.length + rest.length !== plaintext.length) throw new Error('unexpected ciphertext length');
  body.copy(sealed, HEADER_BYTES);
  rest.copy(sealed, HEADER_BYTES + body.length);
  cipher.getAuthTag().copy(sealed, 1 + IV_BYTES);
  return sealed;
}

/** Reverses encrypt; throws when the key, the context or the bytes do not match. */
export function decrypt(key: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_V1) throw new Error('unsupported ciphertext format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(associatedData(context));
  decipher.setAuthTag(tag);
  const body = decipher.update(sealed.subarray(HEADER_BYTES));
  // final() checks the tag (it throws on a mismatch); for GCM it adds no bytes.
  const rest = decipher.final();
  return rest.length === 0 ? body : Buffer.concat([body, rest]);
}
