// Email sign-in end to end: request → SES (aws-ses-v2-local) → exchange → JWT verified through
// the running server's JWKS, as a sibling service would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { codeIn, createTestClock, eventually, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';

const LOGIN_URL = 'https://app.sesame.test/login?token={token}';

describe('email sign-in', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  const clock = createTestClock();

  before(async () => {
    ses = await startSesLocal();
    useLocalAws({ ses: ses.url });
    db = await createTestDatabase();
    server = await startTestApp({ db, clock, env: { PASSWORDLESS_EMAIL_LOGIN_URL: LOGIN_URL } });
  });
  after(async () => {
    await server.close();
    await ses.close();
    await db.drop();
  });

  async function createUser(email: string, extra: { is_admin?: boolean; disabled?: boolean } = {}): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>(
      'INSERT INTO users (email, is_admin, disabled) VALUES ($1, $2, $3) RETURNING id',
      [email, extra.is_admin ?? false, extra.disabled ?? false],
    );
    return rows[0]!.id;
  }

  async function requestAndReadCode(typed: string): Promise<{ code: string; link: string | undefined; text: string; html: string }> {
    const email = typed.trim().toLowerCase();
    const before = (await ses.emails(email)).length;
    const response = await server.post('/passwordless/request/email', { email: typed });
    assert.equal(response.status, 202);
    const mail = await eventually(async () => {
      const emails = await ses.emails(email);
      return emails.length > before ? emails[emails.length - 1] : undefined;
    });
    const text = mail.body.text ?? '';
    return { code: codeIn(text), link: /https:\/\/\S+/.exec(text)?.[0], text, html: mail.body.html ?? '' };
  }

  it('sends a code and a magic link, and the code signs in with a JWT that verifies through the JWKS', async () => {
    const userId = await createUser('ada@example.com');
    const { code, link, text, html } = await requestAndReadCode('Ada@Example.com ');
    assert.match(code, /^\d{6}$/);
    assert.ok(link?.startsWith('https://app.sesame.test/login?token='));
    const longToken = new URL(link!).searchParams.get('token')!;
    assert.match(longToken, /^[a-z0-9]{64}$/);
    assert.ok(html.includes(code), 'HTML part carries the code');
    // Mustache escapes every substituted value in HTML, "=" included (S16).
    assert.ok(html.includes(`token&#x3D;${longToken}`), 'HTML part carries the link');
    assert.ok(!text.includes('ada@example.com'), 'identifier is not echoed into the message (S16)');

    const response = await server.post('/passwordless/exchange/email', { email: 'ADA@example.com', token: code });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number; refresh_token: string };
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
    assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);

    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
      algorithms: ['ES256'],
      issuer: 'https://auth.sesame.test',
      audience: 'sesame-tests',
      typ: 'at+jwt',
      currentDate: clock.now(),
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, userId);
    assert.equal(payload.email, 'ada@example.com');
    assert.equal(payload.client_id, 'sesame');
    assert.equal(payload.exp! - payload.iat!, 900);
    assert.equal(payload.iat, Math.floor(clock.now().getTime() / 1000));
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
    assert.equal(payload.phone_number, undefined);
    // RFC 8176: a code sent by email is a one-time password.
    assert.deepEqual(payload.amr, ['otp']);
    assert.equal(payload.auth_time, payload.iat);

    const { rows } = await db.pool.query('SELECT email_verified, last_login_at FROM users WHERE id = $1', [userId]);
    assert.equal(rows[0].email_verified, true);
    assert.equal(rows[0].last_login_at.getTime(), clock.now().getTime());
  });

  it('accepts the magic-link token on the standalone exchange, once', async () => {
    const userId = await createUser('grace@example.com');
    const { link } = await requestAndReadCode('grace@example.com');
    const token = new URL(link!).searchParams.get('token')!;
    const first = await server.post('/passwordless/exchange/standalone', { token });
    assert.equal(first.status, 200);
    const { access_token } = (await first.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
      issuer: 'https://auth.sesame.test', audience: 'sesame-tests', currentDate: clock.now(),
    });
    assert.equal(payload.sub, userId);
    assert.deepEqual(payload.amr, ['otp'], 'a magic link is a one-time password too (RFC 8176)');
    // MAX_TOKEN_USES=1: the long and the short token are one token; both are spent now (S4).
    const again = await server.post('/passwordless/exchange/standalone', { token });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { code: string }).code, 'invalid_token');
  });

  it('accepts the magic-link token on the email exchange, bound to its address (S10)', async () => {
    await createUser('linus@example.com');
    await createUser('other-linus@example.com');
    const { link } = await requestAndReadCode('linus@example.com');
    const token = new URL(link!).searchParams.get('token')!;
    const wrongAddress = await server.post('/passwordless/exchange/email', { email: 'other-linus@example.com', token });
    assert.equal(wrongAddress.status, 400);
    const right = await server.post('/passwordless/exchange/email', { email: 'linus@example.com', token });
    assert.equal(right.status, 200);
  });

  it('serves the JWKS with public members only and a cache lifetime (S25)', async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=300');
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    const [key] = keys;
    assert.deepEqual(Object.keys(key!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.equal(key!.use, 'sig');
    assert.equal(key!.alg, 'ES256');
    assert.equal(key!.d, undefined);
  });

  it('signs every token with the published kid', async () => {
    await createUser('kid@example.com');
    const { code } = await requestAndReadCode('kid@example.com');
    const response = await server.post('/passwordless/exchange/email', { email: 'kid@example.com', token: code });
    const { access_token } = (await response.json()) as { access_token: string };
    const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.equal(decodeProtectedHeader(access_token).kid, keys[0]!.kid);
  });

  it('stores only keyed hashes of the code and the link token (S8)', async () => {
    await createUser('hash@example.com');
    const { code, link } = await requestAndReadCode('hash@example.com');
    const token = new URL(link!).searchParams.get('token')!;
    const { rows } = await db.pool.query(
      "SELECT t.*, t::text AS everything FROM one_time_tokens t WHERE destination = 'hash@example.com' ORDER BY id DESC LIMIT 1",
    );
    const row = rows[0];
    assert.equal(row.short_hash.length, 32);
    assert.equal(row.long_hash.length, 32);
    assert.ok(!row.everything.includes(code));
    assert.ok(!row.everything.includes(token));
    assert.ok(!row.everything.includes(Buffer.from(code).toString('hex')));
  });
});
