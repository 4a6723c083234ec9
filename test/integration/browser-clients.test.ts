// Browser apps against the real server: CORS for the origins clients allow (S39), the origin
// check that refuses a request from a foreign origin before anything is written or sent, and
// cookie mode, where the refresh token lives only in an HttpOnly __Host- cookie (S40).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { codeIn, createTestClock, eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { SesLocal } from '../helpers/ses-local.ts';

const APP_ORIGIN = 'https://app.example.test';
const WEB_ORIGIN = 'https://web.example.test';
const FOREIGN_ORIGIN = 'https://evil.example.test';
const ISSUER_ORIGIN = 'https://auth.sesame.test';
const COOKIE = '__Host-sesame_refresh';
const DAY = 86_400;

describe('browser clients: CORS, origin checks and cookie mode', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  const clock = createTestClock();

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db, clock, env: { ALLOWED_ORIGINS: APP_ORIGIN } });
    // A browser app in cookie mode on its own origin, with a shorter session.
    const added = await server.app.services.clients.add('web', {
      name: 'Web App', allowed_origins: [WEB_ORIGIN], refresh_token_delivery: 'cookie', refresh_token_ttl: 7 * DAY,
    });
    assert.equal(added.outcome, 'ok');
  });

  function send(path: string, options: { method?: string; origin?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
    if (options.origin !== undefined) headers.origin = options.origin;
    return fetch(`${server.url}${path}`, {
      method: options.method ?? 'POST',
      headers,
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
  }

  async function rowCounts(): Promise<{ tokens: number; jobs: number; throttles: number }> {
    const { rows } = await db.pool.query<{ tokens: number; jobs: number; throttles: number }>(
      `SELECT (SELECT count(*) FROM one_time_tokens)::int AS tokens, (SELECT count(*) FROM delivery_jobs)::int AS jobs, (SELECT count(*) FROM request_throttle)::int AS throttles`);
    return rows[0]!;
  }

  async function codeFor(email: string, request: () => Promise<Response>): Promise<string> {
    const before = (await ses.emails(email)).length;
    const response = await request();
    assert.equal(response.status, 202, await response.clone().text());
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    return codeIn(mail.body.text ?? '');
  }

  /** Signs in through the cookie-mode client from its origin; the exchange's response. */
  async function cookieSignIn(email: string): Promise<Response> {
    await createUser(db, email);
    const code = await codeFor(email, () => send('/passwordless/request/email', { origin: WEB_ORIGIN, body: { email, client_id: 'web' } }));
    return send('/passwordless/exchange/email', { origin: WEB_ORIGIN, body: { email, token: code, client_id: 'web' } });
  }

  /** The refresh cookie set by a response: its value and attributes. */
  function refreshCookie(response: Response): { value: string; attributes: string[] } {
    const header = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${COOKIE}=`));
    assert.ok(header, 'a refresh cookie is set');
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    return { value: decodeURIComponent(pair!.slice(COOKIE.length + 1)), attributes };
  }

  it('answers a preflight from an allowed origin with that origin, credentials, the allowed headers and a max-age (S39)', async () => {
    const response = await send('/passwordless/request/email', {
      method: 'OPTIONS', origin: APP_ORIGIN, headers: { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(response.headers.get('access-control-allow-headers'), 'content-type, authorization');
    assert.equal(response.headers.get('access-control-max-age'), '600');
    assert.equal(response.headers.get('access-control-allow-methods'), 'GET, HEAD, POST, PATCH, DELETE');
    assert.match(response.headers.get('vary') ?? '', /Origin/);
  });

  it('gives another origin no CORS headers, on a preflight or a request (S39)', async () => {
    const preflight = await send('/passwordless/request/email', { method: 'OPTIONS', origin: FOREIGN_ORIGIN, headers: { 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 404);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
    const request = await send('/.well-known/openid-configuration', { method: 'GET', origin: FOREIGN_ORIGIN });
    assert.equal(request.headers.get('access-control-allow-credentials'), null);
  });

  it('accepts a code request from an allowed origin, from the issuer\'s own origin, and without an Origin', async () => {
    for (const [email, origin] of [['cors-a@example.com', APP_ORIGIN], ['cors-b@example.com', ISSUER_ORIGIN], ['cors-c@example.com', undefined]] as const) {
      const response = await send('/passwordless/request/email', { origin, body: { email } });
      assert.equal(response.status, 202, `${origin ?? 'no origin'}`);
      assert.equal(response.headers.get('access-control-allow-origin'), origin ?? null);
    }
  });

  it('refuses a request whose Origin its client does not allow with 403 origin_not_allowed, and writes and sends nothing (S39)', async () => {
    await createUser(db, 'refused@example.com');
    const before = await rowCounts();
    const mailsBefore = (await ses.emails('refused@example.com')).length;
    // WEB_ORIGIN is allowed by the web client, not by the default one; FOREIGN_ORIGIN by none.
    for (const [origin, body] of [
      [WEB_ORIGIN, { email: 'refused@example.com' }],
      [FOREIGN_ORIGIN, { email: 'refused@example.com' }],
      [APP_ORIGIN, { email: 'refused@example.com', client_id: 'web' }],
    ] as const) {
      const response = await send('/passwordless/request/email', { origin, body });
      assert.equal(response.status, 403, origin);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(await response.json(), {
        type: 'about:blank', title: 'Origin not allowed', status: 403, detail: 'This client does not accept requests from this origin.', code: 'origin_not_allowed',
      });
    }
    assert.deepEqual(await rowCounts(), before);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await ses.emails('refused@example.com')).length, mailsBefore);
  });

  it('refuses an exchange from a foreign origin without counting a guess at the code (S39)', async () => {
    const email = 'exchange-origin@example.com';
    await createUser(db, email);
    const code = await codeFor(email, () => send('/passwordless/request/email', { body: { email } }));
    const refused = await send('/passwordless/exchange/email', { origin: FOREIGN_ORIGIN, body: { email, token: code } });
    assert.equal(refused.status, 403);
    assert.equal((await refused.json() as { code: string }).code, 'origin_not_allowed');
    const { rows } = await db.pool.query<{ attempts: number; uses: number }>('SELECT attempts, uses FROM one_time_tokens WHERE destination = $1', [email]);
    assert.deepEqual(rows, [{ attempts: 0, uses: 0 }]);
    const accepted = await send('/passwordless/exchange/email', { origin: APP_ORIGIN, body: { email, token: code } });
    assert.equal(accepted.status, 200);
  });

  it('answers an unknown client_id with 400 invalid_client on every endpoint that takes one, and writes nothing', async () => {
    const before = await rowCounts();
    for (const path of ['/passwordless/request/email', '/passwordless/exchange/email', '/passwordless/exchange/standalone', '/token/refresh', '/token/revoke', '/logout',
      '/passkeys/authenticate/options']) {
      const response = await send(path, { body: { email: 'nobody@example.com', token: '123456', refresh_token: 'x'.repeat(43), client_id: 'no-such-app' } });
      assert.equal(response.status, 400, path);
      assert.equal((await response.json() as { code: string }).code, 'invalid_client');
    }
    const tooLong = await send('/passwordless/request/email', { body: { email: 'nobody@example.com', client_id: 'x'.repeat(65) } });
    assert.equal((await tooLong.json() as { code: string }).code, 'invalid_client');
    assert.deepEqual(await rowCounts(), before);
  });

  it('serves the JWKS and the OIDC discovery document to any origin with Access-Control-Allow-Origin: *', async () => {
    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration']) {
      const response = await send(path, { method: 'GET', origin: FOREIGN_ORIGIN });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(response.headers.get('access-control-allow-credentials'), null);
    }
  });

  it('in cookie mode, answers the exchange without refresh_token and sets the __Host- cookie for the lifetime of the session (S40)', async () => {
    const response = await cookieSignIn('cookie-ada@example.com');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), WEB_ORIGIN);
    const body = await response.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    const cookie = refreshCookie(response);
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(cookie.attributes.sort(), [`Max-Age=${7 * DAY}`, 'HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure'].sort());
    assert.equal(decodeJwt(body.access_token as string).client_id, 'web');
  });

  it('refreshes with the cookie from an allowed origin, rotates it, and the Max-Age is the remaining lifetime of the session (S40)', async () => {
    const signedIn = await cookieSignIn('cookie-bea@example.com');
    const first = refreshCookie(signedIn).value;
    clock.advance(60);
    const refreshed = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${first}` } });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    const body = await refreshed.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    const second = refreshCookie(refreshed);
    assert.notEqual(second.value, first);
    assert.ok(second.attributes.includes(`Max-Age=${7 * DAY - 60}`), second.attributes.join('; '));
    // The spent cookie coming back is reuse: the family ends, the new cookie with it (S30).
    clock.advance(60);
    const reused = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${first}` } });
    assert.equal(reused.status, 400);
    assert.equal((await reused.json() as { code: string }).code, 'invalid_token');
    const after = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${second.value}` } });
    assert.equal(after.status, 400);
  });

  it('refuses a cookie-authenticated refresh without an allowed Origin or a JSON body, and rotates nothing (S40)', async () => {
    const signedIn = await cookieSignIn('cookie-cy@example.com');
    const cookie = `${COOKIE}=${refreshCookie(signedIn).value}`;
    const noOrigin = await send('/token/refresh', { body: { client_id: 'web' }, headers: { cookie } });
    assert.equal(noOrigin.status, 403);
    assert.equal((await noOrigin.json() as { code: string }).code, 'origin_not_allowed');
    const foreign = await send('/token/refresh', { origin: FOREIGN_ORIGIN, body: { client_id: 'web' }, headers: { cookie } });
    assert.equal(foreign.status, 403);
    // An origin another client allows is still not this client's.
    const otherClients = await send('/token/refresh', { origin: APP_ORIGIN, body: { client_id: 'web' }, headers: { cookie } });
    assert.equal(otherClients.status, 403);
    const form = await fetch(`${server.url}/token/refresh`, {
      method: 'POST', headers: { origin: WEB_ORIGIN, cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=web',
    });
    assert.equal(form.status, 415);
    assert.equal((await form.json() as { code: string }).code, 'unsupported_media_type');
    // None of these spent the token: it still refreshes.
    const refreshed = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie } });
    assert.equal(refreshed.status, 200);
  });

  it('clears the cookie when a cookie refresh fails (unknown, reused, revoked), never when the call itself is refused or the session lives on (S40)', async () => {
    // Another cookie-mode app on the same site: the cookie of one is no token of the other.
    const added = await server.app.services.clients.add('admin-web', { allowed_origins: [WEB_ORIGIN], refresh_token_delivery: 'cookie' });
    assert.equal(added.outcome, 'ok');
    const cleared = (response: Response) => {
      const cookie = refreshCookie(response);
      assert.equal(cookie.value, '');
      assert.deepEqual(cookie.attributes.sort(), ['HttpOnly', 'Max-Age=0', 'Path=/', 'SameSite=Strict', 'Secure']);
    };
    const refresh = (cookie: string, body: Record<string, unknown> = { client_id: 'web' }, origin: string = WEB_ORIGIN) =>
      send('/token/refresh', { origin, body, headers: { cookie: `${COOKIE}=${cookie}` } });

    const first = refreshCookie(await cookieSignIn('cookie-clear@example.com')).value;
    // Refusals of the call (a foreign Origin, not JSON) leave the cookie alone: a forged request signs nobody out.
    for (const refused of [
      await refresh(first, { client_id: 'web' }, FOREIGN_ORIGIN),
      await fetch(`${server.url}/token/refresh`, { method: 'POST', headers: { origin: WEB_ORIGIN, cookie: `${COOKIE}=${first}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=web' }),
    ]) {
      assert.ok([403, 415].includes(refused.status), String(refused.status));
      assert.deepEqual(refused.headers.getSetCookie(), []);
      await refused.arrayBuffer();
    }
    // Another client's cookie fails like an invalid one, but its session lives on: it is neither
    // spent nor cleared (visiting one same-site app does not sign the user out of the other).
    const otherClient = await refresh(first, { client_id: 'admin-web' });
    assert.equal(otherClient.status, 400);
    assert.equal((await otherClient.json() as { code: string }).code, 'invalid_token');
    assert.deepEqual(otherClient.headers.getSetCookie(), []);
    // A spent cookie coming back is reuse: 400, the family ends, and the cookie is cleared.
    const rotated = await refresh(first);
    assert.equal(rotated.status, 200);
    const second = refreshCookie(rotated).value;
    // Past the grace period in which a retried rotation is answered again (S30).
    clock.advance(60);
    const reused = await refresh(first);
    assert.equal(reused.status, 400);
    assert.equal((await reused.json() as { code: string }).code, 'invalid_token');
    cleared(reused);
    const afterReuse = await refresh(second);
    assert.equal(afterReuse.status, 400);
    cleared(afterReuse);
    // A malformed or unknown cookie too.
    for (const value of ['not-a-token', 'A'.repeat(43)]) cleared(await refresh(value));
    // A body token that fails is no cookie's business: nothing is cleared.
    const bodyToken = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web', refresh_token: 'A'.repeat(43) }, headers: { cookie: `${COOKIE}=${second}` } });
    assert.equal(bodyToken.status, 400);
    assert.deepEqual(bodyToken.headers.getSetCookie(), []);

    // Without a grace period, of concurrent refreshes with one cookie only one succeeds; the
    // losers must not clear the cookie, or the browser could drop the winner's new one.
    const strict = await startTestApp({ db, clock, env: { ALLOWED_ORIGINS: APP_ORIGIN, REFRESH_REUSE_GRACE_SECONDS: '0' } });
    try {
      const value = refreshCookie(await cookieSignIn('cookie-race@example.com')).value;
      const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${strict.url}/token/refresh`, {
        method: 'POST', headers: { origin: WEB_ORIGIN, cookie: `${COOKIE}=${value}`, 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'web' }),
      })));
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 400, 400, 400, 400, 400, 400, 400]);
      for (const answer of answers) {
        if (answer.status === 400) assert.deepEqual(answer.headers.getSetCookie(), [], 'a lost race clears nothing');
        await answer.arrayBuffer();
      }
    } finally {
      await strict.close();
    }
  });

  it('refuses /token/revoke from an Origin its client does not allow, revoking nothing; revoke never reads the cookie (S39, S40)', async () => {
    const email = 'revoke-origin@example.com';
    await createUser(db, email);
    const code = await codeFor(email, () => send('/passwordless/request/email', { body: { email } }));
    const { refresh_token } = await (await send('/passwordless/exchange/email', { body: { email, token: code } })).json() as { refresh_token: string };
    for (const [origin, body, code] of [
      [FOREIGN_ORIGIN, { token: refresh_token }, 'origin_not_allowed'],
      // The web client's origin is not the default client's.
      [WEB_ORIGIN, { token: refresh_token }, 'origin_not_allowed'],
      [APP_ORIGIN, { token: refresh_token, client_id: 'web' }, 'origin_not_allowed'],
      [undefined, { token: refresh_token, client_id: 'no-such-app' }, 'invalid_client'],
    ] as const) {
      const refused = await send('/token/revoke', { origin, body });
      assert.equal(refused.status, code === 'invalid_client' ? 400 : 403, `${origin}`);
      assert.equal((await refused.json() as { code: string }).code, code);
    }
    // A form post from a foreign page (no preflight) is refused the same way.
    const form = await fetch(`${server.url}/token/revoke`, {
      method: 'POST', headers: { origin: FOREIGN_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${refresh_token}`,
    });
    assert.equal(form.status, 403);
    await form.arrayBuffer();
    // Nothing was revoked: the token still refreshes.
    const refreshed = await send('/token/refresh', { origin: APP_ORIGIN, body: { refresh_token } });
    assert.equal(refreshed.status, 200);
    const { refresh_token: next } = await refreshed.json() as { refresh_token: string };
    // From an allowed origin it revokes.
    const revoked = await send('/token/revoke', { origin: APP_ORIGIN, body: { token: next } });
    assert.equal(revoked.status, 200);
    await revoked.arrayBuffer();
    assert.equal((await send('/token/refresh', { body: { refresh_token: next } })).status, 400);

    // The cookie alone is no token to revoke: 400 invalid_request, and the cookie still refreshes.
    const cookie = `${COOKIE}=${refreshCookie(await cookieSignIn('revoke-cookie@example.com')).value}`;
    const cookieOnly = await send('/token/revoke', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie } });
    assert.equal(cookieOnly.status, 400);
    assert.equal((await cookieOnly.json() as { code: string }).code, 'invalid_request');
    assert.equal((await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie } })).status, 200);
  });

  it('logs out with the cookie alone, clears it with Max-Age=0, and the session is over (S40)', async () => {
    const signedIn = await cookieSignIn('cookie-dee@example.com');
    const value = refreshCookie(signedIn).value;
    const refused = await send('/logout', { origin: FOREIGN_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${value}` } });
    assert.equal(refused.status, 403);
    const response = await send('/logout', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${value}` } });
    assert.equal(response.status, 204);
    const cleared = refreshCookie(response);
    assert.equal(cleared.value, '');
    assert.ok(cleared.attributes.includes('Max-Age=0'));
    const after = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${value}` } });
    assert.equal(after.status, 400);
  });

  it('logs out with the access token and clears the cookie; without either it answers 401', async () => {
    const signedIn = await cookieSignIn('cookie-eve@example.com');
    const { access_token } = await signedIn.json() as { access_token: string };
    const value = refreshCookie(signedIn).value;
    const response = await send('/logout', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { authorization: `Bearer ${access_token}`, cookie: `${COOKIE}=${value}` } });
    assert.equal(response.status, 204);
    assert.equal(refreshCookie(response).value, '');
    const after = await send('/token/refresh', { origin: WEB_ORIGIN, body: { client_id: 'web' }, headers: { cookie: `${COOKIE}=${value}` } });
    assert.equal(after.status, 400);
    const anonymous = await send('/logout', {});
    assert.equal(anonymous.status, 401);
  });

  it('keeps the body refresh token working for a body-mode client, with no cookie set', async () => {
    const email = 'body-mode@example.com';
    await createUser(db, email);
    const code = await codeFor(email, () => send('/passwordless/request/email', { origin: APP_ORIGIN, body: { email } }));
    const response = await send('/passwordless/exchange/email', { origin: APP_ORIGIN, body: { email, token: code } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers.getSetCookie(), []);
    const { refresh_token } = await response.json() as { refresh_token: string };
    const refreshed = await send('/token/refresh', { origin: APP_ORIGIN, body: { refresh_token } });
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.headers.get('access-control-allow-origin'), APP_ORIGIN);
  });
});
