// Small pure pieces of the abuse defences: client keys, metrics text, the SMS caps' bookkeeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDemoUsers } from '../../src/config/demo-users.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createMetrics } from '../../src/lib/metrics.ts';
import { clientKey } from '../../src/plugins/rate-limit.ts';
import type { CounterWindow } from '../../src/repositories/sms-counter-repository.ts';
import { createSmsPumpingGuard } from '../../src/services/sms-pumping-guard.ts';

describe('client keys (S19)', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    assert.equal(clientKey('192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), clientKey('2001:db8:1:2::'));
    assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
  });
});

describe('metrics', () => {
  it('renders counters in the Prometheus text format', () => {
    const metrics = createMetrics();
    const blocked = metrics.counter('sesame_sms_blocked_total', 'Blocked SMS.');
    metrics.counter('sesame_idle_total', 'Never incremented.');
    blocked.inc({ reason: 'prefix_cap' });
    blocked.inc({ reason: 'prefix_cap' }, 2);
    assert.equal(metrics.render(), [
      '# HELP sesame_sms_blocked_total Blocked SMS.',
      '# TYPE sesame_sms_blocked_total counter',
      'sesame_sms_blocked_total{reason="prefix_cap"} 3',
      '# HELP sesame_idle_total Never incremented.',
      '# TYPE sesame_idle_total counter',
      'sesame_idle_total 0',
      '',
    ].join('\n'));
    assert.deepEqual(metrics.snapshot(), { 'sesame_sms_blocked_total{reason="prefix_cap"}': 3 });
  });
});

describe('SMS pumping guard (S21)', () => {
  function fakeCounters() {
    const counts = new Map<string, number>();
    const id = (window: CounterWindow) => `${window.key}@${window.windowStart.toISOString()}`;
    return {
      counts,
      async increment(windows: readonly CounterWindow[]) {
        return windows.map((window) => {
          counts.set(id(window), (counts.get(id(window)) ?? 0) + 1);
          return counts.get(id(window))!;
        });
      },
      async decrement(windows: readonly CounterWindow[]) {
        for (const window of windows) counts.set(id(window), counts.get(id(window))! - 1);
      },
    };
  }

  it('keys hourly country and prefix windows and a daily window, and takes back blocked messages', async () => {
    const counters = fakeCounters();
    const metrics = createMetrics();
    const guard = createSmsPumpingGuard({
      counters,
      clock: { now: () => new Date('2031-03-04T05:06:07Z') },
      settings: { smsAllowedCountries: ['US'], smsMaxPerCountryPerHour: 10, smsMaxPerPrefixPerHour: 1, smsPrefixLength: 4, smsMaxPerDay: 10 },
      blocked: metrics.counter('blocked', 'Blocked.'),
    });
    assert.deepEqual(guard.screenCountry('+14155550123'), { allowed: true });
    assert.deepEqual(guard.screenCountry('+33612345678'), { allowed: false, reason: 'country_not_allowed' });
    assert.deepEqual(await guard.admit('+14155550123'), { allowed: true });
    assert.deepEqual(await guard.admit('+14155550999'), { allowed: false, reason: 'prefix_cap' });
    assert.deepEqual(Object.fromEntries(counters.counts), {
      'country:US@2031-03-04T05:00:00.000Z': 1,
      'prefix:1415@2031-03-04T05:00:00.000Z': 1,
      'global@2031-03-04T00:00:00.000Z': 1,
    });
    assert.deepEqual(metrics.snapshot(), { 'blocked{reason="country_not_allowed"}': 1, 'blocked{reason="prefix_cap"}': 1 });
  });
});

describe('DEMO_USERS syntax', () => {
  const context = { defaultPhoneRegion: undefined, shortTokenChars: '0123456789', shortTokenLength: 6 };
  it('splits on the last "=", normalizes identifiers and reads date-only expiries as end of day (UTC)', () => {
    const problems: string[] = [];
    const users = parseDemoUsers('odd=name@Example.com=424242, +1 202 555 0100=111111@2031-01-31, x@example.com=000000@2031-01-31T12:00:00Z', problems, context);
    assert.deepEqual(problems, []);
    assert.deepEqual(users, [
      { channel: 'email', destination: 'odd=name@example.com', code: '424242', expiresAt: null },
      { channel: 'mobile', destination: '+12025550100', code: '111111', expiresAt: new Date('2031-02-01T00:00:00Z') },
      { channel: 'email', destination: 'x@example.com', code: '000000', expiresAt: new Date('2031-01-31T12:00:00Z') },
    ]);
  });

  it('refuses duplicates after normalization', () => {
    const problems: string[] = [];
    parseDemoUsers('a@example.com=123456,A@EXAMPLE.com=654321', problems, context);
    assert.deepEqual(problems, ['DEMO_USERS entry 2: the identifier is listed twice']);
  });
});

describe('abuse settings', () => {
  it('reports bad proxies, Redis URLs and countries all at once', () => {
    assert.throws(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, loopback, 10.0.0.0/33, proxy.example.com', REDIS_URL: 'localhost:6379', SMS_ALLOWED_COUNTRIES: 'US,XX', RATE_LIMIT_REQUEST_PER_MINUTE: '0' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, [
        'TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal',
        'TRUSTED_PROXIES: "proxy.example.com" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal',
        'REDIS_URL: must start with redis:// or rediss://',
        'SMS_ALLOWED_COUNTRIES: "XX" is not an ISO 3166-1 alpha-2 region (or use * for all)',
        'RATE_LIMIT_REQUEST_PER_MINUTE: must be between 1 and 1000000',
      ]);
      return true;
    });
  });

  it('allows SMS to the home region only by default, and everywhere without one', () => {
    assert.deepEqual(loadConfig({ DEFAULT_PHONE_REGION: 'de' }).smsAllowedCountries, ['DE']);
    assert.equal(loadConfig({}).smsAllowedCountries, 'all');
    assert.equal(loadConfig({ DEFAULT_PHONE_REGION: 'DE', SMS_ALLOWED_COUNTRIES: '*' }).smsAllowedCountries, 'all');
  });
});
