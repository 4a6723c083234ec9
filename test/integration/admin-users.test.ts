// The admin API's users: every route's authentication and scope (S41), listing with exact
// identifiers (normalised as at sign-in, S14, S15), prefix search and cursor pagination, reading,
// creating (with an invite through the outbox) and changing users, with validation that writes
// nothing.
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { codeIn, eventually, type TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';
import type { SesLocal } from '../helpers/ses-local.ts';

interface User {
  id: string; email: string | null; phone_number: string | null; email_verified: boolean; phone_number_verified: boolean;
  disabled: boolean; is_admin: boolean; app_metadata: Record<string, unknown>; user_metadata: Record<string, unknown>;
  created_at: string; updated_at: string; last_login_at: string | null;
}
interface UserPage { data: User[]; next_cursor: string | null }

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('admin users', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  let key: string;

  before(async () => {
    db = await withDatabase(suite);
    ({ ses } = await withLocalAws(suite, { ses: true }));
    server = await withTestApp(suite, { db });
    key = await createAdminKey(server, ['users:read', 'users:write'], 'users');
  });

  const call = (method: string, path: string, body?: unknown) => adminCall(server, method, path, key, body);
  async function create(body: Record<string, unknown>): Promise<User> {
    const response = await call('POST', '/admin/users', body);
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as User;
  }
  async function problem(response: Response, status: number, code: string): Promise<void> {
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await response.json()) as { code: string }).code, code);
  }
  const userCount = async () => (await db.pool.query('SELECT count(*)::int AS n FROM users')).rows[0].n as number;

  it('every users route needs a key and its scope (S41)', async () => {
    const someone = await create({ email: 'scoped@example.com' });
    const routes: [string, string, string, unknown?][] = [
      ['GET', '/admin/users', 'users:read'],
      ['GET', `/admin/users/${someone.id}`, 'users:read'],
      ['GET', `/admin/users/${someone.id}/sessions`, 'users:read'],
      ['POST', '/admin/users', 'users:write', { email: 'never-created@example.com' }],
      ['PATCH', `/admin/users/${someone.id}`, 'users:write', { disabled: true }],
      ['DELETE', `/admin/users/${someone.id}`, 'users:write'],
      ['POST', `/admin/users/${someone.id}/sign-in-link`, 'users:write', {}],
      ['DELETE', `/admin/users/${someone.id}/sessions`, 'sessions:write'],
      ['GET', '/admin/audit-events', 'audit:read'],
    ];
    for (const [method, path, scope, body] of routes) {
      const missing = await adminCall(server, method, path, undefined, body);
      assert.equal(missing.status, 401, `${method} ${path} without a key`);
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
      // A key with every scope but this one.
      const others = await createAdminKey(server, (['users:read', 'users:write', 'sessions:write', 'audit:read', 'keys:write'] as const).filter((s) => s !== scope));
      const refused = await adminCall(server, method, path, others, body);
      await problem(refused, 403, 'insufficient_scope');
      // On the public port there is no such route.
      assert.equal((await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } })).status, 404);
    }
    // Nothing changed: the user is there, enabled, and no user was created.
    const after = (await (await call('GET', `/admin/users/${someone.id}`)).json()) as User;
    assert.equal(after.disabled, false);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'never-created@example.com'`)).rows[0].n, 0);
  });

  it('creates a user with normalised identifiers and metadata: 201, audited with the key id', async () => {
    const user = await create({ email: '  Ada.Lovelace@Example.COM ', phone_number: '+1 (415) 555-0199', app_metadata: { roles: ['support'], tenant: 't1' }, user_metadata: { theme: 'dark' } });
    assert.equal(user.email, 'ada.lovelace@example.com');
    assert.equal(user.phone_number, '+14155550199');
    assert.equal(user.email_verified, false);
    assert.equal(user.disabled, false);
    assert.equal(user.is_admin, false);
    assert.deepEqual(user.app_metadata, { roles: ['support'], tenant: 't1' });
    assert.deepEqual(user.user_metadata, { theme: 'dark' });
    assert.equal(user.last_login_at, null);
    assert.equal((user as unknown as { invite_requested: boolean }).invite_requested, false);
    const { rows } = await db.pool.query('SELECT email, phone_number, app_metadata, user_metadata FROM users WHERE id = $1', [user.id]);
    assert.deepEqual(rows, [{ email: 'ada.lovelace@example.com', phone_number: '+14155550199', app_metadata: { roles: ['support'], tenant: 't1' }, user_metadata: { theme: 'dark' } }]);

    await server.app.services.audit.flush();
    const keyId = (await db.pool.query(`SELECT id FROM admin_api_keys WHERE name = 'users'`)).rows[0].id;
    const audit = await db.pool.query(`SELECT outcome, detail FROM audit_events WHERE event = 'admin.user_created' AND user_id = $1`, [user.id]);
    assert.deepEqual(audit.rows, [{ outcome: 'succeeded', detail: { adminKeyId: keyId } }]);
  });

  it('refuses a taken identifier with 409 user_exists, whatever its spelling', async () => {
    await create({ email: 'taken@example.com' });
    await problem(await call('POST', '/admin/users', { email: 'TAKEN@example.com' }), 409, 'user_exists');
    await create({ phone_number: '+14155550188' });
    await problem(await call('POST', '/admin/users', { email: 'fresh@example.com', phone_number: '+1 415 555 0188' }), 409, 'user_exists');
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM users WHERE email = 'fresh@example.com'`)).rows[0].n, 0);
  });

  it('refuses bad input with a stable code and writes nothing', async () => {
    const before = await userCount();
    const cases: [unknown, string][] = [
      [{}, 'identifier_required'],
      [{ app_metadata: { a: 1 } }, 'identifier_required'],
      [{ email: 'a@b.com, c@d.com' }, 'invalid_email'],
      [{ email: 'Eve <eve@example.com>' }, 'invalid_email'],
      [{ email: 42 }, 'invalid_email'],
      [{ phone_number: '12345' }, 'invalid_phone_number'],
      [{ email: 'meta@example.com', app_metadata: [1, 2] }, 'invalid_metadata'],
      [{ email: 'meta@example.com', user_metadata: 'text' }, 'invalid_metadata'],
      [{ email: 'meta@example.com', user_metadata: { blob: 'x'.repeat(4090) } }, 'invalid_metadata'],
      [{ email: 'meta@example.com', send_invite: 'yes' }, 'invalid_request'],
      ['[]', 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const response = typeof body === 'string'
        ? await fetch(`${server.adminUrl}/admin/users`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body })
        : await call('POST', '/admin/users', body);
      await problem(response, 400, code);
    }
    // 4 KB exactly is allowed.
    const exactly = { blob: 'x'.repeat(4096 - JSON.stringify({ blob: '' }).length) };
    assert.equal(JSON.stringify(exactly).length, 4096);
    const fits = await create({ email: 'fits@example.com', user_metadata: exactly });
    assert.deepEqual(fits.user_metadata, exactly);
    assert.equal(await userCount(), before + 1);
  });

  it('send_invite sends a sign-in code through the normal outbox, and the code signs in', async () => {
    const user = await create({ email: 'invited@example.com', send_invite: true });
    assert.equal((user as unknown as { invite_requested: boolean }).invite_requested, true);
    const mail = await eventually(async () => (await ses.emails('invited@example.com'))[0]);
    const exchange = await server.post('/passwordless/exchange/email', { email: 'invited@example.com', token: codeIn(mail.body.text ?? '') });
    assert.equal(exchange.status, 200);
    const { rows } = await db.pool.query(`SELECT status FROM delivery_jobs WHERE user_id = $1`, [user.id]);
    assert.deepEqual(rows, [{ status: 'delivered' }]);
  });

  it('reads one user; an unknown or malformed id is 404', async () => {
    const user = await create({ phone_number: '+14155550177' });
    const response = await call('GET', `/admin/users/${user.id}`);
    assert.equal(response.status, 200);
    const { invite_requested: _, ...stored } = user as User & { invite_requested?: boolean };
    assert.deepEqual(await response.json(), stored);
    await problem(await call('GET', `/admin/users/${UNKNOWN_ID}`), 404, 'not_found');
    await problem(await call('GET', '/admin/users/not-a-uuid'), 404, 'not_found');
  });

  it('finds users by exact identifier, normalised as at sign-in, and by prefix', async () => {
    const grace = await create({ email: 'grace.hopper@navy.example', phone_number: '+14155550166' });
    await create({ email: 'grace.kelly@monaco.example' });
    const byEmail = (await (await call('GET', `/admin/users?email=${encodeURIComponent(' Grace.Hopper@NAVY.example')}`)).json()) as UserPage;
    assert.deepEqual(byEmail.data.map((user) => user.id), [grace.id]);
    assert.equal(byEmail.next_cursor, null);
    const byPhone = (await (await call('GET', `/admin/users?phone_number=${encodeURIComponent('+1 415-555-0166')}`)).json()) as UserPage;
    assert.deepEqual(byPhone.data.map((user) => user.id), [grace.id]);
    const none = (await (await call('GET', '/admin/users?email=nobody@example.com')).json()) as UserPage;
    assert.deepEqual(none, { data: [], next_cursor: null });
    const prefix = (await (await call('GET', '/admin/users?q=GRACE.')).json()) as UserPage;
    assert.deepEqual(prefix.data.map((user) => user.email).sort(), ['grace.hopper@navy.example', 'grace.kelly@monaco.example']);
    const phonePrefix = (await (await call('GET', `/admin/users?q=${encodeURIComponent('+1415555016')}`)).json()) as UserPage;
    assert.deepEqual(phonePrefix.data.map((user) => user.id), [grace.id]);
    // LIKE wildcards in q are literal characters.
    assert.deepEqual(((await (await call('GET', '/admin/users?q=%25')).json()) as UserPage).data, []);
    assert.deepEqual(((await (await call('GET', '/admin/users?q=grace_')).json()) as UserPage).data, []);
    await problem(await call('GET', '/admin/users?email=not-an-address'), 400, 'invalid_email');
    await problem(await call('GET', '/admin/users?phone_number=12'), 400, 'invalid_phone_number');
  });

  it('pages through every user with limit and an opaque cursor, each exactly once', async () => {
    for (let i = 0; i < 7; i++) await create({ email: `page-${i}@paging.example` });
    const total = await userCount();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call('GET', `/admin/users?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`);
      assert.equal(response.status, 200);
      const page = (await response.json()) as UserPage;
      assert.ok(page.data.length <= 3);
      seen.push(...page.data.map((user) => user.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
    assert.equal(pages, Math.ceil(total / 3));
    // Default 50, at most 200.
    assert.equal(((await (await call('GET', '/admin/users')).json()) as UserPage).data.length, Math.min(total, 50));
    assert.equal((await call('GET', '/admin/users?limit=200')).status, 200);
    const prefixPage = (await (await call('GET', '/admin/users?q=page-&limit=5')).json()) as UserPage;
    assert.equal(prefixPage.data.length, 5);
    const rest = (await (await call('GET', `/admin/users?q=page-&limit=5&cursor=${prefixPage.next_cursor}`)).json()) as UserPage;
    assert.equal(rest.data.length, 2);
    assert.equal(rest.next_cursor, null);
    for (const limit of ['0', '201', 'abc', '-1', '1.5']) await problem(await call('GET', `/admin/users?limit=${limit}`), 400, 'invalid_query');
    for (const cursor of ['garbage', Buffer.from('["x"]').toString('base64url'), Buffer.from('["2026-01-01T00:00:00.000Z","nope"]').toString('base64url'), '%%%']) {
      await problem(await call('GET', `/admin/users?cursor=${cursor}`), 400, 'invalid_cursor');
    }
  });

  it('changes identifiers (normalised, unverified again) and metadata, leaving absent fields alone', async () => {
    const user = await create({ email: 'change-me@example.com', app_metadata: { plan: 'free' }, user_metadata: { a: 1 } });
    await db.pool.query('UPDATE users SET email_verified = true WHERE id = $1', [user.id]);
    const response = await call('PATCH', `/admin/users/${user.id}`, { email: ' Changed@Example.com', app_metadata: { plan: 'pro', seats: 3 } });
    assert.equal(response.status, 200);
    const changed = (await response.json()) as User;
    assert.equal(changed.email, 'changed@example.com');
    assert.equal(changed.email_verified, false);
    assert.deepEqual(changed.app_metadata, { plan: 'pro', seats: 3 });
    assert.deepEqual(changed.user_metadata, { a: 1 });
    assert.ok(changed.updated_at > user.updated_at);

    // Adding a phone number, then removing the address: the number is what is left.
    const withPhone = (await (await call('PATCH', `/admin/users/${user.id}`, { phone_number: '+14155550155' })).json()) as User;
    assert.equal(withPhone.phone_number, '+14155550155');
    const phoneOnly = (await (await call('PATCH', `/admin/users/${user.id}`, { email: null })).json()) as User;
    assert.equal(phoneOnly.email, null);
    await problem(await call('PATCH', `/admin/users/${user.id}`, { phone_number: null }), 400, 'identifier_required');

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT detail->>'fields' AS fields FROM audit_events WHERE event = 'admin.user_updated' AND user_id = $1 ORDER BY id`, [user.id]);
    assert.deepEqual(audit.rows.map((row) => row.fields), ['appMetadata,email', 'phoneNumber', 'email']);
  });

  it('refuses a patch to a taken identifier, bad metadata or an unknown user, and changes nothing', async () => {
    await create({ email: 'holder@example.com' });
    const user = await create({ email: 'mover@example.com' });
    await problem(await call('PATCH', `/admin/users/${user.id}`, { email: 'HOLDER@example.com' }), 409, 'user_exists');
    await problem(await call('PATCH', `/admin/users/${user.id}`, { email: 'bad' }), 400, 'invalid_email');
    await problem(await call('PATCH', `/admin/users/${user.id}`, { app_metadata: { big: 'y'.repeat(5000) } }), 400, 'invalid_metadata');
    await problem(await call('PATCH', `/admin/users/${user.id}`, { disabled: 'no' }), 400, 'invalid_request');
    await problem(await call('PATCH', `/admin/users/${UNKNOWN_ID}`, { disabled: true }), 404, 'not_found');
    const { rows } = await db.pool.query('SELECT email, app_metadata, disabled, updated_at FROM users WHERE id = $1', [user.id]);
    assert.deepEqual(rows, [{ email: 'mover@example.com', app_metadata: {}, disabled: false, updated_at: new Date(user.updated_at) }]);
  });
});
