// The reference sign-in page (examples/browser) and the typed client (clients/js) in a real
// browser: Debian's Chromium driven by playwright-core (no browser download). The page is served
// from one origin (http://localhost:<page port>) and Sesame from another (http://localhost:<its
// port>): the same site, so the __Host- refresh cookie (Secure; SameSite=Strict) is set and sent,
// as for app.example.com beside auth.example.com. Chromium treats http://localhost as a secure
// context, so Secure cookies and Web Locks work there without TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { codeIn, eventually, type TestApp } from '../helpers/app.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { SesLocal } from '../helpers/ses-local.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('../../', import.meta.url).pathname;
// Only the page and the built client are served.
const SERVED = ['examples/browser/', 'clients/js/dist/'];
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
const EMAIL = 'browser-page@example.com';

/** Serves the example page and the client's build from the repository, like any static host. */
function startPageServer(): Promise<Server> {
  const server = createServer((request, response) => {
    let path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    if (path.endsWith('/')) path += 'index.html';
    const file = join(ROOT, path);
    if (!SERVED.some((prefix) => path.startsWith(prefix)) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The globals the page exposes (the project compiles without the DOM library). */
interface PageGlobals {
  sesame: { refresh(): Promise<string | null>; me(): Promise<{ email: string | null }>; getAccessToken(): Promise<string | null> };
}

describe('the reference sign-in page in a real browser', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sesame: TestApp;
  let pageServer: Server;
  let browser: Browser;
  let pageOrigin: string;
  let sesameUrl: string;
  const suite = suiteScope();

  before(async () => {
    // The page imports the client's build: build it from the current source (its TypeScript 5 is in clients/js).
    assert.ok(existsSync(join(ROOT, 'clients/js/node_modules')), 'the client\'s tools are installed: npm ci --prefix clients/js');
    execFileSync('npm', ['run', '--silent', 'build', '--prefix', join(ROOT, 'clients/js')], { stdio: 'inherit' });
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
    pageServer = await startPageServer();
    suite.after(() => new Promise((resolve) => pageServer.close(resolve)));
    pageOrigin = `http://localhost:${(pageServer.address() as AddressInfo).port}`;
    // No reuse grace: a refresh token presented twice, even by two tabs at once, is refused the
    // second time, so only a client that refreshes once across tabs keeps both tabs signed in.
    sesame = await withTestApp(suite, { db, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '0' } });
    sesameUrl = sesame.url.replace('127.0.0.1', 'localhost');
    const added = await sesame.app.services.clients.add('web', {
      name: 'Example', allowed_origins: [pageOrigin], refresh_token_delivery: 'cookie',
      login_url: `${pageOrigin}/examples/browser/?sesame=${encodeURIComponent(sesameUrl)}&token={token}`,
    });
    assert.equal(added.outcome, 'ok', JSON.stringify(added));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    suite.after(() => browser.close());
    await createUser(db, EMAIL);
  });

  const pageUrl = (origin: string) => `${origin}/examples/browser/?sesame=${encodeURIComponent(sesameUrl)}&client_id=web`;

  async function statusOf(tab: Page): Promise<string> {
    return (await tab.textContent('#status')) ?? '';
  }

  async function expectSignedIn(tab: Page): Promise<void> {
    await tab.waitForSelector('#signed-in:not([hidden])', { timeout: 10_000 });
    assert.equal(await tab.textContent('#me-email'), EMAIL);
  }

  async function expectSignedOut(tab: Page): Promise<void> {
    await tab.waitForSelector('#signed-out:not([hidden])', { timeout: 10_000 });
    assert.equal(await tab.isHidden('#signed-in'), true);
  }

  /** Signs in on the page with the code from the email. */
  async function signIn(tab: Page): Promise<void> {
    const before = (await ses.emails(EMAIL)).length;
    await tab.fill('#email', EMAIL);
    await tab.click('#send-code');
    await tab.waitForSelector('#exchange-form:not([hidden])');
    const mail = await eventually(async () => {
      const emails = await ses.emails(EMAIL);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    await tab.fill('#code', codeIn(mail.body.text ?? ''));
    await tab.click('#sign-in');
    await expectSignedIn(tab);
  }

  /** Both tabs refresh at the same moment; both must end up signed in on the one live session. */
  async function refreshTogether(tabs: Page[]): Promise<void> {
    const refreshed = await Promise.all(tabs.map((page) => page.evaluate(() => (globalThis as unknown as PageGlobals).sesame.refresh())));
    assert.ok(refreshed.every((token) => typeof token === 'string' && token.length > 0), 'both tabs hold an access token');
    for (const page of tabs) {
      assert.equal((await page.evaluate(() => (globalThis as unknown as PageGlobals).sesame.me())).email, EMAIL);
    }
    assert.equal(await liveSessions(), 1, 'no refresh token was spent twice (that would revoke the session)');
  }

  async function liveSessions(): Promise<number> {
    const { rows } = await db.pool.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.revoked_at IS NULL`, [EMAIL]);
    return rows[0]!.count;
  }

  it('signs in with an emailed code, stays signed in across a reload and in a second tab refreshing at once, then signs out', async () => {
    const context: BrowserContext = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(pageUrl(pageOrigin));
      await expectSignedOut(tab);

      // 1. Ask for a code; read it from the local SES endpoint; sign in.
      await signIn(tab);

      // The refresh token is only in the HttpOnly __Host- cookie of Sesame's origin.
      const cookies = await context.cookies(sesameUrl);
      const refresh = cookies.find((cookie) => cookie.name === '__Host-sesame_refresh');
      assert.ok(refresh, `the refresh cookie is set: ${JSON.stringify(cookies.map((cookie) => cookie.name))}`);
      assert.equal(refresh.httpOnly, true);
      assert.equal(refresh.secure, true);
      assert.equal(refresh.sameSite, 'Strict');
      assert.equal(await tab.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), '');

      // 2. A reload keeps the session: the cookie gives a new access token.
      await tab.reload();
      await expectSignedIn(tab);

      // 3. A second tab; both refresh at the same moment, and both stay signed in with one live session.
      const second = await context.newPage();
      await second.goto(pageUrl(pageOrigin));
      await expectSignedIn(second);
      await refreshTogether([tab, second]);
      await second.reload();
      await expectSignedIn(second);

      // 4. Sign out; a reload shows signed out, in either tab.
      await tab.click('#sign-out');
      await expectSignedOut(tab);
      assert.equal(await liveSessions(), 0);
      assert.equal((await context.cookies(sesameUrl)).some((cookie) => cookie.name === '__Host-sesame_refresh'), false, 'the cookie is cleared');
      await tab.reload();
      await expectSignedOut(tab);
      assert.match(await statusOf(tab), /Not signed in/);
      await second.reload();
      await expectSignedOut(second);
    } finally {
      await context.close();
    }
  });

  it('refreshes once across tabs by a BroadcastChannel election where the browser has no Web Locks', async () => {
    const context = await browser.newContext();
    try {
      await context.addInitScript(() => {
        Object.defineProperty((globalThis as unknown as { navigator: object }).navigator, 'locks', { value: undefined, configurable: true });
      });
      const tab = await context.newPage();
      await tab.goto(pageUrl(pageOrigin));
      await expectSignedOut(tab);
      assert.equal(await tab.evaluate(() => (globalThis as unknown as { navigator: { locks?: unknown } }).navigator.locks), undefined);
      await signIn(tab);
      const second = await context.newPage();
      await second.goto(pageUrl(pageOrigin));
      await expectSignedIn(second);
      for (let round = 0; round < 3; round++) await refreshTogether([tab, second]);
      // The control: two refreshes at once that bypass the client present the same cookie, and
      // one is refused (400 invalid_token): that tab would be signed out. The client's single
      // flight is what keeps both tabs signed in above. Both go out in one turn of one page (the
      // tabs share the cookie jar): sent from two pages, the second could leave after the first
      // answer had rotated the cookie, and both would pass (seen once in CI).
      const statuses = await tab.evaluate((url) => Promise.all([0, 1].map(() => fetch(`${url}/token/refresh`, {
        method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'web' }),
      }).then((response) => response.status))), sesameUrl);
      assert.deepEqual(statuses.sort(), [200, 400]);
      await tab.click('#sign-out');
      await expectSignedOut(tab);
      assert.equal(await liveSessions(), 0);
    } finally {
      await context.close();
    }
  });

  it('signs in with the magic link from the email', async () => {
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(pageUrl(pageOrigin));
      await expectSignedOut(tab);
      const before = (await ses.emails(EMAIL)).length;
      await tab.fill('#email', EMAIL);
      await tab.click('#send-code');
      const mail = await eventually(async () => {
        const emails = await ses.emails(EMAIL);
        return emails.length > before ? emails[emails.length - 1] : undefined;
      });
      const link = /https?:\/\/\S+token=[^\s"<]+/.exec(mail.body.text ?? '')?.[0];
      assert.ok(link?.startsWith(`${pageOrigin}/examples/browser/`), `the link goes to the page: ${link}`);
      await tab.goto(link!);
      await expectSignedIn(tab);
      assert.doesNotMatch(tab.url(), /token=/, 'the page takes the token out of the address bar');
      await tab.click('#sign-out');
      await expectSignedOut(tab);
    } finally {
      await context.close();
    }
  });

  it('fails every call of a page on an origin no client allows, and Sesame sees nothing beyond the refused preflight (S39)', async () => {
    // Same files, another origin: 127.0.0.1 is not localhost, and no client allows it.
    const foreignOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(pageUrl(foreignOrigin));
      // Its start-up refresh already failed in the browser.
      await tab.waitForFunction(() => /Failed/.test((globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('status').textContent));
      const tokensBefore = (await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM one_time_tokens')).rows[0]!.count;
      const mailsBefore = (await ses.emails(EMAIL)).length;
      const linesBefore = sesame.logs.length;

      await tab.evaluate(() => { (globalThis as unknown as { document: { getElementById(id: string): { hidden: boolean } } }).document.getElementById('signed-out').hidden = false; });
      await tab.fill('#email', EMAIL);
      await tab.click('#send-code');
      await tab.waitForFunction(() => /Failed: TypeError/.test((globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('status').textContent));

      // The browser asked first (a JSON POST needs a preflight), was refused, and never sent the POST.
      await eventually(() => (sesame.logs.length > linesBefore ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const requests = sesame.logs.slice(linesBefore).map((line) => JSON.parse(line) as { msg?: string; method?: string; url?: string; status?: number })
        .filter((line) => line.msg === 'request');
      assert.deepEqual(requests.map(({ method, status }) => ({ method, status })), [{ method: 'OPTIONS', status: 404 }]);
      assert.equal((await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM one_time_tokens')).rows[0]!.count, tokensBefore);
      assert.equal((await ses.emails(EMAIL)).length, mailsBefore);
    } finally {
      await context.close();
    }
  });
});
