// A real browser signs in with a passkey: Debian's Chromium driven by playwright-core (no browser
// download) with a virtual authenticator over the Chrome DevTools Protocol. The page is served
// from http://localhost (a secure context) and reaches Sesame through the same origin.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { codeIn, eventually, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';
import { createUser } from '../helpers/fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';

/** The browser globals the page uses (the project compiles without the DOM library). */
interface BrowserWebAuthn {
  navigator: { credentials: { create(options: unknown): Promise<{ toJSON(): unknown }>; get(options: unknown): Promise<{ toJSON(): unknown }> } };
  PublicKeyCredential: { parseCreationOptionsFromJSON(json: unknown): unknown; parseRequestOptionsFromJSON(json: unknown): unknown };
}
const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>Sesame passkeys</title></head><body>passkeys</body></html>';

/** Serves the page at / and forwards /api/* to Sesame, so the page and the API share one origin. */
function startPageServer(target: () => string): Promise<Server> {
  const server = createServer((request, response) => {
    if (!request.url?.startsWith('/api/')) {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(PAGE);
      return;
    }
    const upstream = new URL(request.url.slice(4), target());
    const forwarded = httpRequest(upstream, { method: request.method, headers: { ...request.headers, host: upstream.host } }, (reply) => {
      response.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(response);
    });
    request.pipe(forwarded);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('passkeys in a real browser', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sesame: TestApp;
  let page: Server;
  let browser: Browser;
  let origin: string;

  before(async () => {
    ses = await startSesLocal();
    useLocalAws({ ses: ses.url });
    db = await createTestDatabase();
    page = await startPageServer(() => sesame.url);
    origin = `http://localhost:${(page.address() as AddressInfo).port}`;
    // The page's origin is the default client's (S39): Chrome sends it with every POST.
    sesame = await startTestApp({ db, env: { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: origin, ALLOWED_ORIGINS: origin, TOKEN_REQUEST_THROTTLE_SECONDS: '0' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await sesame?.close();
    await new Promise((resolve) => page?.close(resolve));
    await ses.close();
    await db.drop();
  });

  it('signs in with an email code, registers a passkey, signs out, signs in with the passkey alone, and /me shows amr with user', async () => {
    await createUser(db, 'browser@example.com');
    const context = await browser.newContext();
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await tab.goto(`${origin}/`);

    // 1. Sign in with an email code.
    const requested = await tab.evaluate(async () => (await fetch('/api/passwordless/request/email', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'browser@example.com' }),
    })).status);
    assert.equal(requested, 202);
    const mail = await eventually(async () => (await ses.emails('browser@example.com'))[0]);
    const code = codeIn(mail.body.text ?? '');
    const first = await tab.evaluate(async (token) => {
      const response = await fetch('/api/passwordless/exchange/email', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'browser@example.com', token }),
      });
      return { status: response.status, body: await response.json() as { access_token: string } };
    }, code);
    assert.equal(first.status, 200);

    // 2. Register a passkey: the options go to navigator.credentials.create as they are.
    const registered = await tab.evaluate(async (accessToken) => {
      const web = globalThis as unknown as BrowserWebAuthn;
      const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
      const options = await (await fetch('/api/me/passkeys/options', { method: 'POST', headers: { authorization: auth.authorization } })).json();
      const credential = await web.navigator.credentials.create({ publicKey: web.PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      const response = await fetch('/api/me/passkeys', { method: 'POST', headers: auth, body: JSON.stringify({ response: credential.toJSON(), name: 'Browser' }) });
      return { status: response.status, body: await response.json() as { id: string; name: string } };
    }, first.body.access_token);
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal(registered.body.name, 'Browser');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.isResidentCredential, true, 'a discoverable credential');

    // 3. Sign out.
    const loggedOut = await tab.evaluate(async (accessToken) => (await fetch('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } })).status, first.body.access_token);
    assert.equal(loggedOut, 204);

    // 4. Sign in with the passkey alone: no identifier is typed or sent.
    const second = await tab.evaluate(async () => {
      const web = globalThis as unknown as BrowserWebAuthn;
      const options = await (await fetch('/api/passkeys/authenticate/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
      const credential = await web.navigator.credentials.get({ publicKey: web.PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      const response = await fetch('/api/passkeys/authenticate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response: credential.toJSON() }) });
      return { status: response.status, body: await response.json() as { access_token: string; refresh_token: string } };
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.ok(second.body.refresh_token);

    // 5. /me with the passkey's token: amr contains user (user verification).
    const me = await tab.evaluate(async (accessToken) => (await fetch('/api/me', { headers: { authorization: `Bearer ${accessToken}` } })).json() as Promise<{ email: string; amr: string[] }>, second.body.access_token);
    assert.equal(me.email, 'browser@example.com');
    assert.ok(me.amr.includes('user'), `amr ${JSON.stringify(me.amr)}`);
    assert.ok(me.amr.includes('hwk') || me.amr.includes('swk'));
    await context.close();
  });
});
