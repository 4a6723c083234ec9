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
