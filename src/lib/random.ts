import { randomBytes, randomInt } from 'node:crypto';

/** Source of randomness; injectable so tests can pin codes. */
export interface RandomSource {
  /** Uniform integer in [0, max). */
  int(max: number): number;
  bytes(size: number): Buffer;
}

/** The CSPRNG-backed source used in production (S1, S2). */
export const cryptoRandom: RandomSource = {
  int: (max) => randomInt(max),
  bytes: (size) => randomBytes(size),
};

/** A string of `length` characters drawn uniformly from `alphabet` (randomInt has no modulo bias). */
export function randomString(random: RandomSource, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[random.int(alphabet.length)];
  return out;
}
