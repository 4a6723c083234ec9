// /me accepts only our own access tokens: algorithms, issuer, audience and typ pinned, at most
// 60 s of clock skew (S23, S28). Every rejection is 401 with WWW-Authenticate (RFC 6750).
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { compactVerify, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, type TestApp } from '../helpers/app.ts';
import { hasHighS, highSTwin, withLowS } from '../../src/keys/ecdsa-low-s.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { getWithToken, signIn, type Tokens } from '../helpers/sign-in.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';

const ISSUER = 'https://auth.sesame.test';
const AUDIENCE = 'sesame-tests';

describe('access-token verification on /me', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  let tokens: Tokens;
  let claims: { sub: string; sid: string };
  const clock = createTestClock();

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db, clock });
    await createUser(db, 'verify@example.com');
    tokens = await signIn(server, ses, 'verify@example.com');
    const decoded = decodeJwt(tokens.access_token);
    claims = { sub: String(decoded.sub), sid: String(decoded.sid) };
  });

  /** Signs with the server's real current key, with the given changes to a valid token. */
  async function forge(changes: { header?: Record<string, unknown>; claims?: Record<string, unknown>; iat?: number; exp?: number } = {}): Promise<string> {
    const key = server.app.services.keys.signingKey();
    const now = Math.floor(clock.now().getTime() / 1000);
    const payload = { iss: ISSUER, sub: claims.sub, aud: AUDIENCE, iat: changes.iat ?? now, exp: changes.exp ?? now + 900, jti: randomUUID(), client_id: 'sesame', sid: claims.sid, ...changes.claims };
    return withLowS(await new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...changes.header } as never)
      .sign(key.privateKey));
  }

  async function expectRejected(token: string, why: string): Promise<void> {
    const response = await getWithToken(server, '/me', token);
    assert.equal(response.status, 401, why);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"', why);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await response.json()) as { code: string }).code, 'invalid_access_token', why);
  }

  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts the token from sign-in, and one forged with nothing changed (the baseline)', async () => {
    assert.equal((await getWithToken(server, '/me', tokens.access_token)).status, 200);
    assert.equal((await getWithToken(server, '/me', await forge())).status, 200);
  });

  it('rejects the high-S twin of a valid ES256 signature, and issues only low-S signatures', async () => {
    assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'ES256');
    const twin = highSTwin(tokens.access_token);
    assert.notEqual(twin, tokens.access_token);
    assert.equal(hasHighS(twin), true);
    // The twin is a valid signature over the same claims: a plain verifier accepts it.
    const key = server.app.services.keys.signingKey();
    await compactVerify(twin, createPublicKey(key.privateKey));
    await expectRejected(twin, 'high-S twin');
    assert.equal((await getWithToken(server, '/me', tokens.access_token)).status, 200);
    // Sesame's own tokens all carry the low S (OpenSSL alone picks either half at random).
    for (let i = 0; i < 16; i += 1) assert.equal(hasHighS(await forge()), false);
    for (let i = 0; i < 4; i += 1) {
      clock.advance(61); // past the request throttle
      const fresh = await signIn(server, ses, 'verify@example.com');
      assert.equal(hasHighS(fresh.access_token), false);
    }
  });

  it('rejects alg "none"', async () => {
    const { kid } = decodeProtectedHeader(tokens.access_token);
    const payload = tokens.access_token.split('.')[1]!;
    await expectRejected(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`, 'alg none, empty signature');
    await expectRejected(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.${tokens.access_token.split('.')[2]}`, 'alg none, old signature');
  });

  it('rejects HS256 signed with the published public key as the HMAC secret', async () => {
    const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    const jwk = keys[0]!;
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    for (const secret of [pem, JSON.stringify(jwk), jwk.x!]) {
      const token = await new SignJWT({ client_id: 'sesame', sid: claims.sid })
        .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: 'at+jwt' })
        .setIssuer(ISSUER).setSubject(claims.sub).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m').setJti(randomUUID())
        .sign(new TextEncoder().encode(secret));
      await expectRejected(token, 'HS256 keyed with the public key');
    }
  });

  it('rejects an unknown kid, a missing kid, and a stranger\'s key under our kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signWith = (header: Record<string, unknown>) => new SignJWT({ client_id: 'sesame', sid: claims.sid })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...header })
      .setIssuer(ISSUER).setSubject(claims.sub).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m').setJti(randomUUID())
      .sign(privateKey);
    await expectRejected(await signWith({ kid: 'unknown-kid' }), 'unknown kid');
    await expectRejected(await signWith({}), 'no kid');
    await expectRejected(await signWith({ kid: decodeProtectedHeader(tokens.access_token).kid }), 'our kid, another key');
    await expectRejected(await forge({ header: { kid: undefined } }), 'our key without a kid');
  });

  it('rejects a wrong audience, issuer or typ', async () => {
    await expectRejected(await forge({ claims: { aud: 'another-service' } }), 'wrong aud');
    await expectRejected(await forge({ claims: { iss: 'https://evil.example' } }), 'wrong iss');
    await expectRejected(await forge({ header: { typ: 'JWT' } }), 'typ JWT');
    await expectRejected(await forge({ header: { typ: undefined } }), 'no typ');
    await expectRejected(await forge({ header: { typ: 'id_token+jwt' } }), 'id token typ');
  });

  it('rejects expired tokens beyond 60 s of skew, and allows the skew', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    await expectRejected(await forge({ iat: now - 961, exp: now - 61 }), 'expired 61 s ago');
    assert.equal((await getWithToken(server, '/me', await forge({ iat: now - 930, exp: now - 30 }))).status, 200, 'within the 60 s tolerance');
    await expectRejected(await forge({ iat: now - 5000, exp: now + 900 }), 'issued longer ago than any token of ours lives');
    await expectRejected(await forge({ iat: now + 3600, exp: now + 4500 }), 'issued in the future');
    clock.advance(900 + 61);
    await expectRejected(tokens.access_token, 'the real token, past its lifetime');
    clock.advance(-(900 + 61));
  });

  it('rejects a refresh token used as an access token, and other shapes', async () => {
    await expectRejected(tokens.refresh_token, 'refresh token');
    await expectRejected(`${tokens.access_token}x`, 'broken signature');
    await expectRejected(await forge({ claims: { sid: undefined } }), 'no session id');
    await expectRejected(await forge({ claims: { sub: 'not-a-uuid' } }), 'subject not ours');
  });

  it('asks for a token when none or another scheme is sent', async () => {
    const none = await fetch(`${server.url}/me`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const basic = await fetch(`${server.url}/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.equal(basic.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.ok(!server.logs.some((line) => line.includes(tokens.access_token)), 'the Authorization header is never logged (S34)');
  });
});
