// loadConfig: defaults, validation of every variable at once, production refusals (S36).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig, type ConfigError } from '../../src/config/index.ts';
import { estimatedEntropyBits } from '../../src/lib/secret-strength.ts';
import { configProblems } from '../helpers/config-problems.ts';

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://sesame@db/sesame',
  SESAME_SECRET: 'a-production-secret-that-is-long-enough-0123456789',
  JWT_ISSUER: 'https://auth.example.com',
  EMAIL_PROVIDER: 'ses',
  EMAIL_FROM: 'no-reply@example.com',
};

const problems = configProblems;

describe('loadConfig', () => {
  it('uses the seeds’ defaults', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.deepEqual(config.allowedMethods, ['email']);
    assert.equal(config.shortTokenLength, 6);
    assert.equal(config.shortTokenChars, '0123456789');
    assert.equal(config.longTokenLength, 64);
    assert.equal(config.longTokenChars, 'abcdefghijklmnopqrstuvwxyz0123456789');
    assert.equal(config.tokenLifetimeSeconds, 600);
    assert.equal(config.maxTokenUses, 1);
    assert.equal(config.maxTokenAttempts, 5);
    assert.equal(config.tokenRequestThrottleSeconds, 60);
    assert.equal(config.allowAdminAuthentication, false);
    assert.equal(config.registerNonexistentUsers, false);
    assert.equal(config.incorrectShortTokenRedeemsToken, false);
    assert.equal(config.emailLoginUrl, undefined);
    assert.equal(config.jwtAlg, 'ES256');
    assert.equal(config.accessTokenTtlSeconds, 900);
    assert.equal(config.emailProvider, 'console');
    assert.equal(config.port, 3000);
  });

  it('reports every problem at once', () => {
    const found = problems({
      ALLOWED_PASSWORDLESS_METHODS: 'email,fax',
      SHORT_TOKEN_LENGTH: 'six',
      TOKEN_LIFETIME: '5',
      JWT_ALG: 'HS256',
      ALLOW_ADMIN_AUTHENTICATION: 'maybe',
      PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.example.com/login',
      DEFAULT_PHONE_REGION: 'XX',
      SESAME_SECRET: 'short',
    });
    for (const name of ['ALLOWED_PASSWORDLESS_METHODS', 'SHORT_TOKEN_LENGTH', 'TOKEN_LIFETIME', 'JWT_ALG', 'ALLOW_ADMIN_AUTHENTICATION', 'PASSWORDLESS_EMAIL_LOGIN_URL', 'DEFAULT_PHONE_REGION', 'SESAME_SECRET']) {
      assert.ok(found.some((problem) => problem.startsWith(`${name}:`)), `${name} in ${found.join(' | ')}`);
    }
  });

  it('refuses codes under 20 bits and links under 128 bits (S1, S2)', () => {
    assert.equal(problems({ SHORT_TOKEN_LENGTH: '4' }).length, 1);
    assert.equal(problems({ SHORT_TOKEN_LENGTH: '5', SHORT_TOKEN_CHARS: 'A-Z' }).length, 0);
    assert.equal(problems({ SHORT_TOKEN_LENGTH: '4', SHORT_TOKEN_CHARS: 'A-Z' }).length, 1);
    assert.equal(problems({ LONG_TOKEN_LENGTH: '24' }).length, 1);
  });

  it('accepts a production configuration', () => {
    const config = loadConfig(PRODUCTION);
    assert.equal(config.production, true);
    assert.equal(config.secrets?.length, 1);
  });

  it('refuses development defaults in production (S36)', () => {
    const found = problems({ NODE_ENV: 'production', ALLOWED_PASSWORDLESS_METHODS: 'email,mobile' });
    for (const name of ['SESAME_SECRET', 'DATABASE_URL', 'EMAIL_PROVIDER', 'SMS_PROVIDER', 'JWT_ISSUER']) {
      assert.ok(found.some((problem) => problem.startsWith(`${name}:`)), name);
    }
    assert.ok(problems({ ...PRODUCTION, SESAME_SECRET: 'change-me-to-at-least-32-random-bytes-of-secret' }).some((p) => p.startsWith('SESAME_SECRET:')));
  });

  it('refuses a blank JWT_ISSUER in production instead of defaulting it to localhost (S36)', () => {
    for (const blank of ['', '   ']) {
      assert.deepEqual(problems({ ...PRODUCTION, JWT_ISSUER: blank }), ['JWT_ISSUER: required in production (the public base URL of this service)']);
    }
    assert.equal(loadConfig({ NODE_ENV: 'test', JWT_ISSUER: ' ' }).jwtIssuer, 'http://localhost:3000');
    assert.equal(loadConfig({ ...PRODUCTION, JWT_ISSUER: ' https://auth.example.com ' }).jwtIssuer, 'https://auth.example.com');
  });

  it('treats blank values as unset everywhere', () => {
    assert.deepEqual(problems({ ...PRODUCTION, SESAME_SECRET: '  ' }), ['SESAME_SECRET: required in production (at least 32 random bytes)']);
    assert.deepEqual(problems({ ...PRODUCTION, DATABASE_URL: '' }), ['DATABASE_URL: required in production (the embedded PostgreSQL is for development)']);
    assert.equal(loadConfig({ NODE_ENV: 'test', PORT: ' ', SHORT_TOKEN_CHARS: '' }).port, 3000);
  });
});

