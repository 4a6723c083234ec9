// /admin/clients: the same fields and validation as `npm run clients`, behind the clients:write
// scope, every change audited with the key id (S41); a client made here is usable at once, and
// a sign-in link can be minted for it.
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { decodeJwt } from 'jose';
import type { TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';

interface ClientItem {
  client_id: string; name: string; allowed_origins: string[]; login_url: string | null; allowed_methods: string[]; audience: string;
  access_token_ttl: number; refresh_token_ttl: number; refresh_token_delivery: string; email_from: string | null;
  default: boolean; stored: boolean; created_at: string | null; updated_at: string | null;
}

describe('admin clients', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;
  let key: string;
  let keyId: string;

  before(async () => {
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db });
    key = await createAdminKey(server, ['clients:write', 'users:write'], 'clients');
    keyId = (await db.pool.query(`SELECT id FROM admin_api_keys WHERE name = 'clients'`)).rows[0].id;
  });

  const call = (method: string, path: string, body?: unknown) => adminCall(server, method, path, key, body);
  async function problem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.code, code);
    return body;
  }
  const storedClients = async () => (await db.pool.query('SELECT client_id FROM clients ORDER BY client_id')).rows.map((row) => row.client_id);

  it('needs a key with clients:write on every route (S41)', async () => {
    const other = await createAdminKey(server, ['users:read', 'users:write', 'sessions:write', 'audit:read', 'keys:write', 'webhooks:write']);
    for (const [method, path, body] of [['GET', '/admin/clients'], ['GET', '/admin/clients/sesame'], ['POST', '/admin/clients', { client_id: 'nope' }], ['PATCH', '/admin/clients/sesame', { name: 'x' }], ['DELETE', '/admin/clients/sesame']] as const) {
      assert.equal((await adminCall(server, method, path, undefined, body)).status, 401, `${method} ${path}`);
      await problem(await adminCall(server, method, path, other, body), 403, 'insufficient_scope');
    }
    assert.deepEqual(await storedClients(), []);
  });

  it('creates a client (201), usable at once, audited with the key id', async () => {
    const response = await call('POST', '/admin/clients', {
      client_id: 'web', name: 'Web app', allowed_origins: ['https://app.example'], login_url: 'https://app.example/login?token={token}',
      audience: 'web-api', access_token_ttl: 600, refresh_token_delivery: 'cookie',
    });
    assert.equal(response.status, 201);
    const client = (await response.json()) as ClientItem;
    assert.deepEqual({ ...client, created_at: null, updated_at: null }, {
      client_id: 'web', name: 'Web app', allowed_origins: ['https://app.example'], login_url: 'https://app.example/login?token={token}',
      allowed_methods: ['email', 'mobile'], audience: 'web-api', access_token_ttl: 600, refresh_token_ttl: server.config.refreshTokenTtlSeconds,
      refresh_token_delivery: 'cookie', email_from: null, default: false, stored: true, created_at: null, updated_at: null,
    });
    assert.deepEqual(await storedClients(), ['web']);
    // The registry in this process knows it at once.
    assert.equal((await server.post('/passwordless/request/email', { email: 'someone@example.com', client_id: 'web' })).status, 202);

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT detail FROM audit_events WHERE event = 'admin.client_created'`);
    assert.deepEqual(audit.rows, [{ detail: { clientId: 'web', adminKeyId: keyId } }]);
    await problem(await call('POST', '/admin/clients', { client_id: 'web' }), 409, 'client_exists');
  });

  it('refuses bad settings with 400 invalid_client_settings naming each bad field, and stores nothing', async () => {
    const before = await storedClients();
    const body = await problem(await call('POST', '/admin/clients', {
      client_id: 'Bad Id', allowed_origins: ['https://*.example'], login_url: 'javascript:alert(1)//{token}', access_token_ttl: 5,
    }), 400, 'invalid_client_settings');
    const fields = (body.errors as { field: string; message: string }[]).map((problem) => problem.field).sort();
    assert.deepEqual(fields, ['access_token_ttl', 'allowed_origins', 'client_id', 'login_url']);
    // Wrong JSON types are refused by the schema with the same code.
    await problem(await call('POST', '/admin/clients', { client_id: 'typed', access_token_ttl: 'long' }), 400, 'invalid_client_settings');
    await problem(await call('POST', '/admin/clients', { name: 'no id' }), 400, 'invalid_client_settings');
    assert.deepEqual(await storedClients(), before);
  });

  it('reads, pages, changes and removes clients', async () => {
    assert.equal((await call('POST', '/admin/clients', { client_id: 'mobile-app', allowed_methods: ['mobile'] })).status, 201);
    const sesame = (await (await call('GET', '/admin/clients/sesame')).json()) as ClientItem;
    assert.equal(sesame.default, true);
    await problem(await call('GET', '/admin/clients/unknown'), 404, 'not_found');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await call('GET', `/admin/clients?limit=1${cursor === null ? '' : `&cursor=${cursor}`}`)).json()) as { data: ClientItem[]; next_cursor: string | null };
      assert.ok(page.data.length <= 1);
      seen.push(...page.data.map((client) => client.client_id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(seen, ['mobile-app', 'sesame', 'web']);
    await problem(await call('GET', '/admin/clients?cursor=nope'), 400, 'invalid_cursor');
    await problem(await call('GET', '/admin/clients?limit=0'), 400, 'invalid_query');

    const changed = (await (await call('PATCH', '/admin/clients/mobile-app', { name: 'Phone app', allowed_methods: null })).json()) as ClientItem;
    assert.equal(changed.name, 'Phone app');
    assert.deepEqual(changed.allowed_methods, ['email', 'mobile'], 'null puts the fallback back');
    await problem(await call('PATCH', '/admin/clients/mobile-app', { allowed_origins: ['not an origin'] }), 400, 'invalid_client_settings');
    await problem(await call('PATCH', '/admin/clients/unknown', { name: 'x' }), 404, 'not_found');

    const removed = await call('DELETE', '/admin/clients/mobile-app');
    assert.equal(removed.status, 204);
    await problem(await call('DELETE', '/admin/clients/mobile-app'), 404, 'not_found');
    assert.equal((await server.post('/passwordless/request/email', { email: 'someone@example.com', client_id: 'mobile-app' })).status, 400);

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT event, detail FROM audit_events WHERE event LIKE 'admin.client_%' AND detail->>'clientId' = 'mobile-app' ORDER BY id`);
    assert.deepEqual(audit.rows.map((row) => [row.event, row.detail.fields ?? null, row.detail.adminKeyId]), [
      ['admin.client_created', null, keyId],
      ['admin.client_updated', 'allowed_methods,name', keyId],
      ['admin.client_deleted', null, keyId],
    ]);
  });

  it("mints a sign-in link under a client: its login URL, its exchange, its audience", async () => {
    const created = await call('POST', '/admin/users', { email: 'client-link@example.com' });
    const userId = ((await created.json()) as { id: string }).id;
    const response = await call('POST', `/admin/users/${userId}/sign-in-link`, { client_id: 'web' });
    assert.equal(response.status, 200);
    const link = (await response.json()) as { link: string; token: string };
    assert.equal(link.link, `https://app.example/login?token=${link.token}`);
    // Only the client it was minted for can exchange it.
    assert.equal((await server.post('/passwordless/exchange/standalone', { token: link.token })).status, 400);
    const exchange = await server.post('/passwordless/exchange/standalone', { token: link.token, client_id: 'web' }, { origin: 'https://app.example' });
    assert.equal(exchange.status, 200);
    const claims = decodeJwt(((await exchange.json()) as { access_token: string }).access_token);
    assert.equal(claims.aud, 'web-api');
    assert.equal(claims.sub, userId);
    await problem(await call('POST', `/admin/users/${userId}/sign-in-link`, { client_id: 'unknown' }), 400, 'invalid_client');
  });
});
