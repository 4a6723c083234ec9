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
  it('renders counters in the Prometheus text format (prom-client)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const blocked = metrics.counter('sesame_sms_blocked_total', 'Blocked SMS.');
    metrics.counter('sesame_idle_total', 'Never incremented.');
    blocked.inc({ reason: 'prefix_cap' });
    blocked.inc({ reason: 'prefix_cap' }, 2);
    assert.equal(metrics.counter('sesame_sms_blocked_total', 'Blocked SMS.'), blocked, 'one counter per name');
    assert.equal(await metrics.render(), [
      '# HELP sesame_idle_total Never incremented.',
      '# TYPE sesame_idle_total counter',
      'sesame_idle_total 0',
      '',
      '# HELP sesame_sms_blocked_total Blocked SMS.',
      '# TYPE sesame_sms_blocked_total counter',
      'sesame_sms_blocked_total{reason="prefix_cap"} 3',
      '',
    ].join('\n'));
    assert.deepEqual(metrics.snapshot(), { 'sesame_sms_blocked_total{reason="prefix_cap"}': 3 });
    assert.equal(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });

  it('takes label names from the counts when none are declared, and widens them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const counter = metrics.counter('sesame_things_total', 'Things.');
    counter.inc();
    counter.inc({ cap: 'daily' });
    counter.inc({ cap: 'daily', scope: 'open' }, 2);
    assert.deepEqual(metrics.snapshot(), { sesame_things_total: 1, 'sesame_things_total{cap="daily"}': 1, 'sesame_things_total{cap="daily",scope="open"}': 2 });
    const text = await metrics.render();
    assert.match(text, /^sesame_things_total\{cap="",scope=""\} 1$/m);
    assert.match(text, /^sesame_things_total\{cap="daily",scope=""\} 1$/m);
    assert.match(text, /^sesame_things_total\{cap="daily",scope="open"\} 2$/m);
  });

  it('serves histograms, gauges read at scrape time (kept when a reading fails) and the process metrics', async () => {
    const metrics = createMetrics();
    metrics.histogram('sesame_test_seconds', 'Test.', { labelNames: ['route'], buckets: [0.1, 1] }).observe({ route: '/a' }, 0.5);
    let readings = 0;
    metrics.gauge('sesame_test_depth', 'Depth.', {
      read: () => {
        readings += 1;
        if (readings === 2) throw new Error('database down');
        return [{ value: readings * 10 }];
      },
    });
    const first = await metrics.render();
    assert.match(first, /^sesame_test_seconds_bucket\{le="1",route="\/a"\} 1$/m);
    assert.match(first, /^sesame_test_seconds_count\{route="\/a"\} 1$/m);
    assert.match(first, /^sesame_test_depth 10$/m);
    assert.match(first, /^process_cpu_user_seconds_total \d/m);
    assert.match(first, /^nodejs_eventloop_lag_seconds /m);
    assert.match(await metrics.render(), /^sesame_test_depth 10$/m, 'a failed reading keeps the last value');
    assert.match(await metrics.render(), /^sesame_test_depth 30$/m);
  });
});

