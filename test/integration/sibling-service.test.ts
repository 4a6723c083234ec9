// The sibling-service example (docker/sibling-service) verifies tokens of the real running
// server through its JWKS, with everything pinned (S28), across a key rotation (S26).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, eventually, type TestApp } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { signIn, type Tokens } from '../helpers/sign-in.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';

const SIBLING = new URL('../../docker/sibling-service/server.mjs', import.meta.url).pathname;
const ISSUER = 'https://auth.sesame.test';
const AUDIENCE = 'sesame-tests';

describe('sibling service example', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  let sibling: ChildProcess;
  let siblingUrl: string;
  let tokens: Tokens;
  // Real time: the sibling checks expiry against its own clock.
  const clock = createTestClock();

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db, clock, env: { KEY_RELOAD_INTERVAL: '3600', KEY_ROTATION_INTERVAL: '0' } });
    await createUser(db, 'sibling@example.com');
    tokens = await signIn(server, ses, 'sibling@example.com');
    // A rotation is under way before the sibling first fetches the keys: the next key is published.
    await server.app.services.keys.maintain({ rotateNow: true });

    sibling = spawn(process.execPath, [SIBLING], {
      env: {
        PATH: process.env.PATH,
        SESAME_ISSUER: ISSUER,
        SESAME_AUDIENCE: AUDIENCE,
        SESAME_JWKS_URL: `${server.url}/.well-known/jwks.json`,
        SESAME_ALGORITHMS: 'ES256',
        PORT: '0',
      },
    });
    let stdout = '';
    sibling.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    siblingUrl = await eventually(() => /listening on (http:\/\/\S+)/.exec(stdout)?.[1], 15_000);
  });
  after(async () => {
    if (sibling && sibling.exitCode === null) {
      const exited = new Promise((resolve) => sibling.once('exit', resolve));
      sibling.kill('SIGTERM');
      await exited;
    }
  });

  function hello(token: string): Promise<Response> {
    return fetch(`${siblingUrl}/hello`, { headers: { authorization: `Bearer ${token}` } });
  }

  async function expectRejected(token: string, why: string): Promise<void> {
    const response = await hello(token);
    assert.equal(response.status, 401, why);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"', why);
  }

  it('accepts a token from sign-in', async () => {
    const response = await hello(tokens.access_token);
    assert.equal(response.status, 200);
    const claims = decodeJwt(tokens.access_token);
    assert.deepEqual(await response.json(), { hello: claims.sub, session: claims.sid });
  });

  it('rejects what it must: refresh tokens, alg none, foreign keys, wrong audience, issuer and typ', async () => {
    await expectRejected(tokens.refresh_token, 'refresh token');
    const [header, payload] = tokens.access_token.split('.');
    const none = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), alg: 'none' })).toString('base64url');
    await expectRejected(`${none}.${payload}.`, 'alg none');

    const key = server.app.services.keys.signingKey();
    const claims = decodeJwt(tokens.access_token);
    const sign = (override: Record<string, unknown>, headerOverride: Record<string, unknown> = {}, privateKey = key.privateKey) =>
      new SignJWT({ ...claims, jti: randomUUID(), ...override }).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...headerOverride } as never).sign(privateKey);
    assert.equal((await hello(await sign({}))).status, 200, 'the baseline forgery with our key is accepted');
    await expectRejected(await sign({ aud: 'another-api' }), 'wrong aud');
    await expectRejected(await sign({ iss: 'https://evil.example' }), 'wrong iss');
    await expectRejected(await sign({}, { typ: 'JWT' }), 'wrong typ');
    await expectRejected(await sign({ exp: Math.floor(Date.now() / 1000) - 61 }), 'expired beyond the skew');
    await expectRejected(await sign({}, {}, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey), 'our kid, a stranger\'s key');
  });

  it('keeps verifying across a rotation: the new key was published before it signed', async () => {
    const oldKid = decodeProtectedHeader(tokens.access_token).kid;
    // Publication time passes (the next key is made older instead of waiting), then the promotion.
    await db.pool.query("UPDATE signing_keys SET created_at = created_at - interval '2 hours' WHERE state = 'next'");
    const report = await server.app.services.keys.maintain();
    assert.ok(report.promote);
    const refreshed = await server.post('/token/refresh', { refresh_token: tokens.refresh_token });
    const next = (await refreshed.json()) as Tokens;
    assert.equal(decodeProtectedHeader(next.access_token).kid, report.promote);
    assert.notEqual(report.promote, oldKid);
    // The sibling fetched the set seconds ago, within its 30 s refetch cooldown: the cached set had the new key.
    assert.equal((await hello(next.access_token)).status, 200);
    assert.equal((await hello(tokens.access_token)).status, 200, 'the old key is retired but still published');
  });
});
