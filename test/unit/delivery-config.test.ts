import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ NODE_ENV: 'test', ...env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('delivery and template settings', () => {
  it('has safe defaults', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.deepEqual(
      [config.defaultLocale, config.templatesDir, config.smsOrigin, config.deliveryPollIntervalMs, config.deliveryMaxConcurrency, config.deliveryLeaseSeconds, config.deliverySendTimeoutMs, config.deliveryRetryBaseMs, config.deliveryRetryMaxMs],
      ['en', undefined, undefined, 1000, 512, 60, 10_000, 1000, 60_000],
    );
  });

  it('admission control: 10 s of lag and 20,000 pending jobs by default; the lag limit must be shorter than TOKEN_LIFETIME', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.deepEqual([config.deliveryMaxLagSeconds, config.deliveryMaxPending], [10, 20_000]);
    assert.deepEqual(problemsOf({ DELIVERY_MAX_LAG_SECONDS: '60', TOKEN_LIFETIME: '60' }).filter((p) => p.startsWith('DELIVERY_MAX_LAG_SECONDS')).length, 1);
    assert.deepEqual(problemsOf({ DELIVERY_MAX_LAG_SECONDS: '0' }).filter((p) => p.startsWith('DELIVERY_MAX_LAG_SECONDS')).length, 1);
    assert.deepEqual(problemsOf({ DELIVERY_MAX_LAG_SECONDS: '30', DELIVERY_MAX_PENDING: '1000' }), []);
  });

  it('accepts a host with a port as SMS_ORIGIN and lower-cases tags and hosts', () => {
    const config = loadConfig({ NODE_ENV: 'test', SMS_ORIGIN: 'Auth.Example.com:8443', DEFAULT_LOCALE: 'PT-BR' });
    assert.equal(config.smsOrigin, 'auth.example.com:8443');
    assert.equal(config.defaultLocale, 'pt-br');
  });

  it('refuses a send timeout that outlives the lease, a retry cap under its base, and an origin with a scheme', () => {
    const problems = problemsOf({ DELIVERY_LEASE_SECONDS: '10', DELIVERY_SEND_TIMEOUT_MS: '10000', DELIVERY_RETRY_BASE_MS: '5000', DELIVERY_RETRY_MAX_MS: '100', SMS_ORIGIN: 'https://auth.example.com' });
    assert.deepEqual(problems.map((problem) => problem.split(':')[0]).sort(), ['DELIVERY_RETRY_MAX_MS', 'DELIVERY_SEND_TIMEOUT_MS', 'SMS_ORIGIN']);
  });
});

describe('SMTP settings', () => {
  const production = {
    NODE_ENV: 'production', SESAME_SECRET: 'q7R2vX9kLm4PzW8tYc3NbH6sJf1GdA5e', DATABASE_URL: 'postgresql://db/sesame',
    JWT_ISSUER: 'https://auth.example.com', ALLOWED_PASSWORDLESS_METHODS: 'email', EMAIL_FROM: 'Acme <no-reply@example.com>',
  };

  it('reads smtp:// and smtps:// URLs with percent-encoded credentials and default ports', () => {
    const starttls = loadConfig({ NODE_ENV: 'test', EMAIL_PROVIDER: 'smtp', EMAIL_FROM: 'a@example.com', SMTP_URL: 'smtp://mailer:p%40ss%3Aword@smtp.example.com' });
    assert.deepEqual(starttls.smtp, { secure: false, host: 'smtp.example.com', port: 587, user: 'mailer', password: 'p@ss:word' });
    const implicit = loadConfig({ NODE_ENV: 'test', EMAIL_PROVIDER: 'smtp', EMAIL_FROM: 'a@example.com', SMTP_URL: 'smtps://[::1]:2465' });
    assert.deepEqual(implicit.smtp, { secure: true, host: '::1', port: 2465, user: undefined, password: undefined });
    assert.deepEqual([starttls.smtpAllowInsecure, starttls.smtpCaFile, starttls.smtpMaxConnections], [false, undefined, 5]);
  });

  it('requires SMTP_URL and EMAIL_FROM for EMAIL_PROVIDER=smtp', () => {
    assert.deepEqual(problemsOf({ EMAIL_PROVIDER: 'smtp' }).map((p) => p.split(':')[0]).sort(), ['EMAIL_FROM', 'SMTP_URL']);
  });

  it('refuses other schemes and paths, and never quotes the password in a problem (S34)', () => {
    for (const url of ['http://user:hunter2-secret@mail.example.com', 'smtp://user:hunter2-secret@mail.example.com/path', 'smtp://user:hunter2-secret@', 'not a url hunter2-secret', 'smtp://user:hunter2-secret%zz@mail.example.com']) {
      const problems = problemsOf({ EMAIL_PROVIDER: 'smtp', EMAIL_FROM: 'a@example.com', SMTP_URL: url });
      assert.equal(problems.length, 1, url);
      assert.match(problems[0]!, /^SMTP_URL: /);
      assert.ok(!problems[0]!.includes('hunter2'), problems[0]);
    }
  });

  it('production accepts SMTP with TLS and refuses SMTP_ALLOW_INSECURE (S36)', () => {
    assert.deepEqual(problemsOf({ ...production, EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtps://u:p@smtp.example.com' }), []);
    const problems = problemsOf({ ...production, EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtp://mailpit:1025', SMTP_ALLOW_INSECURE: 'true' });
    assert.deepEqual(problems.map((p) => p.split(':')[0]), ['SMTP_ALLOW_INSECURE']);
    assert.deepEqual(problemsOf({ EMAIL_PROVIDER: 'smtp', EMAIL_FROM: 'a@example.com', SMTP_URL: 'smtp://127.0.0.1:1025', SMTP_ALLOW_INSECURE: 'true' }), []);
  });
});
