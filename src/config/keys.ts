/** Signing keys: the algorithm, how long JWKS may be cached, rotation, or one operator-managed key. */
import { parseOperatorKey, type OperatorKey } from '../keys/operator-key.ts';
import type { EnvReader } from './reader.ts';

export type JwtAlg = 'ES256' | 'EdDSA' | 'RS256';

export interface KeysConfig {
  jwtAlg: JwtAlg;
  jwksMaxAgeSeconds: number;
  /** Operator-managed signing key (JWT_PRIVATE_KEY): when set, keys are never generated or rotated. */
  operatorKey: OperatorKey | undefined;
  /** Automatic key rotation period; 0 turns it off. */
  keyRotationIntervalSeconds: number;
  /** How often each replica reloads the key set from the database (and runs key maintenance). */
  keyReloadIntervalSeconds: number;
}

export function parseKeys(read: EnvReader, problems: string[]): KeysConfig {
  const jwtAlg = read.oneOf('JWT_ALG', ['ES256', 'EdDSA', 'RS256'] as const, 'ES256');
  const jwksMaxAgeSeconds = read.int('JWKS_MAX_AGE', 300, 0, 86_400);
  const keyRotationIntervalSeconds = read.int('KEY_ROTATION_INTERVAL', 30 * 86_400, 0, 10 * 365 * 86_400);
  const keyReloadIntervalSeconds = read.int('KEY_RELOAD_INTERVAL', 60, 1, 3_600);
  // A new key must be published (every replica reloaded, every cache expired) before it signs.
  if (keyRotationIntervalSeconds > 0 && keyRotationIntervalSeconds < 2 * (jwksMaxAgeSeconds + keyReloadIntervalSeconds)) {
    problems.push('KEY_ROTATION_INTERVAL: must be 0 (off) or at least twice JWKS_MAX_AGE + KEY_RELOAD_INTERVAL');
  }
  let operatorKey: OperatorKey | undefined;
  const operatorKeyValue = read.optional('JWT_PRIVATE_KEY');
  const kid = read.optional('JWT_KEY_ID');
  if (operatorKeyValue !== undefined) {
    const parsed = parseOperatorKey(operatorKeyValue, kid, jwtAlg);
    if (typeof parsed === 'string') problems.push(`JWT_PRIVATE_KEY: ${parsed}`);
    else operatorKey = parsed;
  } else if (kid !== undefined) {
    problems.push('JWT_KEY_ID: only meaningful with JWT_PRIVATE_KEY');
  }
  return { jwtAlg, jwksMaxAgeSeconds, operatorKey, keyRotationIntervalSeconds, keyReloadIntervalSeconds };
}
