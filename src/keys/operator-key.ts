/**
 * A signing key the operator manages (JWT_PRIVATE_KEY as PKCS#8/SEC1/PKCS#1 PEM or a private
 * JWK). Parsed once at start so a wrong key stops the service before it signs anything.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { JwtAlg } from '../config/index.ts';

export interface OperatorKey {
  kid: string;
  alg: JwtAlg;
  privateKey: KeyObject;
  /** Public members of the key as a JWK (kty, crv, x, y, n, e). */
  publicJwk: Record<string, string>;
}

/** Returns the key, or a description of what is wrong with it (never the key material). */
export function parseOperatorKey(value: string, kidSetting: string | undefined, alg: JwtAlg): OperatorKey | string {
  let privateKey: KeyObject;
  let jwkKid: string | undefined;
  try {
    if (value.startsWith('{')) {
      const jwk = JSON.parse(value) as Record<string, unknown>;
      if (typeof jwk.d !== 'string') return 'the JWK has no private part ("d")';
      if (typeof jwk.kid === 'string') jwkKid = jwk.kid;
      privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } else {
      // Environment files often carry PEMs with literal "\n".
      privateKey = createPrivateKey({ key: value.replace(/\\n/g, '\n'), format: 'pem' });
    }
  } catch {
    return 'not a readable private key (expected PEM or a private JWK)';
  }
  const problem = algorithmMismatch(privateKey, alg);
  if (problem) return problem;
  const kid = kidSetting ?? jwkKid;
  if (kid === undefined) return 'needs a key id: set JWT_KEY_ID or give the JWK a "kid"';
  const { kty, crv, x, y, n, e } = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string | undefined>;
  const publicJwk: Record<string, string> = { kty: kty! };
  for (const [name, member] of Object.entries({ crv, x, y, n, e })) if (member !== undefined) publicJwk[name] = member;
  return { kid, alg, privateKey, publicJwk };
}

function algorithmMismatch(key: KeyObject, alg: JwtAlg): string | undefined {
  const type = key.asymmetricKeyType;
  switch (alg) {
    case 'ES256':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? undefined : 'JWT_ALG=ES256 needs a P-256 EC key';
    case 'EdDSA':
      return type === 'ed25519' ? undefined : 'JWT_ALG=EdDSA needs an Ed25519 key';
    case 'RS256':
      return type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? undefined : 'JWT_ALG=RS256 needs an RSA key of at least 2048 bits';
  }
}
