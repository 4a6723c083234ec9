// The typed browser client (clients/js) without a browser: a scripted fetch and a frozen clock.
// It refreshes within the margin of expiry and not before, retries a call once after a 401,
// shares one refresh among concurrent callers of a tab, and names Sesame's error code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it, before } from 'node:test';
import { pathToFileURL } from 'node:url';

const CLIENT_DIR = new URL('../../clients/js/', import.meta.url).pathname;

interface Client {
  exchange(identifier: { email: string; token: string }): Promise<unknown>;
  refresh(): Promise<string | null>;
  getAccessToken(): Promise<string | null>;
  fetch(input: string, init?: RequestInit): Promise<Response>;
  me(): Promise<{ email: string }>;
  logout(): Promise<void>;
  close(): void;
}
type Create = (options: { baseUrl: string; clientId?: string; fetch: typeof fetch; now: () => number }) => Client;

interface Call { method: string; url: string; body: unknown; authorization: string | null; credentials: string | undefined }

function scriptedSesame() {
  const calls: Call[] = [];
  let issued = 0;
  let rejectToken: string | undefined;
  let rejectAll = false;
  const json = (status: number, body: unknown, type = 'application/json') => new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
  const problem = (status: number, code: string) => json(status, { type: 'about:blank', title: code, status, detail: code, code }, 'application/problem+json');
  const fake: typeof fetch = async (input, init = {}) => {
    const url = String(input);
    const headers = new Headers(init.headers);
    calls.push({ method: init.method ?? 'GET', url, body: init.body ? JSON.parse(String(init.body)) : undefined, authorization: headers.get('authorization'), credentials: init.credentials });
    const path = new URL(url).pathname;
    if (path === '/passwordless/exchange/email' || path === '/token/refresh') {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return json(200, { access_token: `access-${++issued}`, token_type: 'Bearer', expires_in: 900 });
    }
    if (path === '/me') {
      if (rejectAll || headers.get('authorization') === `Bearer ${rejectToken}`) return problem(401, 'invalid_access_token');
      return json(200, { email: 'ada@example.com' });
    }
    if (path === '/logout') return new Response(null, { status: 204 });
    return problem(404, 'not_found');
  };
  return { calls, fetch: fake, rejectNext(token: string) { rejectToken = token; }, rejectEvery() { rejectAll = true; } };
}

describe('typed browser client', () => {
  let create: Create;
  before(async () => {
    execFileSync('npm', ['run', '--silent', 'build', '--prefix', CLIENT_DIR], { stdio: 'inherit' });
    ({ createSesameClient: create } = await import(pathToFileURL(`${CLIENT_DIR}dist/index.js`).href) as { createSesameClient: Create });
  });

  it('keeps the access token until it is within 30 s of expiry, then refreshes once for every concurrent caller', async () => {
    const sesame = scriptedSesame();
    let time = 1_000_000;
    const client = create({ baseUrl: 'https://auth.example.com/', clientId: 'web', fetch: sesame.fetch, now: () => time });
    try {
      await client.exchange({ email: 'ada@example.com', token: '123456' });
      assert.deepEqual(sesame.calls[0]!.body, { email: 'ada@example.com', token: '123456', client_id: 'web' });
      assert.equal(sesame.calls[0]!.credentials, 'include', 'the refresh cookie is sent and stored');
      time += (900 - 31) * 1000;
      assert.equal(await client.getAccessToken(), 'access-1');
      time += 2_000;
      const tokens = await Promise.all([client.getAccessToken(), client.getAccessToken(), client.refresh()]);
      assert.deepEqual(tokens, ['access-2', 'access-2', 'access-2']);
      assert.deepEqual(sesame.calls.filter((call) => call.url.endsWith('/token/refresh')).map((call) => call.body), [{ client_id: 'web' }]);
    } finally {
      client.close();
    }
  });

  it('adds the Bearer token, and after a 401 refreshes and retries once', async () => {
    const sesame = scriptedSesame();
    const client = create({ baseUrl: 'https://auth.example.com', clientId: 'web', fetch: sesame.fetch, now: () => 0 });
    try {
      await client.exchange({ email: 'ada@example.com', token: '123456' });
      sesame.rejectNext('access-1');
      assert.deepEqual(await client.me(), { email: 'ada@example.com' });
      assert.deepEqual(sesame.calls.slice(1).map((call) => `${call.url} ${call.authorization}`), [
        'https://auth.example.com/me Bearer access-1',
        'https://auth.example.com/token/refresh null',
        'https://auth.example.com/me Bearer access-2',
      ]);
      // A second 401 is the caller's answer: one retry, no loop.
      sesame.rejectEvery();
      const before = sesame.calls.length;
      assert.equal((await client.fetch('/me')).status, 401);
      assert.deepEqual(sesame.calls.slice(before).map((call) => new URL(call.url).pathname), ['/me', '/token/refresh', '/me']);
    } finally {
      client.close();
    }
  });

  it('names Sesame\'s error code, and forgets the session when the refresh token is refused', async () => {
    const refused: typeof fetch = async () => new Response(JSON.stringify({ type: 'about:blank', title: 'Invalid token', status: 400, detail: 'The token is invalid or expired.', code: 'invalid_token' }), {
      status: 400, headers: { 'content-type': 'application/problem+json' },
    });
    const client = create({ baseUrl: 'https://auth.example.com', fetch: refused, now: () => 0 });
    try {
      await assert.rejects(client.exchange({ email: 'ada@example.com', token: '000000' }), { name: 'SesameError', status: 400, code: 'invalid_token' });
      assert.equal(await client.refresh(), null);
      assert.equal(await client.getAccessToken(), null);
    } finally {
      client.close();
    }
  });
});