describe('the production guards (S36)', () => {
  it('are the default: only NODE_ENV=development or test, or npm run dev, turns them off', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test' }).production, false);
    assert.equal(loadConfig({ NODE_ENV: 'development' }).production, false);
    assert.equal(loadConfig({ npm_lifecycle_event: 'dev' }).production, false);
    for (const env of [{}, { NODE_ENV: ' ' }, { NODE_ENV: 'prod' }, { NODE_ENV: 'staging' }, { NODE_ENV: 'Development' }, { npm_lifecycle_event: 'start' }, { NODE_ENV: 'production', npm_lifecycle_event: 'dev' }]) {
      let found: string[] = [];
      try {
        loadConfig(env);
      } catch (error) {
        found = (error as ConfigError).problems;
      }
      assert.ok(found.some((problem) => problem.startsWith('SESAME_SECRET: required in production')), JSON.stringify(env));
    }
    const { NODE_ENV: _, ...unnamed } = PRODUCTION;
    assert.equal(loadConfig(unnamed).production, true);
  });

  it('refuses a low-entropy, repetitive or placeholder SESAME_SECRET', () => {
    const weak = [
      'a'.repeat(32),
      'compose-development-secret-change-me-0123456789',
      'change-me-to-at-least-32-random-bytes-of-secret',
      'another-secret-another-secret-another-secret',
      'abcabcabcabcabcabcabcabcabcabcabcabc',
      'ababababababababababababababababab12',
      '0123456701234567012345670123456701234567',
      'my-example-secret-for-the-deployment-2026',
      '11111111111111112222222222222222',
    ];
    for (const secret of weak) {
      const found = problems({ ...PRODUCTION, SESAME_SECRET: secret });
      assert.equal(found.length, 1, `${secret}: ${found.join(' | ')}`);
      assert.match(found[0]!, /^SESAME_SECRET: /);
    }
    // What the docs tell operators to use: random bytes in base64 or hex.
    for (let i = 0; i < 50; i += 1) {
      assert.deepEqual(problems({ ...PRODUCTION, SESAME_SECRET: randomBytes(32).toString('base64') }), []);
      assert.deepEqual(problems({ ...PRODUCTION, SESAME_SECRET: randomBytes(32).toString('hex') }), []);
    }
    // Outside production only the length rule applies; a weak previous secret stays accepted
    // so it can be rotated away.
    assert.deepEqual(problems({ NODE_ENV: 'test', SESAME_SECRET: 'a'.repeat(32) }), []);
    assert.deepEqual(problems({ ...PRODUCTION, SESAME_PREVIOUS_SECRETS: 'a'.repeat(32) }), []);
  });

  it('estimates a secret’s entropy from its own character frequencies', () => {
    assert.equal(estimatedEntropyBits('a'.repeat(32)), 0);
    assert.equal(estimatedEntropyBits('ab'.repeat(16)), 32);
    assert.equal(estimatedEntropyBits('0123456789abcdef'.repeat(2)), 128);
  });

  it('refuses RATE_LIMIT_ENABLED=false, a localhost or blank JWT_ISSUER', () => {
    assert.deepEqual(problems({ ...PRODUCTION, RATE_LIMIT_ENABLED: 'false' }), ['RATE_LIMIT_ENABLED: the rate limits cannot be switched off in production (S19)']);
    for (const issuer of ['http://localhost:3000', 'https://localhost', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'https://auth.localhost']) {
      const found = problems({ ...PRODUCTION, JWT_ISSUER: issuer }).filter((problem) => problem.startsWith('JWT_ISSUER'));
      assert.equal(found.length, 1, `${issuer}: ${found.join(' | ')}`);
      assert.match(found[0]!, /^JWT_ISSUER: ".*" is this machine/);
    }
    assert.deepEqual(problems({ ...PRODUCTION, JWT_ISSUER: '' }), ['JWT_ISSUER: required in production (the public base URL of this service)']);
    assert.deepEqual(problems({ NODE_ENV: 'test', RATE_LIMIT_ENABLED: 'false', JWT_ISSUER: 'http://localhost:3000' }), []);
  });

  it('refuses a javascript:, data: or file: login URL anywhere, and plain http to anything but localhost in production', () => {
    for (const url of ['javascript:alert(1)//{token}', 'JavaScript:fetch("{token}")', 'data:text/html,{token}', 'file:///tmp/{token}']) {
      for (const env of [PRODUCTION, { NODE_ENV: 'test' }]) {
        const found = problems({ ...env, PASSWORDLESS_EMAIL_LOGIN_URL: url });
        assert.equal(found.length, 1, `${url}: ${found.join(' | ')}`);
        assert.match(found[0]!, /^PASSWORDLESS_EMAIL_LOGIN_URL: the (javascript|data|file): scheme is refused/);
      }
    }
    assert.match(problems({ ...PRODUCTION, PASSWORDLESS_EMAIL_LOGIN_URL: 'http://app.example.com/login?token={token}' }).join(), /^PASSWORDLESS_EMAIL_LOGIN_URL: plain http is only for localhost/);
    for (const url of ['https://app.example.com/login?token={token}', 'http://localhost:5173/login?token={token}', 'http://127.0.0.1:5173/l#{token}', 'com.example.app://login/{token}']) {
      assert.deepEqual(problems({ ...PRODUCTION, PASSWORDLESS_EMAIL_LOGIN_URL: url }), [], url);
    }
    assert.deepEqual(problems({ NODE_ENV: 'test', PASSWORDLESS_EMAIL_LOGIN_URL: 'http://app.example.com/login?token={token}' }), []);
  });

  it('reports every production problem at once', () => {
    const found = problems({ ...PRODUCTION, SESAME_SECRET: 'a'.repeat(40), RATE_LIMIT_ENABLED: 'false', JWT_ISSUER: 'http://localhost', PASSWORDLESS_EMAIL_LOGIN_URL: 'http://app.example.com/{token}' });
    assert.deepEqual(found.map((problem) => problem.split(':')[0]), ['SESAME_SECRET', 'JWT_ISSUER', 'RATE_LIMIT_ENABLED', 'PASSWORDLESS_EMAIL_LOGIN_URL']);
  });
});

describe('the environment', () => {
  it('is read only under src/config/', () => {
    const src = new URL('../../src/', import.meta.url).pathname;
    const readers = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.startsWith('generated') && !file.startsWith('config'))
      .filter((file) => readFileSync(join(src, file), 'utf8').includes('process.env'))
      .map((file) => relative(src, join(src, file)));
    assert.deepEqual(readers, []);
  });
});
