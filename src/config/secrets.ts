/** SESAME_SECRET and the previous secrets still accepted while it rotates. */
import type { EnvReader } from './reader.ts';

export interface SecretsConfig {
  /** Secrets from SESAME_SECRET followed by SESAME_PREVIOUS_SECRETS; the first one is current. Undefined: dev secret. */
  secrets: Buffer[] | undefined;
}

export function parseSecrets(read: EnvReader, problems: string[]): SecretsConfig {
  const current = read.optional('SESAME_SECRET');
  const previous = read.list('SESAME_PREVIOUS_SECRETS', []);
  if (current === undefined) {
    if (previous.length > 0) problems.push('SESAME_PREVIOUS_SECRETS: set SESAME_SECRET too');
    return { secrets: undefined };
  }
  const secrets = [current, ...previous].map((value, index) => {
    if (Buffer.byteLength(value) < 32) problems.push(`${secretName(index)}: must be at least 32 bytes`);
    return Buffer.from(value, 'utf8');
  });
  return { secrets };
}

/** The variable a secret came from, by its position in `secrets`. */
export function secretName(index: number): string {
  return index === 0 ? 'SESAME_SECRET' : 'SESAME_PREVIOUS_SECRETS';
}
