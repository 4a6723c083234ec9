/**
 * The rule a production SESAME_SECRET must pass (S36). A real secret is random bytes encoded as
 * text (`openssl rand -base64 32` gives 44 characters, `openssl rand -hex 32` 64), so:
 * - at least 32 bytes (checked where the secret is parsed, in every environment);
 * - an estimated entropy of at least 128 bits: its length times the Shannon entropy of its own
 *   character frequencies. 32 × `a` scores 0, `abcabc…` about 1.6 bits a character; random
 *   base64 of 32 bytes scores about 230, random hex of 32 bytes about 245;
 * - not a repetition: no shorter string repeated (at least twice over) makes it up;
 * - no placeholder words (`change-me`, `changeme`, `example`, `placeholder`) and not a
 *   placeholder we have published.
 * The estimate only ever errs high for text a person chose, so passing it proves little; failing
 * it proves the secret is not random bytes.
 */

/** Entropy, in bits, below which a secret is refused in production. */
export const MIN_SECRET_ENTROPY_BITS = 128;

/** Placeholders that appeared in our examples; each must never protect a deployment. */
const PUBLISHED_PLACEHOLDERS = new Set([
  'change-me-to-at-least-32-random-bytes-of-secret',
  'compose-development-secret-change-me-0123456789',
  'changeme',
  'secret',
]);

const PLACEHOLDER_WORDS = /change-?me|example|placeholder/i;

/** Length × Shannon entropy of the string's own character frequencies, in bits. */
export function estimatedEntropyBits(secret: string): number {
  const characters = [...secret];
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const p = count / characters.length;
    perCharacter -= p * Math.log2(p);
  }
  return perCharacter * characters.length;
}

/** The shortest unit that, repeated, makes up the string (the string itself when none does). */
function repeatedUnitLength(secret: string): number {
  for (let unit = 1; unit <= secret.length / 2; unit += 1) {
    let repeats = true;
    for (let i = unit; i < secret.length && repeats; i += 1) repeats = secret[i] === secret[i - unit];
    if (repeats) return unit;
  }
  return secret.length;
}

/** Why this secret is too weak for production, or undefined when it passes the rule above. */
export function secretWeakness(secret: string): string | undefined {
  if (PUBLISHED_PLACEHOLDERS.has(secret)) return 'the example placeholder cannot be used in production';
  if (PLACEHOLDER_WORDS.test(secret)) return 'looks like a placeholder (contains change-me, example or placeholder); use random bytes, e.g. openssl rand -base64 32';
  if (repeatedUnitLength(secret) < secret.length) return 'is a short string repeated; use random bytes, e.g. openssl rand -base64 32';
  const bits = estimatedEntropyBits(secret);
  if (bits < MIN_SECRET_ENTROPY_BITS) {
    return `has too little entropy (about ${Math.floor(bits)} bits estimated, at least ${MIN_SECRET_ENTROPY_BITS} required); use random bytes, e.g. openssl rand -base64 32`;
  }
  return undefined;
}
