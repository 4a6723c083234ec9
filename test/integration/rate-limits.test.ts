// Rate limits per client IP and globally (S19), the client IP only through trusted proxies
// (S20), counters shared through Redis, and failing closed when Redis is gone (S22).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { TestDatabase } from '../helpers/database.ts';
import { eventually, type TestApp } from '../helpers/app.ts';
import { OUTAGE_LOG_INTERVAL_MS } from '../../src/plugins/error-handler.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { suiteScope, eachTestScope, withDatabase, withTestApp, withLocalAws } from '../helpers/fixtures.ts';

const REDIS = { host: '127.0.0.1', port: 6379 };
const REQUEST = '/passwordless/request/email';
const PROBLEM = { type: 'about:blank', title: 'Too many requests', status: 429, detail: 'Too many requests from this client; retry later.', code: 'rate_limited' };

describe('rate limits', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let redis: Redis;
  // A key prefix of our own, so parallel runs on one Redis never share counters.
  const prefix = `sesame-test-${randomBytes(6).toString('hex')}:`;
  let sequence = 0;

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
    redis = new Redis({ ...REDIS, lazyConnect: true });
    await redis.connect();
  });
  // Each test's apps stop with it: their outbox dispatchers share this database and would
  // otherwise claim a later test's jobs with their own clock.
  const each = eachTestScope();
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await withTestApp(each, { db, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', ...env } });
    return app;
  }

  /** A code request for a fresh unknown address (nothing is sent, nothing is throttled per destination). */
  function request(app: TestApp, headers: Record<string, string> = {}): Promise<Response> {
    sequence += 1;
    return app.post(REQUEST, { email: `nobody-${sequence}@example.com` }, headers);
  }

  async function assertRateLimited(response: Response): Promise<void> {
    assert.equal(response.status, 429);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${response.headers.get('retry-after')}`);
    assert.deepEqual(await response.json(), PROBLEM);
  }

  it('limits code requests per client IP with 429 rate_limited and Retry-After (S19)', async () => {
    const app = await start({ RATE_LIMIT_REQUEST_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) assert.equal((await request(app)).status, 202);
    await assertRateLimited(await request(app));
    await assertRateLimited(await app.post('/passwordless/request/mobile', { phone_number: '+14155550123' }));
    // Other families have their own budgets.
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'a@example.com', token: '123456' })).status, 400);
    assert.match(await app.app.metrics.render(), /sesame_rate_limited_total\{limit="request"\} 2/);
  });

  it('ignores X-Forwarded-For from an untrusted peer: a spoofed header cannot escape the limit (S20)', async () => {
    const app = await start({ RATE_LIMIT_REQUEST_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) assert.equal((await request(app, { 'x-forwarded-for': `203.0.113.${i + 1}` })).status, 202);
    await assertRateLimited(await request(app, { 'x-forwarded-for': '203.0.113.99' }));
  });

  it('honours X-Forwarded-For from a trusted proxy, keyed by the address the proxy saw (S20)', async () => {
    const app = await start({ RATE_LIMIT_REQUEST_PER_MINUTE: '2', TRUSTED_PROXIES: '127.0.0.1/32, ::1' });
    const alice = { 'x-forwarded-for': '198.51.100.1' };
    assert.equal((await request(app, alice)).status, 202);
    assert.equal((await request(app, alice)).status, 202);
    await assertRateLimited(await request(app, alice));
    // A client-supplied first entry is not the client: the proxy appended the real address last.
    await assertRateLimited(await request(app, { 'x-forwarded-for': '192.0.2.200, 198.51.100.1' }));
    assert.equal((await request(app, { 'x-forwarded-for': '198.51.100.2' })).status, 202);
  });

  it('groups IPv6 clients by their /64', async () => {
    const app = await start({ RATE_LIMIT_REQUEST_PER_MINUTE: '2', TRUSTED_PROXIES: '127.0.0.1' });
    assert.equal((await request(app, { 'x-forwarded-for': '2001:db8:1:2::1' })).status, 202);
    assert.equal((await request(app, { 'x-forwarded-for': '2001:db8:1:2:abcd::9' })).status, 202);
    await assertRateLimited(await request(app, { 'x-forwarded-for': '2001:db8:1:2:ffff:ffff:ffff:ffff' }));
    assert.equal((await request(app, { 'x-forwarded-for': '2001:db8:1:3::1' })).status, 202);
  });

  it('caps code requests of all clients together; clients refused per IP do not use up the ceiling', async () => {
    const app = await start({ RATE_LIMIT_REQUEST_PER_MINUTE: '2', RATE_LIMIT_GLOBAL_REQUEST_PER_MINUTE: '5', TRUSTED_PROXIES: '127.0.0.1' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(app, { 'x-forwarded-for': '198.51.100.10' })).status);
    assert.deepEqual(statuses, [202, 202, 429, 429, 429, 429]);
    for (const ip of ['198.51.100.11', '198.51.100.12', '198.51.100.13']) {
      assert.equal((await request(app, { 'x-forwarded-for': ip })).status, 202, ip);
    }
    await assertRateLimited(await request(app, { 'x-forwarded-for': '198.51.100.14' }));
    assert.match(await app.app.metrics.render(), /sesame_rate_limited_total\{limit="request_global"\} 1/);
    // The ceiling is for the request endpoints only.
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'a@example.com', token: '123456' }, { 'x-forwarded-for': '198.51.100.15' })).status, 400);
  });

  it('limits exchanges per IP, keeps JWKS generous, and never limits the probes', async () => {
    const app = await start({ RATE_LIMIT_EXCHANGE_PER_MINUTE: '2', RATE_LIMIT_PUBLIC_PER_MINUTE: '2' });
    const exchange = () => app.post('/passwordless/exchange/mobile', { phone_number: '+14155550123', token: '123456' });
    assert.equal((await exchange()).status, 400);
    assert.equal((await exchange()).status, 400);
    await assertRateLimited(await exchange());
    assert.equal((await fetch(`${app.url}/.well-known/jwks.json`)).status, 200);
    assert.equal((await fetch(`${app.url}/.well-known/jwks.json`)).status, 200);
    await assertRateLimited(await fetch(`${app.url}/.well-known/jwks.json`));
    for (let i = 0; i < 5; i++) {
      assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
    }
  });

  it('can be switched off for benchmarks', async () => {
    const app = await start({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_REQUEST_PER_MINUTE: '1' });
    for (let i = 0; i < 5; i++) assert.equal((await request(app)).status, 202);
    assert.equal(app.app.rateLimits.store, 'disabled');
  });

  it('shares counters between two replicas through Redis (S19)', async () => {
    const env = { REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_REQUEST_PER_MINUTE: '3' };
    const first = await start(env);
    const second = await start(env);
    assert.equal(first.app.rateLimits.store, 'redis');
    assert.equal((await request(first)).status, 202);
    assert.equal((await request(second)).status, 202);
    assert.equal((await request(first)).status, 202);
    await assertRateLimited(await request(second));
    await assertRateLimited(await request(first));
    const keys = await redis.keys(`${prefix}rl:*`);
    assert.deepEqual(keys.sort(), [`${prefix}rl:request:127.0.0.1`, `${prefix}rl:request:all`]);
    assert.equal(await redis.get(`${prefix}rl:request:127.0.0.1`), '5');
    const ttl = await redis.pttl(`${prefix}rl:request:127.0.0.1`);
    assert.ok(ttl > 0 && ttl <= 60_000);
  });

  it('answers 503 and sends nothing when Redis is unreachable from the start (S22)', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const app = await start({ REDIS_URL: `redis://127.0.0.1:${closedPort}`, REDIS_KEY_PREFIX: prefix });
    await db.pool.query("INSERT INTO users (email) VALUES ('redis-down@example.com') ON CONFLICT DO NOTHING");
    const response = await app.post(REQUEST, { email: 'redis-down@example.com' });
    assert.equal(response.status, 503);
    assert.equal(((await response.json()) as { code: string }).code, 'service_unavailable');
    assert.equal((await fetch(`${app.url}/readyz`)).status, 503);
    await app.app.services.delivery.drain();
    assert.equal((await ses.emails('redis-down@example.com')).length, 0);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM one_time_tokens WHERE destination = 'redis-down@example.com'");
    assert.equal(rows[0].n, 0, 'no token was issued');
  });

  it('answers 503 and sends nothing when Redis goes away while serving (S22)', async () => {
    const proxy = await startTcpProxy(REDIS);
    const app = await start({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix });
    await db.pool.query("INSERT INTO users (email) VALUES ('redis-cut@example.com')");
    assert.equal((await request(app)).status, 202);
    assert.equal((await fetch(`${app.url}/readyz`)).status, 200);

    await proxy.cut();
    const from = app.logs.length;
    const started = performance.now();
    for (let i = 0; i < 3; i++) {
      const response = await app.post(REQUEST, { email: 'redis-cut@example.com' });
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), {
        type: 'about:blank', title: 'Service unavailable', status: 503, detail: 'The service cannot answer right now; retry later.', code: 'service_unavailable',
      });
    }
    assert.equal((await app.post('/passwordless/exchange/email', { email: 'redis-cut@example.com', token: '123456' })).status, 503);
    // An outage fails every request alike: logged once a second, not once per request.
    const failed = app.logs.slice(from).filter((line) => line.includes('"request failed"'));
    if (performance.now() - started < OUTAGE_LOG_INTERVAL_MS) assert.equal(failed.length, 1, failed.join('\n'));
    else assert.ok(failed.length >= 1 && failed.length < 4, failed.join('\n'));
    // /readyz keeps an answer for READINESS_CACHE_MS (1 s); the outage shows right after.
    await eventually(async () => ((await fetch(`${app.url}/readyz`)).status === 503 ? true : undefined), 3_000);
    await app.app.services.delivery.drain();
    assert.equal((await ses.emails('redis-cut@example.com')).length, 0);
    assert.match(await app.app.metrics.render(), /sesame_rate_limit_store_errors_total 4/);
  });
});
