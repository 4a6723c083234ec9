/** The problems loadConfig reports for an environment, or none when it is accepted. */
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}
