/**
 * Refresh tokens: 256-bit opaque strings (base64url, 43 characters), stored only as SHA-256
 * (S29). A plain hash is enough here, unlike for short codes: the token has full entropy.
 *
 * A rotated token's child is derived from the parent with a keyed HMAC rather than drawn at
 * random, so a client that retries a refresh within REFRESH_REUSE_GRACE_SECONDS can be given
 * the same child again without the child ever being stored in clear. Without the secret and
 * the parent, the child is as unpredictable as a random one.
 */
import { createHash, createHmac } from 'node:crypto';
import type { RandomSource } from './random.ts';

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface RefreshTokenPair {
  token: string;
  hash: Buffer;
}

/** A fresh token for a new session. */
export function newRefreshToken(random: RandomSource): RefreshTokenPair {
  return withHash(random.bytes(TOKEN_BYTES).toString('base64url'));
}

/** The child a parent token rotates into; the same for the same parent and key. */
export function childRefreshToken(key: Buffer, parent: string): RefreshTokenPair {
  return withHash(createHmac('sha256', key).update(parent, 'utf8').digest().toString('base64url'));
}

/** SHA-256 of a presented token, or undefined when it cannot be one of ours. */
export function hashPresentedRefreshToken(presented: string): Buffer | undefined {
  return TOKEN_SHAPE.test(presented) ? sha256(presented) : undefined;
}

function withHash(token: string): RefreshTokenPair {
  return { token, hash: sha256(token) };
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
