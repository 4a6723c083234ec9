// GET /admin/keys and POST /admin/keys/rotate: the same list and lifecycle step as
// `npm run keys -- list | rotate` (S26), behind the keys:write scope, audited with the key id (S41).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it, before } from 'node:test';
import type { TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { eachTestScope, suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';

interface KeyItem { kid: string; alg: string; state: string; created_at: string; activated_at: string | null; retired_at: string | null }

describe('admin signing keys', () => {
  const suite = suiteScope();
  const each = eachTestScope();
  let db: TestDatabase;
  let server: TestApp;

  before(async () => {
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db });
  });

  it('lists the stored keys with public facts only', async () => {
    const key = await createAdminKey(server, ['keys:write']);
    const response = await adminCall(server, 'GET', '/admin/keys', key);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { data: KeyItem[] };
    const { rows } = await db.pool.query('SELECT kid, alg, state FROM signing_keys');
    assert.deepEqual(body.data.map(({ kid, alg, state }) => ({ kid, alg, state })), rows);
    assert.equal(body.data[0]!.state, 'current');
    assert.deepEqual(Object.keys(body.data[0]!).sort(), ['activated_at', 'alg', 'created_at', 'kid', 'retired_at', 'state']);
  });

  it('rotate creates a next key, published at once, and audits the key id', async () => {
    const key = await createAdminKey(server, ['keys:write'], 'rotator');
    const keyId = (await db.pool.query(`SELECT id FROM admin_api_keys WHERE name = 'rotator'`)).rows[0].id as string;
    const response = await adminCall(server, 'POST', '/admin/keys/rotate', key);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { created: string | null; promoted: string | null; removed: string[]; promotable_at: string | null; keys: KeyItem[] };
    assert.ok(body.created);
    assert.equal(body.promoted, null);
    assert.deepEqual(body.removed, []);
    assert.ok(body.promotable_at && Date.parse(body.promotable_at) > Date.now());
    assert.deepEqual(body.keys.map((item) => item.state).sort(), ['current', 'next']);
    assert.equal((await db.pool.query(`SELECT state FROM signing_keys WHERE kid = $1`, [body.created])).rows[0].state, 'next');
    // The same rule as the CLI: a second rotate waits for the next key to be published long enough.
    const again = (await (await adminCall(server, 'POST', '/admin/keys/rotate', key)).json()) as { created: string | null; promotable_at: string | null };
    assert.equal(again.created, null);
    assert.equal(again.promotable_at, body.promotable_at);

    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT outcome, detail, client_ip FROM audit_events WHERE event = 'admin.signing_keys_rotated' ORDER BY id`);
    assert.equal(audit.rows.length, 2);
    assert.deepEqual(audit.rows[0].detail, { adminKeyId: keyId, created: body.created, promoted: null, removed: 0 });
    assert.equal(audit.rows[0].outcome, 'succeeded');
    assert.equal(audit.rows[0].client_ip, '127.0.0.1');
    assert.ok(!JSON.stringify(audit.rows).includes(key.slice(4)));
  });

  it('answers 409 keys_managed_by_operator when JWT_PRIVATE_KEY is set', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const operated = await withTestApp(each, { db, env: { JWT_PRIVATE_KEY: pem.replace(/\n/g, '\\n'), JWT_KEY_ID: 'ops-key' } });
    const key = await createAdminKey(operated, ['keys:write']);
    const response = await adminCall(operated, 'POST', '/admin/keys/rotate', key);
    assert.equal(response.status, 409);
    assert.equal(((await response.json()) as { code: string }).code, 'keys_managed_by_operator');
  });
});
