// The public listener against hostile clients: slow-loris requests are cut off (S47), and the
// client address comes only from valid IPs in X-Forwarded-For across trusted proxies (S20).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

describe('HTTP hardening', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await db.drop();
  });

  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp({ db, env });
    apps.push(app);
    return app;
  }

  /**
   * Opens a raw connection, writes `head`, then one more byte every 100 ms; resolves with how
   * long the server kept the connection open and what it answered.
   */
  function trickle(app: TestApp, head: string, drip: string): Promise<{ ms: number; answer: string }> {
    const { port } = new URL(app.url);
    return new Promise((resolve, reject) => {
      const started = Date.now();
      let answer = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
      const timer = setInterval(() => { if (!socket.destroyed) socket.write(drip); }, 100);
      const give = setTimeout(() => { socket.destroy(); reject(new Error('the connection was still open after 15 s')); }, 15_000);
      socket.on('data', (chunk) => { answer += chunk.toString(); });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(give);
        resolve({ ms: Date.now() - started, answer });
      });
    });
  }

  it('closes a connection whose body trickles in, once REQUEST_TIMEOUT_MS has passed (S47)', async () => {
    // The headers arrive at once and their deadline (1 s) is far below the request's (3 s): a
    // close at 3–5 s with 408 can only be the body deadline (checked once a second).
    const app = await start({ REQUEST_TIMEOUT_MS: '3000', HEADERS_TIMEOUT_MS: '1000' });
    const head = 'POST /passwordless/request/email HTTP/1.1\r\nHost: sesame.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":"';
    const { ms, answer } = await trickle(app, head, 'a');
    assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(ms >= 2_900, `closed after ${ms} ms, before the request deadline`);
    assert.ok(ms < 3_000 + 1_000 + 2_500, `closed after ${ms} ms: the deadline plus its 1 s check, with room for a loaded machine`);
  });

  it('closes a connection whose headers trickle in, once HEADERS_TIMEOUT_MS has passed (S47)', async () => {
    const app = await start({ REQUEST_TIMEOUT_MS: '3000', HEADERS_TIMEOUT_MS: '1000' });
    const { ms, answer } = await trickle(app, 'GET /healthz HTTP/1.1\r\nHost: sesame.test\r\n', 'X');
    assert.ok(ms >= 900 && ms < 8000, `closed after ${ms} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it('has defaults that close a slow-loris connection within 10–30 s (S47)', async () => {
    const app = await start({});
    const { requestTimeoutMs, headersTimeoutMs } = app.config.http;
    assert.ok(requestTimeoutMs >= 10_000 && requestTimeoutMs <= 30_000 - 1_000, 'request deadline plus the 1 s check interval');
    assert.ok(headersTimeoutMs >= 1_000 && headersTimeoutMs < requestTimeoutMs);
    assert.equal(app.app.server.requestTimeout, requestTimeoutMs);
    assert.equal(app.app.server.headersTimeout, headersTimeoutMs);
    assert.equal(app.app.server.maxHeadersCount, 100);
  });

  it('believes only a valid IP from X-Forwarded-For, otherwise the peer address (S20)', async () => {
    const app = await start({ TRUSTED_PROXIES: '127.0.0.1', TOKEN_REQUEST_THROTTLE_SECONDS: '0' });
    const forwarded = ['203.0.113.7', '2001:db8::7', `${'9'.repeat(2000)}`, 'not-an-ip', '203.0.113.7, <script>', '1.2.3.4.5', '203.0.113.8:443'];
    for (const [i, value] of forwarded.entries()) {
      const response = await app.post('/passwordless/request/email', { email: `proxied-${i}@example.com` }, { 'x-forwarded-for': value });
      assert.equal(response.status, 202);
    }
    await app.app.services.audit.flush();
    const { rows } = await db.pool.query<{ destination: string; client_ip: string }>(
      "SELECT destination, client_ip FROM audit_events WHERE event = 'code.requested' AND destination LIKE 'p***%' ORDER BY id");
    assert.deepEqual(rows.map((row) => row.client_ip), ['203.0.113.7', '2001:db8::7', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });
});
