// Operator-managed signing keys (JWT_PRIVATE_KEY as PEM or JWK, with a kid): the service then
// never generates or rotates keys. And OIDC discovery for sibling services.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadConfig } from '../../src/config/index.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { testEnv, TEST_SECRET } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { getWithToken, signIn } from '../helpers/sign-in.ts';
import { suiteScope, eachTestScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('operator-managed keys and discovery', () => {
  let ses: SesLocal;

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
  });
  // Each test's apps stop with it, so no dispatcher or key schedule outlives its test.
  const each = eachTestScope();

  function database(): Promise<TestDatabase> {
    return withDatabase(suite);
  }

  it('signs with a PEM key from JWT_PRIVATE_KEY under JWT_KEY_ID, and never generates one', async () => {
    const db = await database();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // Environment files often carry a PEM on one line with literal \n.
    const app = await withTestApp(each, { db, env: { JWT_PRIVATE_KEY: pem.replace(/\n/g, '\\n'), JWT_KEY_ID: 'ops-2026-11' } });
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM signing_keys');
    assert.equal(rows[0].n, 0, 'no key generated or stored');

    const { keys } = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    assert.deepEqual(Object.keys(keys[0]!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.equal(keys[0]!.kid, 'ops-2026-11');

    await createUser(db, 'operator@example.com');
    const tokens = await signIn(app, ses, 'operator@example.com');
    assert.equal(decodeProtectedHeader(tokens.access_token).kid, 'ops-2026-11');
    await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), {
      algorithms: ['ES256'], issuer: 'https://auth.sesame.test', audience: 'sesame-tests', typ: 'at+jwt',
    });
    assert.equal((await getWithToken(app, '/me', tokens.access_token)).status, 200);
    await assert.rejects(app.app.services.keys.maintain({ rotateNow: true }), /managed by the operator/);

    const cli = await run(['rotate'], { DATABASE_URL: db.url, SESAME_SECRET: TEST_SECRET, JWT_PRIVATE_KEY: pem, JWT_KEY_ID: 'ops-2026-11' });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /managed by the operator/);
    assert.ok(!cli.stderr.includes('PRIVATE KEY'), 'the key is never printed');
  });

  it('takes a private JWK with its own kid, e.g. Ed25519 with JWT_ALG=EdDSA', async () => {
    const db = await database();
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'ed-1' };
    const app = await withTestApp(each, { db, env: { JWT_ALG: 'EdDSA', JWT_PRIVATE_KEY: JSON.stringify(jwk) } });
    const { keys } = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    assert.deepEqual(keys, [{ kty: 'OKP', kid: 'ed-1', use: 'sig', alg: 'EdDSA', crv: 'Ed25519', x: jwk.x }]);
    await createUser(db, 'ed@example.com');
    const tokens = await signIn(app, ses, 'ed@example.com');
    assert.deepEqual(decodeProtectedHeader(tokens.access_token), { alg: 'EdDSA', kid: 'ed-1', typ: 'at+jwt' });
    assert.equal((await getWithToken(app, '/me', tokens.access_token)).status, 200);
  });

  it('refuses unusable operator keys at start, without echoing them', () => {
    const db = { url: 'postgresql://unused', name: 'unused' } as TestDatabase;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const cases: [Record<string, string>, RegExp][] = [
      [{ JWT_PRIVATE_KEY: 'not a key', JWT_KEY_ID: 'k' }, /JWT_PRIVATE_KEY: not a readable private key/],
      [{ JWT_PRIVATE_KEY: ec }, /JWT_PRIVATE_KEY: needs a key id/],
      [{ JWT_PRIVATE_KEY: ec, JWT_KEY_ID: 'k', JWT_ALG: 'RS256' }, /JWT_ALG=RS256 needs an RSA key/],
      [{ JWT_PRIVATE_KEY: JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })), JWT_KEY_ID: 'k', JWT_ALG: 'EdDSA' }, /no private part/],
      [{ JWT_KEY_ID: 'k' }, /JWT_KEY_ID: only meaningful with JWT_PRIVATE_KEY/],
    ];
    for (const [env, problem] of cases) {
      assert.throws(() => loadConfig(testEnv(db, env)), (error: Error) => {
        assert.match(error.message, problem);
        assert.ok(!error.message.includes('PRIVATE KEY'));
        return true;
      });
    }
  });

  it('publishes OpenID Connect discovery pointing at the JWKS and the refresh endpoint', async () => {
    const db = await database();
    const app = await withTestApp(each, { db });
    const response = await fetch(`${app.url}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    const discovery = (await response.json()) as Record<string, unknown>;
    assert.equal(discovery.issuer, 'https://auth.sesame.test');
    assert.equal(discovery.jwks_uri, 'https://auth.sesame.test/.well-known/jwks.json');
    assert.equal(discovery.token_endpoint, 'https://auth.sesame.test/token/refresh');
    assert.equal(discovery.revocation_endpoint, 'https://auth.sesame.test/token/revoke');
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['ES256']);
  });
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
