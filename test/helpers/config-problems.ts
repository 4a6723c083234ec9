/**
 * The problems loadConfig reports for an environment, or none when it is accepted. NODE_ENV is
 * `test` unless the environment names another (without it, the production guards apply).
 */
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}
