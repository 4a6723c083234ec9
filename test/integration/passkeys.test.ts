// Passkeys over HTTP against the real app and PostgreSQL, with a software authenticator built on
// node:crypto: registration, management, sign-in, and the challenge and counter rules (S44–S46).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTestClock, eventually, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';
import { signIn, type Tokens } from '../helpers/sign-in.ts';
import { createUser } from '../helpers/fixtures.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const RP_ID = 'auth.sesame.test';
const ORIGIN = 'https://auth.sesame.test';
const INVALID_PASSKEY = { type: 'about:blank', title: 'Invalid passkey', status: 400, detail: 'The passkey could not be verified.', code: 'invalid_passkey' };

describe('passkeys', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let server: TestApp;
  const clock = createTestClock();

  before(async () => {
    ses = await startSesLocal();
    useLocalAws({ ses: ses.url });
    db = await createTestDatabase();
    server = await startTestApp({ db, clock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0' } });
  });
  after(async () => {
    await server.close();
    await ses.close();
    await db.drop();
  });

  function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function json<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
    const text = await response.text();
    assert.equal(response.status, status, text);
    return JSON.parse(text) as T;
  }

  async function registrationOptions(token: string) {
    return json<{ challenge: string; user: { id: string; name: string }; rp: { id: string; name: string }; authenticatorSelection: Record<string, unknown>; excludeCredentials: { id: string }[] }>(
      await call('POST', '/me/passkeys/options', token), 200);
  }

  async function register(token: string, authenticator: SoftAuthenticator, name?: string) {
    const options = await registrationOptions(token);
    return json<{ id: string; name: string; created_at: string }>(await call('POST', '/me/passkeys', token, { response: authenticator.create(options), ...(name ? { name } : {}) }), 201);
  }

  async function authenticationOptions() {
    return json<{ challenge: string; rpId: string; allowCredentials?: unknown[]; userVerification: string }>(await call('POST', '/passkeys/authenticate/options', undefined, {}), 200);
  }

  async function expectInvalidPasskey(response: Response): Promise<void> {
    assert.deepEqual(await json(response, 400), INVALID_PASSKEY);
  }

  async function newUser(email: string): Promise<{ userId: string; tokens: Tokens }> {
    const userId = await createUser(db, email);
    return { userId, tokens: await signIn(server, ses, email) };
  }

  it('registers a passkey: creation options require a resident key, prefer user verification and exclude existing credentials', async () => {
    const { userId, tokens } = await newUser('register@example.com');
    const options = await registrationOptions(tokens.access_token);
    assert.equal(options.rp.id, RP_ID);
    assert.equal(options.rp.name, 'Sesame');
    assert.equal(options.user.name, 'register@example.com');
    assert.equal(Buffer.from(options.user.id, 'base64url').toString('hex'), userId.replaceAll('-', ''), 'the user handle is the opaque account id');
    assert.equal(options.authenticatorSelection.residentKey, 'required');
    assert.equal(options.authenticatorSelection.userVerification, 'preferred');
    assert.deepEqual(options.excludeCredentials, []);

    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    const created = await json<{ id: string; name: string; created_at: string }>(
      await call('POST', '/me/passkeys', tokens.access_token, { response: authenticator.create(options), name: 'Laptop' }), 201);
    assert.deepEqual(created, { id: authenticator.id, name: 'Laptop', created_at: clock.now().toISOString() });

    const listed = await json<{ passkeys: unknown[] }>(await call('GET', '/me/passkeys', tokens.access_token), 200);
    assert.deepEqual(listed.passkeys, [{ id: authenticator.id, name: 'Laptop', created_at: clock.now().toISOString(), last_used_at: null, backed_up: false }]);
    const { rows } = await db.pool.query('SELECT user_id, counter, device_type, backed_up, transports FROM passkeys WHERE id = $1', [authenticator.id]);
    assert.deepEqual(rows[0], { user_id: userId, counter: '0', device_type: 'singleDevice', backed_up: false, transports: ['internal'] });
    const again = await registrationOptions(tokens.access_token);
    assert.deepEqual(again.excludeCredentials.map((credential) => credential.id), [authenticator.id]);
  });

  it('signs in with a discoverable passkey alone: the exchange\'s token response, a session, amr hwk+user (RFC 8176)', async () => {
    const { userId, tokens } = await newUser('signin@example.com');
    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    await register(tokens.access_token, authenticator);

    const options = await authenticationOptions();
    assert.equal(options.rpId, RP_ID);
    assert.ok(options.allowCredentials === undefined || options.allowCredentials.length === 0, 'no user hint: nothing to enumerate');
    assert.equal(options.userVerification, 'preferred');
    clock.advance(30);
    const response = await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(options) });
    const issued = await json<Tokens>(response, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(issued).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
    const claims = decodeJwt(issued.access_token);
    assert.equal(claims.sub, userId);
    assert.equal(claims.email, 'signin@example.com');
    assert.deepEqual(claims.amr, ['hwk', 'user']);
    assert.equal(claims.auth_time, Math.floor(clock.now().getTime() / 1000));

    const me = await json<{ amr: string[] }>(await call('GET', '/me', issued.access_token), 200);
    assert.deepEqual(me.amr, ['hwk', 'user']);
    const refreshed = await json<Tokens>(await server.post('/token/refresh', { refresh_token: issued.refresh_token }), 200);
    assert.deepEqual(decodeJwt(refreshed.access_token).amr, ['hwk', 'user'], 'the session keeps how it signed in');
    const { rows } = await db.pool.query('SELECT counter, last_used_at FROM passkeys WHERE id = $1', [authenticator.id]);
    assert.deepEqual(rows[0], { counter: '1', last_used_at: clock.now() });
    const session = (await db.pool.query('SELECT amr, auth_time FROM sessions WHERE id = $1', [claims.sid])).rows[0];
    assert.deepEqual(session, { amr: ['hwk', 'user'], auth_time: clock.now() });
  });

  it('says swk for a synced passkey and stores its backup state', async () => {
    const { tokens } = await newUser('synced@example.com');
    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN, synced: true });
    await register(tokens.access_token, authenticator);
    const issued = await json<Tokens>(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions()) }), 200);
    assert.deepEqual(decodeJwt(issued.access_token).amr, ['swk', 'user']);
    const listed = await json<{ passkeys: { backed_up: boolean }[] }>(await call('GET', '/me/passkeys', tokens.access_token), 200);
    assert.equal(listed.passkeys[0]!.backed_up, true);
    assert.equal((await db.pool.query('SELECT device_type FROM passkeys WHERE id = $1', [authenticator.id])).rows[0].device_type, 'multiDevice');
  });

  it('refuses replayed, expired and cross-purpose challenges, and a registration challenge made for another user (S44, S46)', async () => {
    const { tokens } = await newUser('challenges@example.com');
    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    await register(tokens.access_token, authenticator);

    // Replayed: a challenge is single-use, even after a successful sign-in.
    const options = await authenticationOptions();
    const assertion = authenticator.get(options);
    await json(await call('POST', '/passkeys/authenticate', undefined, { response: assertion }), 200);
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(options) }));

    // Expired: five minutes.
    const stale = await authenticationOptions();
    clock.advance(301);
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(stale) }));

    // A registration challenge does not sign in, and an authentication challenge does not register.
    const fresh = await newUser('challenges-2@example.com');
    const creation = await registrationOptions(fresh.tokens.access_token);
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get({ challenge: creation.challenge }) }));
    const request = await authenticationOptions();
    const other = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    await expectInvalidPasskey(await call('POST', '/me/passkeys', fresh.tokens.access_token, { response: other.create({ challenge: request.challenge, user: creation.user }) }));

    // A registration challenge is bound to the user it was made for.
    const forFirst = await registrationOptions(tokens.access_token);
    await expectInvalidPasskey(await call('POST', '/me/passkeys', fresh.tokens.access_token, { response: other.create(forFirst) }));
    // A wrong origin is refused (S46).
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions(), { origin: 'https://evil.example' }) }));
    await eventually(async () => (await db.pool.query("SELECT 1 FROM audit_events WHERE event = 'sign_in.failed' AND reason = 'no_live_challenge' AND detail->>'method' = 'passkey'")).rows[0]);
  });

  it('refuses a signature counter that goes backwards and audits passkey.clone_suspected (S46)', async () => {
    const { userId, tokens } = await newUser('clone@example.com');
    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    await register(tokens.access_token, authenticator);
    await json(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions(), { counter: 5 }) }), 200);
    const sessionsBefore = (await db.pool.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [userId])).rows[0].n;

    for (const counter of [3, 5]) {
      await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions(), { counter }) }));
    }
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [userId])).rows[0].n, sessionsBefore, 'no session opened');
    assert.equal((await db.pool.query('SELECT counter FROM passkeys WHERE id = $1', [authenticator.id])).rows[0].counter, '5');
    const rows = await eventually(async () => {
      const found = (await db.pool.query("SELECT outcome, detail FROM audit_events WHERE event = 'passkey.clone_suspected' AND user_id = $1 ORDER BY id", [userId])).rows;
      return found.length === 2 ? found : undefined;
    });
    assert.deepEqual(rows.map((row) => row.detail), [
      { passkeyId: authenticator.id, storedCounter: 5, presentedCounter: 3 },
      { passkeyId: authenticator.id, storedCounter: 5, presentedCounter: 5 },
    ]);
    assert.ok(rows.every((row) => row.outcome === 'refused'));
    // Moving on from the stored counter works again.
    await json(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions(), { counter: 6 }) }), 200);
  });

  it('answers every sign-in failure with the same invalid_passkey, malformed bodies and unknown credentials included', async () => {
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: 'nope' }));
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, {}));
    const stranger = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: stranger.get(await authenticationOptions(), { userHandle: 'AAAA' }) }));
  });

  it('renames and deletes the caller\'s passkeys only; a passkey counts as a way to sign in', async () => {
    const { tokens } = await newUser('manage@example.com');
    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    const { id } = await register(tokens.access_token, authenticator, 'Phone');
    const other = await newUser('manage-other@example.com');
    const path = `/me/passkeys/${encodeURIComponent(id)}`;
    assert.equal((await call('PATCH', path, other.tokens.access_token, { name: 'Mine now' })).status, 404);
    assert.equal((await call('DELETE', path, other.tokens.access_token)).status, 404);
    const renamed = await json<{ name: string }>(await call('PATCH', path, tokens.access_token, { name: 'Work phone' }), 200);
    assert.equal(renamed.name, 'Work phone');

    // With a passkey, the email is no longer the last way to sign in.
    assert.equal((await call('DELETE', '/me/email', tokens.access_token)).status, 204);
    const byPasskey = await json<Tokens>(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions()) }), 200);
    assert.equal(decodeJwt(byPasskey.access_token).email, undefined);
    assert.equal((await call('DELETE', path, byPasskey.access_token)).status, 204);
    assert.deepEqual(await json(await call('GET', '/me/passkeys', byPasskey.access_token), 200), { passkeys: [] });
    await expectInvalidPasskey(await call('POST', '/passkeys/authenticate', undefined, { response: authenticator.get(await authenticationOptions()) }));
  });

  it('needs a recent sign-in to register (S45)', async () => {
    const { tokens } = await newUser('stale-passkey@example.com');
    const options = await registrationOptions(tokens.access_token);
    clock.advance(601);
    const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    assert.equal(((await json<{ code: string }>(await call('POST', '/me/passkeys/options', tokens.access_token), 401)).code), 'reauthentication_required');
    assert.equal(((await json<{ code: string }>(await call('POST', '/me/passkeys', tokens.access_token, { response: authenticator.create(options) }), 401)).code), 'reauthentication_required');
    assert.equal((await call('POST', '/me/passkeys/options', undefined)).status, 401);
  });

  describe('under a named client', () => {
    const WEB_ORIGIN = 'https://web.example.test';
    const COOKIE = '__Host-sesame_refresh';
    before(async () => {
      // A browser app in cookie mode with its own audience and lifetimes, and a mobile app in body mode.
      const { clients } = server.app.services;
      const web = await clients.add('web', { name: 'Web App', allowed_origins: [WEB_ORIGIN], refresh_token_delivery: 'cookie', audience: 'web-api', access_token_ttl: 120, refresh_token_ttl: 3_600 });
      const ios = await clients.add('ios', { name: 'iOS App', audience: 'ios-api', access_token_ttl: 300 });
      assert.deepEqual([web.outcome, ios.outcome], ['ok', 'ok']);
    });

    function send(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
      return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    }

    async function optionsFor(clientId: string | undefined, headers: Record<string, string> = {}) {
      return json<{ challenge: string }>(await send('/passkeys/authenticate/options', clientId === undefined ? {} : { client_id: clientId }, headers), 200);
    }

    it('signs in like the code exchange of the client: its client_id, aud and lifetimes, a session only it refreshes, the refresh token in the cookie in cookie mode (S40)', async () => {
      const { userId, tokens } = await newUser('passkey-web@example.com');
      const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      await register(tokens.access_token, authenticator);

      const response = await send('/passkeys/authenticate', { response: authenticator.get(await optionsFor('web', { origin: WEB_ORIGIN })), client_id: 'web' }, { origin: WEB_ORIGIN });
      const body = await json<Record<string, unknown>>(response, 200);
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type'], 'no refresh_token in the body in cookie mode');
      assert.equal(body.expires_in, 120);
      const claims = decodeJwt(body.access_token as string);
      assert.equal(claims.sub, userId);
      assert.equal(claims.client_id, 'web');
      assert.equal(claims.aud, 'web-api');
      assert.equal(claims.exp! - claims.iat!, 120);
      const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${COOKIE}=`));
      assert.ok(setCookie, 'the refresh cookie is set');
      const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
      assert.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=3600', 'Path=/', 'SameSite=Strict', 'Secure']);
      const session = (await db.pool.query('SELECT client_id, expires_at FROM sessions WHERE id = $1', [claims.sid])).rows[0];
      assert.deepEqual(session, { client_id: 'web', expires_at: new Date(clock.now().getTime() + 3_600_000) });

      // The cookie refreshes under its client, from its origin, and under no other client.
      const cookie = `${COOKIE}=${decodeURIComponent(pair!.slice(COOKIE.length + 1))}`;
      const elsewhere = await send('/token/refresh', { client_id: 'ios' }, { cookie });
      assert.equal(elsewhere.status, 403, 'a cookie call needs an Origin its client allows');
      await elsewhere.arrayBuffer();
      const refreshed = await json<{ access_token: string }>(await send('/token/refresh', { client_id: 'web' }, { cookie, origin: WEB_ORIGIN }), 200);
      assert.equal(decodeJwt(refreshed.access_token).aud, 'web-api');
    });

    it('signs in a body-mode client with its tokens, and its refresh token works only under it', async () => {
      const { tokens } = await newUser('passkey-ios@example.com');
      const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      await register(tokens.access_token, authenticator);
      const issued = await json<Tokens>(await send('/passkeys/authenticate', { response: authenticator.get(await optionsFor('ios')), client_id: 'ios' }), 200);
      const claims = decodeJwt(issued.access_token);
      assert.deepEqual([claims.client_id, claims.aud, issued.expires_in], ['ios', 'ios-api', 300]);
      const underDefault = await send('/token/refresh', { refresh_token: issued.refresh_token });
      assert.equal(underDefault.status, 400, 'another client\'s refresh token fails like an invalid one');
      assert.equal((await underDefault.json() as { code: string }).code, 'invalid_token');
      const underIos = await json<Tokens>(await send('/token/refresh', { refresh_token: issued.refresh_token, client_id: 'ios' }), 200);
      assert.equal(decodeJwt(underIos.access_token).client_id, 'ios');
    });

    it('signs in only under the client its challenge was handed out to; an unknown client or a foreign Origin is refused before the challenge is spent (S39, S44)', async () => {
      const { userId, tokens } = await newUser('passkey-bound@example.com');
      const authenticator = new SoftAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      await register(tokens.access_token, authenticator);
      const sessions = async () => (await db.pool.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [userId])).rows[0].n as number;
      const before = await sessions();

      // Handed out to ios: under the default client or web it is no challenge at all.
      const forIos = await optionsFor('ios');
      await expectInvalidPasskey(await send('/passkeys/authenticate', { response: authenticator.get(forIos) }));
      await expectInvalidPasskey(await send('/passkeys/authenticate', { response: authenticator.get(forIos), client_id: 'web' }, { origin: WEB_ORIGIN }));
      // Unknown clients and foreign origins: refused first, so the challenge is still there for ios.
      for (const [body, headers, status, code] of [
        [{ client_id: 'no-such-app' }, {}, 400, 'invalid_client'],
        [{ client_id: 'x'.repeat(65) }, {}, 400, 'invalid_client'],
        [{ client_id: 'ios' }, { origin: WEB_ORIGIN }, 403, 'origin_not_allowed'],
        [{}, { origin: WEB_ORIGIN }, 403, 'origin_not_allowed'],
      ] as const) {
        const refused = await send('/passkeys/authenticate', { response: authenticator.get(forIos), ...body }, headers);
        assert.equal(refused.status, status, JSON.stringify(body));
        assert.equal((await refused.json() as { code: string }).code, code);
        const options = await send('/passkeys/authenticate/options', body, headers);
        assert.equal(options.status, status, JSON.stringify(body));
        assert.equal((await options.json() as { code: string }).code, code);
      }
      assert.equal(await sessions(), before, 'no session opened');
      const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM webauthn_challenges WHERE client_id = 'ios'");
      assert.equal(rows[0].n, 1, 'only the ios challenge was stored, and it is unspent');
      const issued = await json<Tokens>(await send('/passkeys/authenticate', { response: authenticator.get(forIos), client_id: 'ios' }), 200);
      assert.equal(decodeJwt(issued.access_token).client_id, 'ios');
    });
  });

  it('rate-limits passkey sign-in like the exchange', async () => {
    const limited = await startTestApp({ db, clock, env: { RATE_LIMIT_EXCHANGE_PER_MINUTE: '2' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await fetch(`${limited.url}/passkeys/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
      }
      assert.deepEqual(statuses, [400, 400, 429]);
    } finally {
      await limited.close();
    }
  });
});
