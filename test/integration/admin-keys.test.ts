// Admin API keys and admin authentication (S41): keys of 256 bits shown once and stored as
// SHA-256 only, scoped, revocable; 401 with WWW-Authenticate: Bearer for a missing, unknown or
// revoked key, 403 insufficient_scope for a missing scope; every change audited with the key's id.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, before } from 'node:test';
import { runAdminCommand } from '../../src/cli/admin-commands.ts';
import { ADMIN_SCOPES } from '../../src/services/admin/admin-keys.ts';
import { testEnv, type TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';

const run = promisify(execFile);

describe('admin API keys', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;

  before(async () => {
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db });
  });

  async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdminCommand(argv, {
      keys: server.app.services.adminKeys,
      audit: server.app.services.audit,
      io: { out: (line) => out.push(line), err: (line) => err.push(line) },
    });
    return { code, out, err };
  }

  async function auditRows(event: string) {
    await server.app.services.audit.flush();
    const { rows } = await db.pool.query('SELECT * FROM audit_events WHERE event = $1 ORDER BY id', [event]);
    return rows;
  }

  it('keys create prints the id and a 256-bit key once, and stores only its SHA-256 (S41)', async () => {
    const created = await cli('keys', 'create', '--name', 'ops laptop');
    assert.equal(created.code, 0);
    assert.equal(created.out.length, 1);
    const printed = JSON.parse(created.out[0]!) as { id: string; key: string };
    assert.deepEqual(Object.keys(printed), ['id', 'key']);
    assert.match(printed.key, /^sak_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(printed.key.slice(4), 'base64url').length, 32);

    const { rows } = await db.pool.query('SELECT * FROM admin_api_keys WHERE id = $1', [printed.id]);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].key_hash, createHash('sha256').update(printed.key).digest());
    assert.equal(rows[0].name, 'ops laptop');
    // No --scopes: every scope.
    assert.deepEqual(rows[0].scopes, [...ADMIN_SCOPES]);
    assert.ok(!JSON.stringify(rows[0]).includes(printed.key.slice(4)), 'the key is not stored');

    const audit = await auditRows('admin.key_created');
    assert.deepEqual(audit.map((row) => row.detail), [{ adminKeyId: printed.id }]);
    assert.ok(!JSON.stringify(audit).includes(printed.key));

    const other = JSON.parse((await cli('keys', 'create', '--name', 'second')).out[0]!) as { key: string };
    assert.notEqual(other.key, printed.key);
  });

  it('keys create takes --scopes and refuses an unknown scope or a bad name', async () => {
    const scoped = await cli('keys', 'create', '--name', 'reader', '--scopes', 'users:read,audit:read');
    assert.equal(scoped.code, 0);
    const { id } = JSON.parse(scoped.out[0]!) as { id: string };
    assert.deepEqual((await db.pool.query('SELECT scopes FROM admin_api_keys WHERE id = $1', [id])).rows[0].scopes, ['users:read', 'audit:read']);

    const before = (await db.pool.query('SELECT count(*)::int AS n FROM admin_api_keys')).rows[0].n;
    const unknown = await cli('keys', 'create', '--name', 'x', '--scopes', 'users:read,root');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err.join('\n'), /unknown scope "root"/);
    assert.equal((await cli('keys', 'create', '--name', '   ')).code, 1);
    assert.equal((await cli('keys', 'create')).code, 2);
    assert.equal((await cli('keys', 'create', '--name', 'x', '--bogus')).code, 2);
    assert.equal((await cli('users', 'list')).code, 2);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM admin_api_keys')).rows[0].n, before, 'nothing stored');
  });

  it('keys list shows ids, names and scopes but never a key', async () => {
    const key = await createAdminKey(server, ['users:read'], 'listed');
    const listed = await cli('keys', 'list');
    assert.equal(listed.code, 0);
    const entries = listed.out.map((line) => JSON.parse(line) as Record<string, unknown>);
    const entry = entries.find((item) => item.name === 'listed');
    assert.ok(entry);
    assert.deepEqual(Object.keys(entry).sort(), ['created_at', 'id', 'last_used_at', 'name', 'revoked_at', 'scopes']);
    assert.deepEqual(entry.scopes, ['users:read']);
    assert.ok(!listed.out.join('\n').includes('sak_'));
    assert.ok(!listed.out.join('\n').includes(key.slice(4)));
  });

  it('a missing, malformed or unknown key answers 401 with WWW-Authenticate: Bearer', async () => {
    const missing = await adminCall(server, 'GET', '/admin/keys', undefined);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm="sesame-admin"$/);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await missing.json()) as { code: string }).code, 'invalid_api_key');

    for (const key of ['sak_' + 'A'.repeat(43), 'not-a-key', 'sak_short', `${await createAdminKey(server)}x`]) {
      const response = await adminCall(server, 'GET', '/admin/keys', key);
      assert.equal(response.status, 401, key);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="sesame-admin", error="invalid_token"');
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_api_key');
    }
    const basic = await fetch(`${server.adminUrl}/admin/keys`, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    assert.equal(basic.status, 401);
  });

  it('a revoked key stops working at once', async () => {
    const key = await createAdminKey(server, undefined, 'to revoke');
    assert.equal((await adminCall(server, 'GET', '/admin/keys', key)).status, 200);
    const id = (await db.pool.query('SELECT id FROM admin_api_keys WHERE key_hash = $1', [createHash('sha256').update(key).digest()])).rows[0].id as string;
    const revoked = await cli('keys', 'revoke', id);
    assert.equal(revoked.code, 0);
    assert.deepEqual(revoked.out, [`revoked ${id}`]);
    const after = await adminCall(server, 'GET', '/admin/keys', key);
    assert.equal(after.status, 401);
    assert.equal(((await after.json()) as { code: string }).code, 'invalid_api_key');
    assert.ok((await db.pool.query('SELECT revoked_at FROM admin_api_keys WHERE id = $1', [id])).rows[0].revoked_at instanceof Date);
    assert.deepEqual((await auditRows('admin.key_revoked')).map((row) => row.detail), [{ adminKeyId: id }]);
    // Revoking again, or an unknown id, fails.
    assert.equal((await cli('keys', 'revoke', id)).code, 1);
    assert.equal((await cli('keys', 'revoke', 'nope')).code, 1);
  });

  it("a key without the route's scope answers 403 insufficient_scope", async () => {
    const reader = await createAdminKey(server, ['users:read', 'audit:read']);
    const response = await adminCall(server, 'POST', '/admin/keys/rotate', reader);
    assert.equal(response.status, 403);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="sesame-admin", error="insufficient_scope", scope="keys:write"');
    assert.deepEqual(await response.json(), {
      type: 'about:blank', title: 'Insufficient scope', status: 403, detail: 'This admin API key lacks the scope this call needs.', code: 'insufficient_scope',
    });
    assert.equal((await adminCall(server, 'GET', '/admin/keys', reader)).status, 403);
  });

  it('records when a key was last used', async () => {
    const key = await createAdminKey(server, ['keys:write'], 'used');
    const hash = createHash('sha256').update(key).digest();
    assert.equal((await db.pool.query('SELECT last_used_at FROM admin_api_keys WHERE key_hash = $1', [hash])).rows[0].last_used_at, null);
    assert.equal((await adminCall(server, 'GET', '/admin/keys', key)).status, 200);
    assert.ok((await db.pool.query('SELECT last_used_at FROM admin_api_keys WHERE key_hash = $1', [hash])).rows[0].last_used_at instanceof Date);
  });

  it('the admin routes are not served on the public port', async () => {
    const key = await createAdminKey(server);
    for (const [method, path] of [['GET', '/admin/keys'], ['POST', '/admin/keys/rotate']] as const) {
      const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
      assert.equal(response.status, 404, path);
    }
  });

  it('the key never reaches the logs', async () => {
    const key = await createAdminKey(server);
    await adminCall(server, 'GET', '/admin/keys', key);
    await adminCall(server, 'GET', '/admin/keys', `${key}x`);
    assert.ok(!server.logs.join('\n').includes(key.slice(4)));
  });

  it('npm run admin runs the commands against DATABASE_URL', async () => {
    const env = { ...process.env, ...testEnv(db), MIGRATE_ON_START: 'false' };
    const created = await run('npm', ['run', '--silent', 'admin', '--', 'keys', 'create', '--name', 'from npm', '--scopes', 'audit:read'], { env });
    const printed = JSON.parse(created.stdout.trim()) as { id: string; key: string };
    assert.match(printed.key, /^sak_/);
    const listed = await run('npm', ['run', '--silent', 'admin', '--', 'keys', 'list'], { env });
    assert.ok(listed.stdout.includes(printed.id));
    assert.ok(!listed.stdout.includes(printed.key));
    await assert.rejects(run('npm', ['run', '--silent', 'admin', '--', 'keys'], { env }), (error: { code: number; stderr: string }) => error.code === 2 && /usage: npm run admin/.test(error.stderr));
  });
});
