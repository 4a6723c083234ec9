/**
 * ECDSA signature malleability. For every valid ES256 signature (r, s), (r, n − s) is valid too,
 * so a token has a "high-S twin" with other bytes but the same claims. Sesame signs only with
 * the low S (s ≤ n/2) and refuses the high one in its own verification, so each token it issued
 * has exactly one accepted spelling (a deny list or a cache keyed by the token's bytes cannot be
 * side-stepped with the twin). OpenSSL, which jose signs with, does not normalise S itself.
 */

/** The order n of the P-256 group (FIPS 186-4, D.1.2.3). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;
const SCALAR_BYTES = 32;

function algOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

function scalars(signature: Buffer): { r: Buffer; s: bigint } | undefined {
  if (signature.length !== 2 * SCALAR_BYTES) return undefined;
  return { r: signature.subarray(0, SCALAR_BYTES), s: BigInt(`0x${signature.subarray(SCALAR_BYTES).toString('hex')}`) };
}

/** Whether a compact JWS is ES256 with S in the upper half (the twin Sesame never issues). */
export function hasHighS(token: string): boolean {
  if (algOf(token) !== 'ES256') return false;
  const parts = token.split('.');
  const decoded = scalars(Buffer.from(parts[2] ?? '', 'base64url'));
  return decoded !== undefined && decoded.s > HALF_ORDER;
}

/** A raw ES256 signature (r || s, 64 bytes) with S made low; the same bytes when S is already low. */
export function lowSSignature(signature: Buffer): Buffer {
  const decoded = scalars(signature);
  if (decoded === undefined || decoded.s <= HALF_ORDER) return signature;
  return Buffer.concat([decoded.r, Buffer.from((P256_ORDER - decoded.s).toString(16).padStart(2 * SCALAR_BYTES, '0'), 'hex')]);
}

/** The same compact JWS with its ES256 signature's S made low; other tokens are returned as they are. */
export function withLowS(token: string): string {
  if (!hasHighS(token)) return token;
  const parts = token.split('.');
  const { r, s } = scalars(Buffer.from(parts[2]!, 'base64url'))!;
  const low = Buffer.from((P256_ORDER - s).toString(16).padStart(2 * SCALAR_BYTES, '0'), 'hex');
  return `${parts[0]}.${parts[1]}.${Buffer.concat([r, low]).toString('base64url')}`;
}

/** The high-S twin of a low-S ES256 token: what an attacker can build from any token (for tests). */
export function highSTwin(token: string): string {
  const parts = token.split('.');
  const { r, s } = scalars(Buffer.from(parts[2]!, 'base64url'))!;
  const twin = Buffer.from((P256_ORDER - s).toString(16).padStart(2 * SCALAR_BYTES, '0'), 'hex');
  return `${parts[0]}.${parts[1]}.${Buffer.concat([r, twin]).toString('base64url')}`;
}
