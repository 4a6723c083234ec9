// loadConfig: defaults, validation of every variable at once, production refusals (S36).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
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
    const config = loadConfig({});
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
    assert.equal(loadConfig({ JWT_ISSUER: ' ' }).jwtIssuer, 'http://localhost:3000');
    assert.equal(loadConfig({ ...PRODUCTION, JWT_ISSUER: ' https://auth.example.com ' }).jwtIssuer, 'https://auth.example.com');
  });

  it('treats blank values as unset everywhere', () => {
    assert.deepEqual(problems({ ...PRODUCTION, SESAME_SECRET: '  ' }), ['SESAME_SECRET: required in production (at least 32 random bytes)']);
    assert.deepEqual(problems({ ...PRODUCTION, DATABASE_URL: '' }), ['DATABASE_URL: required in production (the embedded PostgreSQL is for development)']);
    assert.equal(loadConfig({ PORT: ' ', SHORT_TOKEN_CHARS: '' }).port, 3000);
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
