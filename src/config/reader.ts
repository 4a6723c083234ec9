/**
 * The one way configuration reads the environment. Every value passes the same rule: trimmed,
 * and blank counts as unset, so `JWT_ISSUER=` and `JWT_ISSUER="  "` mean "not set" everywhere.
 * Problems are collected, never thrown, so loadConfig can report all of them at once.
 */
import { expandAlphabet } from '../lib/alphabet.ts';

/** The environment as loadConfig receives it (process.env at start, a literal in tests). */
export type Env = Record<string, string | undefined>;

/** What a section parser reads the environment with. */
export interface EnvReader {
  /** The trimmed value, or undefined when unset or blank. */
  optional(name: string): string | undefined;
  string(name: string, fallback: string): string;
  /** An integer within [min, max]; anything else is a problem. */
  int(name: string, fallback: number, min: number, max: number): number;
  /** true/false, 1/0, yes/no, on/off. */
  bool(name: string, fallback: boolean): boolean;
  /** Comma-separated; items trimmed, blank items dropped. */
  list(name: string, fallback: string[]): string[];
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  /** A character set such as `0-9` or `a-z0-9`, expanded (see lib/alphabet.ts). */
  alphabet(name: string, fallback: string): string;
}

export function createReader(env: Env, problems: string[]): EnvReader {
  const optional = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  return {
    optional,
    string(name, fallback) {
      return optional(name) ?? fallback;
    },
    int(name, fallback, min, max) {
      const value = optional(name);
      if (value === undefined) return fallback;
      if (!/^-?\d+$/.test(value)) {
        problems.push(`${name}: "${value}" is not an integer`);
        return fallback;
      }
      const parsed = Number(value);
      if (parsed < min || parsed > max) problems.push(`${name}: must be between ${min} and ${max}`);
      return parsed;
    },
    bool(name, fallback) {
      const value = optional(name)?.toLowerCase();
      if (value === undefined) return fallback;
      if (['true', '1', 'yes', 'on'].includes(value)) return true;
      if (['false', '0', 'no', 'off'].includes(value)) return false;
      problems.push(`${name}: "${value}" is not a boolean (true/false)`);
      return fallback;
    },
    list(name, fallback) {
      const value = optional(name);
      if (value === undefined) return fallback;
      return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    },
    oneOf(name, allowed, fallback) {
      const value = optional(name);
      if (value === undefined) return fallback;
      if ((allowed as readonly string[]).includes(value)) return value as (typeof allowed)[number];
      problems.push(`${name}: "${value}" is not one of ${allowed.join(', ')}`);
      return fallback;
    },
    alphabet(name, fallback) {
      const result = expandAlphabet(optional(name) ?? fallback);
      if (typeof result === 'string') return result;
      problems.push(`${name}: ${result.error}`);
      return expandAlphabet(fallback) as string;
    },
  };
}

/** Thrown by loadConfig with every problem found, one per line. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