describe('SMS pumping guard (S21, S38)', () => {
  function fakeCounters(proven: Set<string> = new Set()) {
    const counts = new Map<string, number>();
    const charged = new Set<string>();
    const id = (window: CounterWindow) => `${window.key}@${window.windowStart.toISOString()}`;
    return {
      counts,
      async charge(input: { jobId: string; counters: readonly CounterWindow[] }) {
        if (charged.has(input.jobId)) return { charged: false, proven: false, counts: [] };
        charged.add(input.jobId);
        return {
          charged: true,
          proven: proven.has(input.jobId),
          counts: input.counters.map((window) => {
            counts.set(id(window), (counts.get(id(window)) ?? 0) + 1);
            return counts.get(id(window))!;
          }),
        };
      },
      async decrement(windows: readonly CounterWindow[]) {
        for (const window of windows) counts.set(id(window), counts.get(id(window))! - 1);
      },
    };
  }
  const settings = { smsAllowedCountries: ['US'] as const, smsMaxPerCountryPerHour: 10, smsMaxPerPrefixPerHour: 1, smsPrefixLength: 4, smsMaxPerDay: 10, smsRequesterSharePercent: 100, smsReservedPercent: 0 };
  const clock = { now: () => new Date('2031-03-04T05:06:07Z') };
  const silent = { info() {}, warn() {}, error() {} };
  const sms = (jobId: string, e164: string, clientIp: string | null = '198.51.100.7', userId = `user-${jobId}`) => ({ jobId, e164, userId, clientIp });

  it('keys hourly country and prefix windows and a daily window, per requester network and account, and takes back blocked messages', async () => {
    const counters = fakeCounters();
    const metrics = createMetrics();
    const guard = createSmsPumpingGuard({ counters, clock, settings: { ...settings, smsAllowedCountries: ['US'] }, blocked: metrics.counter('blocked', 'Blocked.'), crossed: metrics.counter('crossed', 'Crossed.'), log: silent });
    assert.deepEqual(guard.screenCountry('+14155550123'), { allowed: true });
    assert.deepEqual(guard.screenCountry('+33612345678'), { allowed: false, reason: 'country_not_allowed' });
    assert.deepEqual(await guard.admit(sms('1', '+14155550123')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('2', '+14155550999')), { allowed: false, reason: 'prefix_cap' });
    const hour = '2031-03-04T05:00:00.000Z';
    const day = '2031-03-04T00:00:00.000Z';
    assert.deepEqual(Object.fromEntries([...counters.counts].filter(([, count]) => count > 0)), {
      [`country:US@${hour}`]: 1, [`country:US|net:198.51.100.0/24@${hour}`]: 1, [`country:US|user:user-1@${hour}`]: 1,
      [`prefix:1415@${hour}`]: 1, [`prefix:1415|net:198.51.100.0/24@${hour}`]: 1, [`prefix:1415|user:user-1@${hour}`]: 1,
      [`global@${day}`]: 1, [`global|net:198.51.100.0/24@${day}`]: 1, [`global|user:user-1@${day}`]: 1,
    });
    assert.deepEqual(metrics.snapshot(), { 'blocked{reason="country_not_allowed"}': 1, 'blocked{reason="prefix_cap"}': 1, 'crossed{cap="prefix",scope="total"}': 1 });
  });

  it('charges a job once: its retries are admitted without counting again', async () => {
    const counters = fakeCounters();
    const metrics = createMetrics();
    const guard = createSmsPumpingGuard({ counters, clock, settings, blocked: metrics.counter('blocked', 'Blocked.'), crossed: metrics.counter('crossed', 'Crossed.'), log: silent });
    for (let attempt = 0; attempt < 10; attempt++) assert.deepEqual(await guard.admit(sms('7', '+14155550123')), { allowed: true });
    assert.equal(counters.counts.get('prefix:1415@2031-03-04T05:00:00.000Z'), 1);
  });

  it('keeps any one requester network or account to its share, and a reserved part for numbers that signed in before', async () => {
    const counters = fakeCounters(new Set(['proven-1', 'proven-2']));
    const metrics = createMetrics();
    const warnings: object[] = [];
    const log = { ...silent, warn: (fields: object) => { warnings.push(fields); } };
    const guard = createSmsPumpingGuard({
      counters, clock, log, blocked: metrics.counter('blocked', 'Blocked.'), crossed: metrics.counter('crossed', 'Crossed.'),
      settings: { ...settings, smsMaxPerPrefixPerHour: 100, smsMaxPerCountryPerHour: 100, smsMaxPerDay: 10, smsRequesterSharePercent: 20, smsReservedPercent: 30 },
    });
    // One network: 20% of the daily 10 is 2 messages, whatever the numbers.
    assert.deepEqual(await guard.admit(sms('a', '+14155550001', '198.51.100.1')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('b', '+14155550002', '198.51.100.2')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('c', '+14155550003', '198.51.100.3')), { allowed: false, reason: 'requester_share' });
    // One account from many networks: the same share.
    assert.deepEqual(await guard.admit(sms('d', '+14155550004', '203.0.113.1', 'acct')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('e', '+14155550004', '203.0.114.1', 'acct')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('f', '+14155550004', '203.0.115.1', 'acct')), { allowed: false, reason: 'account_share' });
    // New numbers may use 7 of the 10 (4 used so far); the last 3 are kept for proven numbers.
    for (const net of [1, 2, 3]) assert.deepEqual(await guard.admit(sms(`g${net}`, `+1415555010${net}`, `10.0.${net}.1`)), { allowed: true });
    assert.deepEqual(await guard.admit(sms('h', '+14155550200', '10.0.9.1')), { allowed: false, reason: 'daily_cap' });
    assert.deepEqual(await guard.admit(sms('proven-1', '+14155550300', '10.0.10.1')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('proven-2', '+14155550301', '10.0.11.1')), { allowed: true });
    assert.deepEqual(await guard.admit(sms('i', '+14155550201', '10.0.12.1')), { allowed: false, reason: 'daily_cap' });
    assert.deepEqual(metrics.snapshot()['crossed{cap="daily",scope="open"}'], 2);
    assert.deepEqual(warnings.map((fields) => Object.entries(fields).filter(([key]) => key !== 'windowStart')), [
      [['cap', 'daily'], ['scope', 'requester'], ['limit', 2]],
      [['cap', 'daily'], ['scope', 'account'], ['limit', 2]],
      [['cap', 'daily'], ['scope', 'open'], ['limit', 7]],
    ], 'one line per cap, scope and window; no number, account or address');
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
    assert.throws(() => loadConfig({ NODE_ENV: 'test', TRUSTED_PROXIES: '10.0.0.0/8, loopback, 10.0.0.0/33, proxy.example.com', REDIS_URL: 'localhost:6379', SMS_ALLOWED_COUNTRIES: 'US,XX', RATE_LIMIT_REQUEST_PER_MINUTE: '0' }), (error: unknown) => {
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
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', DEFAULT_PHONE_REGION: 'de' }).smsAllowedCountries, ['DE']);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).smsAllowedCountries, 'all');
    assert.equal(loadConfig({ NODE_ENV: 'test', DEFAULT_PHONE_REGION: 'DE', SMS_ALLOWED_COUNTRIES: '*' }).smsAllowedCountries, 'all');
  });
});
