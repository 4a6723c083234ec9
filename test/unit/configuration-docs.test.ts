// docs/configuration.md's table must list exactly the variables the config parser reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';

const DOC = new URL('../../docs/configuration.md', import.meta.url);
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** The variable names in the first column of the table under "## Variables". */
function documentedVariables(): Set<string> {
  const text = readFileSync(DOC, 'utf8');
  const section = text.split(/^## Variables\s*$/m)[1]?.split(/^## /m)[0];
  assert.ok(section, 'docs/configuration.md has a "## Variables" section');
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const cell = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (cell) {
      assert.ok(!names.has(cell[1]!), `${cell[1]} appears twice in the table`);
      names.add(cell[1]!);
    }
  }
  return names;
}

/** Every name the parser looks up, across environments that exercise its conditional reads. */
function variablesReadByParser(): Set<string> {
  const read = new Set<string>();
  const secret = 'a-secret-for-the-documentation-check-0123456789';
  const variants: Record<string, string>[] = [
    {},
    { NODE_ENV: 'production' },
    { NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/sesame', SESAME_SECRET: secret, JWT_ISSUER: 'https://auth.example.com' },
    { ALLOWED_PASSWORDLESS_METHODS: 'email,mobile', DEFAULT_PHONE_REGION: 'US', SMS_PROVIDER: 'sns', EMAIL_PROVIDER: 'ses', EMAIL_FROM: 'a@example.com' },
    { SESAME_SECRET: secret, SESAME_PREVIOUS_SECRETS: `${secret}-old` },
    { JWT_PRIVATE_KEY: 'not-a-key', JWT_KEY_ID: 'k1' },
    { JWT_KEY_ID: 'k1' },
    { PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.example.com/login?token={token}', SMS_ORIGIN: 'auth.example.com', TEMPLATES_DIR: '/nonexistent' },
    { REDIS_URL: 'redis://127.0.0.1:6379', TRUSTED_PROXIES: 'loopback', DEMO_USERS: 'a@example.com=123456', NODE_ENV: 'production' },
  ];
  for (const base of variants) {
    const env = new Proxy(base, {
      get(target, name) {
        if (typeof name === 'string' && ENV_NAME.test(name)) read.add(name);
        return typeof name === 'string' ? target[name] : undefined;
      },
      has(target, name) {
        if (typeof name === 'string' && ENV_NAME.test(name)) read.add(name);
        return name in target;
      },
    });
    try {
      loadConfig(env);
    } catch {
      // Invalid on purpose in some variants: the reads before the error are what counts.
    }
  }
  return read;
}

describe('docs/configuration.md', () => {
  it('lists every variable the config parser reads, and no other', () => {
    const documented = documentedVariables();
    const read = variablesReadByParser();
    const undocumented = [...read].filter((name) => !documented.has(name)).sort();
    const unread = [...documented].filter((name) => !read.has(name)).sort();
    assert.deepEqual(undocumented, [], 'read by the parser but missing from docs/configuration.md');
    assert.deepEqual(unread, [], 'in docs/configuration.md but never read by the parser');
  });
});
