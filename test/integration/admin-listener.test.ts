// The admin listener (S41): a second port sharing the app's services, serving the operators'
// routes (the metrics today) and nothing of the public API, and the public port none of its.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

describe('admin listener', () => {
  let db: TestDatabase;
  let app: TestApp;

  before(async () => {
    db = await createTestDatabase();
    app = await startTestApp({ db });
  });
  after(async () => {
    await app.close();
    await db.drop();
  });

  it('serves the Prometheus metrics on the admin port only', async () => {
    assert.ok(app.adminUrl);
    assert.notEqual(app.adminUrl, app.url);
    const metrics = await fetch(`${app.adminUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    // The counters are the public app's own: the two listeners share one set of services.
    app.app.metrics.counter('sesame_admin_listener_test_total', 'A counter bumped through the public app.').inc();
    assert.match(await (await fetch(`${app.adminUrl}/metrics`)).text(), /sesame_admin_listener_test_total 1/);

    const onPublic = await fetch(`${app.url}/metrics`);
    assert.equal(onPublic.status, 404);
    assert.match(onPublic.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await onPublic.json()) as { code: string }).code, 'not_found');
  });

  it('serves none of the public API', async () => {
    for (const path of ['/healthz', '/readyz', '/.well-known/jwks.json', '/.well-known/openid-configuration', '/me']) {
      const response = await fetch(`${app.adminUrl}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { code: string }).code, 'not_found');
    }
    const request = await fetch(`${app.adminUrl}/passwordless/request/email`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'someone@example.com' }),
    });
    assert.equal(request.status, 404);
    // The public port still answers its own routes.
    assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
  });

  it('carries the same security headers as the public port', async () => {
    const response = await fetch(`${app.adminUrl}/metrics`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('stops with the public app', async () => {
    const other = await startTestApp({ db });
    const adminUrl = other.adminUrl!;
    assert.equal((await fetch(`${adminUrl}/metrics`)).status, 200);
    await other.close();
    assert.equal(other.app.adminApp?.server.listening, false);
    await assert.rejects(fetch(`${adminUrl}/metrics`));
  });

  it('is off with ADMIN_PORT=0, and the metrics are then served nowhere', async () => {
    const off = await startTestApp({ db, env: { ADMIN_PORT: '0' } });
    try {
      assert.equal(off.app.adminApp, null);
      assert.equal(off.adminUrl, undefined);
      assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
    } finally {
      await off.close();
    }
  });

  it('defaults to port 3001 on HOST, and refuses the public port', () => {
    const config = loadConfig({ NODE_ENV: 'test', HOST: '10.0.0.5' });
    assert.equal(config.adminPort, 3001);
    assert.equal(config.adminHost, '10.0.0.5');
    assert.equal(loadConfig({ NODE_ENV: 'test', HOST: '10.0.0.5', ADMIN_HOST: '127.0.0.1' }).adminHost, '127.0.0.1');
    assert.throws(() => loadConfig({ NODE_ENV: 'test', PORT: '4000', ADMIN_PORT: '4000' }), /ADMIN_PORT: must differ from PORT/);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', ADMIN_PORT: '70000' }), /ADMIN_PORT: must be between 0 and 65535/);
  });
});
