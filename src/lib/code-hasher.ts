/**
 * Keyed hashes of one-time secrets (S8): HMAC-SHA-256 under a subkey of SESAME_SECRET over
 * purpose, channel, destination and code, so a stolen table reveals neither codes nor a way
 * to test guesses offline. Every configured secret yields a candidate; the first is current,
 * older ones keep in-flight codes valid across a secret rotation.
 */
import type { Channel } from '../services/types.ts';
import { deriveSubkey, keyedHash } from './secret-keys.ts';

export interface CodeHasher {
  /** Hash to store for a short code; bound to its channel and destination (S10). */
  short(channel: Channel, destination: string, code: string): Buffer;
  /** Candidates to compare a presented short code against, current secret first. */
  shortCandidates(channel: Channel, destination: string, code: string): Buffer[];
  /** Hash to store for a magic-link token; looked up without a destination by the standalone exchange. */
  long(token: string): Buffer;
  longCandidates(token: string): Buffer[];
  /**
   * Hash of an identifier-verification code: bound to its purpose and to the user who asked as
   * well, so it never matches a sign-in code's hash nor another account's (S44).
   */
  verification(channel: Channel, destination: string, userId: string, code: string): Buffer;
  verificationCandidates(channel: Channel, destination: string, userId: string, code: string): Buffer[];
  /** Key of the per-destination request throttle; also used for identifiers with no account. */
  throttleKey(channel: Channel, destination: string): Buffer;
}

export function createCodeHasher(secrets: readonly Buffer[]): CodeHasher {
  if (secrets.length === 0) throw new Error('at least one secret is required');
  const codeKeys = secrets.map((secret) => deriveSubkey(secret, 'code-hash'));
  const throttleKey = deriveSubkey(secrets[0]!, 'throttle-key');
  const current = codeKeys[0]!;
  const shortParts = (channel: Channel, destination: string, code: string) => ['short', channel, destination, code];
  const longParts = (token: string) => ['long', token];
  const verifyParts = (channel: Channel, destination: string, userId: string, code: string) => ['verify', channel, destination, userId, code];

  return {
    short: (channel, destination, code) => keyedHash(current, shortParts(channel, destination, code)),
    shortCandidates: (channel, destination, code) => codeKeys.map((key) => keyedHash(key, shortParts(channel, destination, code))),
    long: (token) => keyedHash(current, longParts(token)),
    longCandidates: (token) => codeKeys.map((key) => keyedHash(key, longParts(token))),
    verification: (channel, destination, userId, code) => keyedHash(current, verifyParts(channel, destination, userId, code)),
    verificationCandidates: (channel, destination, userId, code) => codeKeys.map((key) => keyedHash(key, verifyParts(channel, destination, userId, code))),
    throttleKey: (channel, destination) => keyedHash(throttleKey, [channel, destination]),
  };
}
