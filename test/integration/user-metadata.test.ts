// Metadata: app_metadata (admin API only) travels in access tokens as the `app_metadata` claim,
// at exchange and at refresh; both objects appear in GET /me; a user changes only their own
// user_metadata with PATCH /me; each is a JSON object of at most 4 KB.
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { decodeJwt } from 'jose';
import type { TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { signIn } from '../helpers/sign-in.ts';

describe('user metadata', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  let key: string;

  before(async () => {
    db = await withDatabase(suite);
    ({ ses } = await withLocalAws(suite, { ses: true }));
    server = await withTestApp(suite, { db, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0' } });
    key = await createAdminKey(server, ['users:write']);
  });

  async function createUser(body: Record<string, unknown>): Promise<string> {
    const response = await adminCall(server, 'POST', '/admin/users', key, body);
    assert.equal(response.status, 201);
    return ((await response.json()) as { id: string }).id;
  }
  const me = (token: string) => fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } });
  const patchMe = (token: string | undefined, body: unknown) => fetch(`${server.url}/me`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  it('puts app_metadata into access tokens at exchange and at refresh, as it is then', async () => {
    const userId = await createUser({ email: 'claims@example.com', app_metadata: { roles: ['admin'], tenant: 'acme' }, user_metadata: { theme: 'dark' } });
    const tokens = await signIn(server, ses, 'claims@example.com');
    const claims = decodeJwt(tokens.access_token);
    assert.deepEqual(claims.app_metadata, { roles: ['admin'], tenant: 'acme' });
    assert.equal(claims.user_metadata, undefined, 'user_metadata stays out of tokens');

    assert.equal((await adminCall(server, 'PATCH', `/admin/users/${userId}`, key, { app_metadata: { roles: ['viewer'] } })).status, 200);
    const refreshed = await server.post('/token/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(refreshed.status, 200);
    assert.deepEqual(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token).app_metadata, { roles: ['viewer'] });
  });

  it('leaves the claim out for a user without app_metadata', async () => {
    await createUser({ email: 'plain@example.com' });
    const tokens = await signIn(server, ses, 'plain@example.com');
    assert.equal('app_metadata' in decodeJwt(tokens.access_token), false);
  });

  it('shows both objects in GET /me, and PATCH /me replaces only user_metadata', async () => {
    const userId = await createUser({ email: 'self@example.com', app_metadata: { plan: 'pro' }, user_metadata: { theme: 'dark' } });
    const tokens = await signIn(server, ses, 'self@example.com');
    const before = (await (await me(tokens.access_token)).json()) as Record<string, unknown>;
    assert.deepEqual([before.app_metadata, before.user_metadata], [{ plan: 'pro' }, { theme: 'dark' }]);

    // app_metadata in the body is not the user's to change: it is ignored.
    const response = await patchMe(tokens.access_token, { user_metadata: { theme: 'light', locale: 'pt-BR' }, app_metadata: { plan: 'enterprise' } });
    assert.equal(response.status, 200);
    const after = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(after.user_metadata, { theme: 'light', locale: 'pt-BR' });
    assert.deepEqual(after.app_metadata, { plan: 'pro' });
    assert.deepEqual({ ...after, user_metadata: undefined }, { ...before, user_metadata: undefined });
    const { rows } = await db.pool.query('SELECT app_metadata, user_metadata FROM users WHERE id = $1', [userId]);
    assert.deepEqual(rows, [{ app_metadata: { plan: 'pro' }, user_metadata: { theme: 'light', locale: 'pt-BR' } }]);
    assert.deepEqual(((await (await me(tokens.access_token)).json()) as Record<string, unknown>).user_metadata, { theme: 'light', locale: 'pt-BR' });
    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT outcome, client_ip, detail FROM audit_events WHERE event = 'user.metadata_updated' AND user_id = $1`, [userId]);
    assert.deepEqual(audit.rows, [{ outcome: 'succeeded', client_ip: '127.0.0.1', detail: { sessionId: decodeJwt(tokens.access_token).sid } }]);
  });

  it('refuses metadata that is not an object of at most 4 KB, and writes nothing', async () => {
    const userId = await createUser({ email: 'limits@example.com', user_metadata: { keep: true } });
    const tokens = await signIn(server, ses, 'limits@example.com');
    for (const body of [{ user_metadata: { blob: 'x'.repeat(4090) } }, { user_metadata: [1] }, { user_metadata: 'x' }, { user_metadata: null }, {}]) {
      const response = await patchMe(tokens.access_token, body);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_metadata');
    }
    for (const body of ['[]', 'not json']) {
      const response = await patchMe(tokens.access_token, body);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_request');
    }
    const multibyte = { text: 'é'.repeat(2100) };
    assert.ok(JSON.stringify(multibyte).length < 4096 && Buffer.byteLength(JSON.stringify(multibyte)) > 4096);
    assert.equal((await patchMe(tokens.access_token, { user_metadata: multibyte })).status, 400, 'the limit counts UTF-8 bytes');
    assert.deepEqual((await db.pool.query('SELECT user_metadata FROM users WHERE id = $1', [userId])).rows[0].user_metadata, { keep: true });
  });

  it('needs a live session: no token, or a logged-out one, is 401 and changes nothing', async () => {
    const userId = await createUser({ email: 'gone@example.com' });
    const tokens = await signIn(server, ses, 'gone@example.com');
    assert.equal((await patchMe(undefined, { user_metadata: { a: 1 } })).status, 401);
    assert.equal((await fetch(`${server.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 204);
    const response = await patchMe(tokens.access_token, { user_metadata: { a: 1 } });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, 'invalid_access_token');
    assert.deepEqual((await db.pool.query('SELECT user_metadata FROM users WHERE id = $1', [userId])).rows[0].user_metadata, {});
  });
});
