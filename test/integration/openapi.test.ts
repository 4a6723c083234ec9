// The OpenAPI document and the interactive reference: what they describe, that they can be
// turned off, and that the contract check the test fixture runs on every response catches a
// response the document does not allow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { ERRORS } from '../../src/errors.ts';
import { operationIdOf } from '../../src/openapi/responses.ts';
import { contractChecker } from '../helpers/contract.ts';
import { startTestApp } from '../helpers/app.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';

interface Header { required?: boolean; description: string; schema: unknown }
interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }>; headers?: Record<string, Header> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: { code: { enum?: string[]; const?: string }; status: { const?: number } } }> };
}

const BODY_METHODS = ['post', 'put', 'patch', 'delete'];

describe('OpenAPI document and reference', () => {
  const suite = suiteScope();

  it('serves an OpenAPI 3.1 document listing every route with every status it can give', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const response = await fetch(`${sesame.url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const document = await response.json() as Document;
    assert.equal(document.openapi, '3.1.0');

    for (const path of ['/passwordless/request/email', '/passwordless/exchange/email', '/passwordless/exchange/standalone', '/token/refresh', '/token/revoke',
      '/me', '/me/sessions', '/me/sessions/{id}', '/logout', '/logout/all', '/.well-known/jwks.json', '/.well-known/openid-configuration', '/healthz', '/readyz', '/openapi.json']) {
      assert.ok(document.paths[path], `${path} is documented`);
    }
    // The admin listener's routes are in its own document, not in the public one.
    assert.equal(document.paths['/metrics'], undefined);
    assert.equal(Object.keys(document.paths).some((path) => path.startsWith('/docs')), false, 'the reference pages are not API routes');

    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        assert.ok(statuses.includes('500'), `${method} ${path} documents 500`);
        if (BODY_METHODS.includes(method)) {
          for (const status of ['413', '415']) assert.ok(statuses.includes(status), `${method} ${path} documents ${status}`);
        }
        if (!['/healthz', '/readyz'].includes(path)) {
          for (const status of ['429', '503']) assert.ok(statuses.includes(status), `${method} ${path} documents ${status}`);
        }
        if (statuses.includes('401')) assert.deepEqual(operation.security, [{ bearerAuth: [] }], `${method} ${path} names the bearer scheme`);
        for (const status of statuses.filter((candidate) => Number(candidate) >= 400)) {
          assert.deepEqual(operation.responses[status]!.content, { 'application/problem+json': { schema: { $ref: `#/components/schemas/Problem${status}` } } });
        }
      }
    }
    assert.ok(document.paths['/passwordless/request/email']!.post!.responses['202']);
    assert.ok(document.paths['/passwordless/exchange/email']!.post!.responses['400']);
    assert.ok(document.paths['/me']!.get!.responses['401']);
    assert.ok(document.paths['/me/sessions/{id}']!.delete!.responses['204']);
    assert.ok(document.paths['/me/sessions/{id}']!.delete!.responses['404']);

    // Every problem code of src/errors.ts, each under the status it is answered with.
    const schemas = document.components.schemas;
    assert.deepEqual(schemas.Problem!.properties.code.enum, Object.keys(ERRORS));
    for (const [code, entry] of Object.entries(ERRORS)) {
      const perStatus = schemas[`Problem${entry.status}`];
      assert.ok(perStatus?.properties.code.enum?.includes(code), `${code} is in Problem${entry.status}`);
      assert.equal(perStatus!.properties.status.const, entry.status);
    }
  });

  it('gives every operation of both documents a stable operationId: its method and path', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const documents = [await (await fetch(`${sesame.url}/openapi.json`)).json() as Document, await (await fetch(`${sesame.adminUrl}/openapi.json`)).json() as Document];
    for (const document of documents) {
      const seen = new Set<string>();
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          assert.equal(operation.operationId, operationIdOf(method, path.replace(/\{([^}]+)\}/g, ':$1')), `${method} ${path}`);
          assert.match(operation.operationId!, /^[a-z]+[A-Z][A-Za-z0-9]*$/);
          assert.ok(!seen.has(operation.operationId!), `${operation.operationId} is unique`);
          seen.add(operation.operationId!);
        }
      }
    }
    // What generated clients call them: pinned, so a rename is a deliberate change.
    const [publicDocument, adminDocument] = documents as [Document, Document];
    assert.deepEqual(
      [publicDocument.paths['/passwordless/request/email']!.post!, publicDocument.paths['/me/sessions/{id}']!.delete!, publicDocument.paths['/.well-known/jwks.json']!.get!,
        publicDocument.paths['/me/phone_number/verify']!.post!, adminDocument.paths['/admin/webhooks/{id}/deliveries/{delivery_id}/retry']!.post!].map((operation) => operation.operationId),
      ['postPasswordlessRequestEmail', 'deleteMeSessionsById', 'getWellKnownJwksJson', 'postMePhoneNumberVerify', 'postAdminWebhooksByIdDeliveriesByDeliveryIdRetry'],
    );
  });

  it('documents the headers the API sets: Set-Cookie where the refresh cookie is set or cleared, WWW-Authenticate on 401, Retry-After on 429 and 503', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const document = await (await fetch(`${sesame.url}/openapi.json`)).json() as Document;
    const admin = await (await fetch(`${sesame.adminUrl}/openapi.json`)).json() as Document;
    const headersOf = (doc: Document, path: string, method: string, status: string) => Object.keys(doc.paths[path]![method]!.responses[status]?.headers ?? {}).sort();

    const cookieStatuses: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const headers = response.headers ?? {};
          if (headers['Set-Cookie']) cookieStatuses.push(`${method} ${path} ${status}`);
          assert.equal(headers['WWW-Authenticate']?.required, status === '401' ? true : undefined, `${method} ${path} ${status}`);
          if (status === '429') assert.equal(headers['Retry-After']?.required, true, `${method} ${path} 429`);
          if (status === '503') assert.ok(headers['Retry-After'] && !headers['Retry-After'].required, `${method} ${path} 503`);
        }
      }
    }
    assert.deepEqual(cookieStatuses.sort(), [
      'post /logout 204', 'post /passkeys/authenticate 200', 'post /passwordless/exchange/email 200', 'post /passwordless/exchange/mobile 200',
      'post /passwordless/exchange/standalone 200', 'post /token/refresh 200', 'post /token/refresh 400',
    ]);
    assert.match(document.paths['/token/refresh']!.post!.responses['200']!.headers!['Set-Cookie']!.description, /__Host-sesame_refresh=<token>; Max-Age=/);
    assert.match(document.paths['/token/refresh']!.post!.responses['400']!.headers!['Set-Cookie']!.description, /Max-Age=0/);
    assert.deepEqual(headersOf(document, '/me', 'get', '401'), ['WWW-Authenticate']);
    // The admin listener: its keys are scoped, so a 403 carries the challenge too; nothing there is rate-limited.
    assert.deepEqual(headersOf(admin, '/admin/users', 'get', '401'), ['WWW-Authenticate']);
    assert.deepEqual(headersOf(admin, '/admin/users', 'get', '403'), ['WWW-Authenticate']);
    assert.deepEqual(headersOf(document, '/passwordless/request/email', 'post', '403'), []);
  });

  it('serves the reference at /docs from its own files, with a policy scoped to its pages; the API keeps default-src none (S35)', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const page = await fetch(`${sesame.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'no script, style or font from another host');
    const docsPolicy = page.headers.get('content-security-policy') ?? '';
    assert.match(docsPolicy, /default-src 'self'/);
    assert.match(docsPolicy, /frame-ancestors 'none'/);
    assert.doesNotMatch(docsPolicy, /unsafe-inline|unsafe-eval|https:/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const script = await fetch(`${sesame.url}/docs/static/swagger-ui-bundle.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    await script.arrayBuffer();
    // The reference reads the same document.
    const fromReference = await fetch(`${sesame.url}/docs/json`);
    assert.deepEqual(await fromReference.json(), await (await fetch(`${sesame.url}/openapi.json`)).json());

    for (const path of ['/openapi.json', '/healthz', '/me', '/nowhere']) {
      const api = await fetch(`${sesame.url}${path}`);
      await api.arrayBuffer();
      assert.equal(api.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", path);
    }
  });

  it('renders the reference in Chromium under its own policy, listing every operation of the document', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const document = await (await fetch(`${sesame.url}/openapi.json`)).json() as Document;
    const operations = Object.values(document.paths).reduce((count, methods) => count + Object.keys(methods).length, 0);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    suite.after(() => browser.close());
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('requestfailed', (request) => failures.push(`${request.url()} ${request.failure()?.errorText}`));
    await page.goto(`${sesame.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    assert.equal(await page.locator('.opblock').count(), operations);
    assert.deepEqual(failures, [], 'every script and style loads from Sesame itself');
  });

  it('serves neither the document nor the reference with DOCS_ENABLED=false', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db, env: { DOCS_ENABLED: 'false' } });
    for (const path of ['/openapi.json', '/docs', '/docs/json', '/docs/static/index.html']) {
      const response = await fetch(`${sesame.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal((await response.json() as { code: string }).code, 'not_found');
    }
    const admin = await fetch(`${sesame.adminUrl}/openapi.json`);
    assert.equal(admin.status, 404);
    await admin.arrayBuffer();
  });

  it('describes the admin listener in its own document, served on the admin port', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const response = await fetch(`${sesame.adminUrl}/openapi.json`);
    assert.equal(response.status, 200);
    const document = await response.json() as Document;
    assert.equal(document.openapi, '3.1.0');
    assert.ok(document.paths['/metrics']?.get?.responses['200']?.content?.['text/plain']);
    assert.equal(document.paths['/passwordless/request/email'], undefined);
    assert.equal((await fetch(`${sesame.adminUrl}/docs`)).status, 404);
  });

  it('fails the test whose app sends a response the document does not allow', async () => {
    const db = await withDatabase(suite);
    const sesame = await startTestApp({
      db,
      // A deliberate drift: /healthz answers a body its schema does not allow.
      configure: (app) => app.addHook('onSend', async (request, _reply, payload) => (request.url === '/healthz' ? '{"status":42}' : payload)),
    });
    const response = await fetch(`${sesame.url}/healthz`);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.ok(sesame.contractViolations.length > 0);
    await assert.rejects(sesame.close(), /GET \/healthz → 200: body\/status must be/);
  });

  it('checks status, media type and body of a response against the document', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const checker = contractChecker(await (await fetch(`${sesame.url}/openapi.json`)).json());
    const problem = (code: keyof typeof ERRORS) => JSON.stringify({ type: 'about:blank', title: ERRORS[code].title, status: ERRORS[code].status, detail: ERRORS[code].detail, code });
    const accepted = { method: 'POST', route: '/passwordless/request/email', contentType: 'application/json; charset=utf-8' };

    assert.deepEqual(checker.check({ ...accepted, status: 202, body: '{"detail":"If this identifier can sign in, a code is on its way."}' }), []);
    assert.deepEqual(checker.check({ ...accepted, status: 400, contentType: 'application/problem+json', body: problem('invalid_email') }), []);
    // A status the route does not give.
    assert.match(checker.check({ ...accepted, status: 201, body: '{}' }).join(), /status 201 is not documented/);
    // A problem whose code belongs to another status, or is not in the table.
    assert.match(checker.check({ ...accepted, status: 400, contentType: 'application/problem+json', body: problem('throttled') }).join(), /code must be equal to one of the allowed values|status must be equal to constant/);
    assert.match(checker.check({ ...accepted, status: 400, contentType: 'application/problem+json', body: problem('invalid_email').replace('invalid_email', 'no_such_code') }).join(), /code must be equal to one of the allowed values/);
    // The wrong media type, and a body with a missing field.
    assert.match(checker.check({ ...accepted, status: 400, contentType: 'application/json', body: problem('invalid_email') }).join(), /content type application\/json is not one of application\/problem\+json/);
    assert.match(checker.check({ ...accepted, status: 202, body: '{}' }).join(), /must have required property 'detail'/);
    // A route the document does not know, and an unmatched path answered with anything but the not-found problem.
    assert.match(checker.check({ method: 'GET', route: '/secret', status: 200, contentType: 'application/json', body: '{}' }).join(), /not in the OpenAPI document/);
    assert.deepEqual(checker.check({ method: 'GET', route: undefined, status: 404, contentType: 'application/problem+json', body: problem('not_found') }), []);
    assert.match(checker.check({ method: 'GET', route: undefined, status: 200, contentType: 'application/json', body: '{}' }).join(), /not 404/);
  });

  it('checks the Set-Cookie, Retry-After and WWW-Authenticate a response carries against the document', async () => {
    const db = await withDatabase(suite);
    const sesame = await withTestApp(suite, { db });
    const checker = contractChecker(await (await fetch(`${sesame.url}/openapi.json`)).json());
    const problem = (code: keyof typeof ERRORS) => JSON.stringify({ type: 'about:blank', title: ERRORS[code].title, status: ERRORS[code].status, detail: ERRORS[code].detail, code });
    const json = 'application/json; charset=utf-8';
    const tokens = '{"access_token":"a","token_type":"Bearer","expires_in":900}';
    const cookie = '__Host-sesame_refresh=x; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Strict';

    // Documented: the cookie where the route sets it, the challenge on 401, Retry-After on 429.
    assert.deepEqual(checker.check({ method: 'POST', route: '/token/refresh', status: 200, contentType: json, body: tokens, headers: { 'set-cookie': [cookie] } }), []);
    assert.deepEqual(checker.check({ method: 'GET', route: '/me', status: 401, contentType: 'application/problem+json', body: problem('invalid_access_token'), headers: { 'www-authenticate': 'Bearer' } }), []);
    assert.deepEqual(checker.check({ method: 'POST', route: '/passwordless/request/email', status: 429, contentType: 'application/problem+json', body: problem('throttled'), headers: { 'retry-after': '30' } }), []);
    // Not documented there: a cookie from a route that never sets one, a challenge on a 400.
    assert.match(checker.check({ method: 'POST', route: '/token/revoke', status: 200, contentType: json, body: 'null', headers: { 'set-cookie': [cookie] } }).join(), /header set-cookie is sent but not documented/);
    assert.match(checker.check({ method: 'POST', route: '/passwordless/exchange/email', status: 400, contentType: 'application/problem+json', body: problem('invalid_token'), headers: { 'www-authenticate': 'Bearer' } }).join(), /header www-authenticate is sent but not documented/);
    // Required and missing.
    assert.match(checker.check({ method: 'GET', route: '/me', status: 401, contentType: 'application/problem+json', body: problem('invalid_access_token'), headers: {} }).join(), /header www-authenticate is documented as required but not sent/);
    assert.match(checker.check({ method: 'POST', route: '/passwordless/request/email', status: 429, contentType: 'application/problem+json', body: problem('throttled'), headers: {} }).join(), /header retry-after is documented as required but not sent/);
  });
});
