// Identifiers on a signed-in account: add, change, verify and remove an email or phone number,
// over HTTP against the real app, PostgreSQL, local SES and a fake SNS (S44, S45).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { TestDatabase } from '../helpers/database.ts';
import { codeIn, createTestClock, eventually, type TestApp } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';
import { signIn, type Tokens } from '../helpers/sign-in.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';

const ACCEPTED = { detail: 'If this address can be added to your account, a code is on its way.' };

describe('identifiers on a signed-in account', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  let server: TestApp;
  const clock = createTestClock();

  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
    db = await withDatabase(suite);
    server = await withTestApp(suite, { db, clock, env: { TOKEN_REQUEST_THROTTLE_SECONDS: '0', REAUTH_MAX_AGE: '600' } });
  });

  function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function expectProblem(response: Response, status: number, code: string): Promise<void> {
    assert.equal(response.status, status);
    assert.equal(((await response.json()) as { code: string }).code, code);
  }

  async function mailCount(to: string): Promise<number> {
    return (await ses.emails(to)).length;
  }

  async function nextMail(to: string, before: number) {
    return eventually(async () => {
      const emails = await ses.emails(to);
      return emails.length > before ? emails[before] : undefined;
    });
  }

  async function signInBySms(phone: string): Promise<Tokens> {
    const before = sns.messages.filter((sms) => sms.phoneNumber === phone).length;
    assert.equal((await server.post('/passwordless/request/mobile', { phone_number: phone })).status, 202);
    const sms = await eventually(() => sns.messages.filter((message) => message.phoneNumber === phone)[before]);
    const response = await server.post('/passwordless/exchange/mobile', { phone_number: phone, token: codeIn(sms.message) });
    assert.equal(response.status, 200);
    return (await response.json()) as Tokens;
  }

  async function createPhoneUser(phone: string): Promise<string> {
    const { rows } = await db.pool.query<{ id: string }>('INSERT INTO users (phone_number) VALUES ($1) RETURNING id', [phone]);
    return rows[0]!.id;
  }

  /** Asks for a code to `email` on the caller's account and reads it from the mailbox. */
  async function emailCode(token: string, email: string, headers: Record<string, string> = {}): Promise<string> {
    const before = await mailCount(email);
    const response = await call('POST', '/me/email', token, { email }, headers);
    assert.equal(response.status, 202);
    return codeIn((await nextMail(email, before)).body.text ?? '');
  }

  async function user(id: string) {
    return (await db.pool.query('SELECT email, phone_number, email_verified, phone_number_verified FROM users WHERE id = $1', [id])).rows[0];
  }

  it('adds an email to an account that signed up by SMS; either identifier then signs in to it', async () => {
    const userId = await createPhoneUser('+14155550101');
    const tokens = await signInBySms('+14155550101');
    const before = await mailCount('added@example.com');
    const requested = await call('POST', '/me/email', tokens.access_token, { email: 'Added@Example.com' });
    assert.equal(requested.status, 202);
    assert.deepEqual(await requested.json(), ACCEPTED);
    const mail = await nextMail('added@example.com', before);
    assert.match(mail.subject, /confirmation code/);
    assert.ok(!/sign-in code/.test(mail.body.text ?? ''), 'the verification message is not the sign-in one');

    const verified = await call('POST', '/me/email/verify', tokens.access_token, { email: 'added@example.com', token: codeIn(mail.body.text ?? '') });
    assert.equal(verified.status, 200);
    const me = (await verified.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(me).sort(), ['amr', 'app_metadata', 'auth_time', 'created_at', 'email', 'email_verified', 'id', 'last_login_at', 'phone_number', 'phone_number_verified', 'user_metadata']);
    assert.equal(me.id, userId);
    assert.equal(me.email, 'added@example.com');
    assert.equal(me.email_verified, true);
    assert.deepEqual(await user(userId), { email: 'added@example.com', phone_number: '+14155550101', email_verified: true, phone_number_verified: true });

    // The same account by email now, and refreshed tokens carry the new identifier.
    const byEmail = await signIn(server, ses, 'added@example.com');
    assert.equal(decodeJwt(byEmail.access_token).sub, userId);
    const refreshed = (await (await server.post('/token/refresh', { refresh_token: tokens.refresh_token })).json()) as Tokens;
    assert.equal(decodeJwt(refreshed.access_token).email, 'added@example.com');
    assert.equal(decodeJwt(refreshed.access_token).phone_number, '+14155550101');
  });

  it('sends a notice, never a code, to an address another account holds, and answers the same (S45)', async () => {
    const ownerId = await createUser(db, 'taken@example.com');
    const ownerBefore = await user(ownerId);
    const requesterId = await createPhoneUser('+14155550102');
    const tokens = await signInBySms('+14155550102');

    const freeBefore = await mailCount('free@example.com');
    const free = await call('POST', '/me/email', tokens.access_token, { email: 'free@example.com' });
    const takenBefore = await mailCount('taken@example.com');
    const taken = await call('POST', '/me/email', tokens.access_token, { email: 'taken@example.com' });
    assert.equal(taken.status, free.status);
    assert.deepEqual(await taken.json(), await free.json());
    const headerNames = (response: Response) => [...response.headers.keys()].filter((name) => name !== 'date').sort();
    assert.deepEqual(headerNames(taken), headerNames(free));
    await nextMail('free@example.com', freeBefore);

    const notice = await nextMail('taken@example.com', takenBefore);
    assert.match(notice.subject, /tried to add this address/);
    assert.ok(!/\b\d{6}\b/.test(`${notice.subject} ${notice.body.text} ${notice.body.html}`), 'a notice carries no code');
    assert.deepEqual(await user(ownerId), ownerBefore, 'the other account is untouched');
    assert.equal((await db.pool.query("SELECT count(*)::int AS n FROM one_time_tokens WHERE destination = 'taken@example.com' AND purpose = 'verify'")).rows[0].n, 0);
    // Nothing to guess: any code fails.
    await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'taken@example.com', token: '123456' }), 400, 'invalid_token');
    assert.equal((await user(requesterId)).email, null);
    const audited = await eventually(async () => (await db.pool.query("SELECT outcome, reason FROM audit_events WHERE event = 'identifier.verification_requested' AND user_id = $1 AND destination = 't***@example.com'", [requesterId])).rows[0]);
    assert.deepEqual(audited, { outcome: 'issued', reason: 'taken' });
  });

  it('changes the email: the old address is told, can no longer sign in, and the change is audited (S45)', async () => {
    const userId = await createUser(db, 'old@example.com');
    const tokens = await signIn(server, ses, 'old@example.com');
    const code = await emailCode(tokens.access_token, 'new@example.com');
    const oldBefore = await mailCount('old@example.com');
    const verified = await call('POST', '/me/email/verify', tokens.access_token, { email: 'new@example.com', token: code });
    assert.equal(verified.status, 200);
    assert.equal(((await verified.json()) as { email: string }).email, 'new@example.com');

    const notice = await nextMail('old@example.com', oldBefore);
    assert.match(notice.subject, /was changed/);
    assert.ok(!(notice.body.text ?? '').includes('new@example.com'), 'the notice does not name the new address');
    const audited = await eventually(async () => (await db.pool.query("SELECT outcome, reason, destination, detail FROM audit_events WHERE event = 'identifier.verified' AND user_id = $1", [userId])).rows[0]);
    assert.deepEqual(audited, { outcome: 'succeeded', reason: 'changed', destination: 'n***@example.com', detail: { previous: 'o***@example.com' } });

    // The old address is nobody's now: a code request for it sends nothing (sign-up is off).
    const before = await mailCount('old@example.com');
    assert.equal((await server.post('/passwordless/request/email', { email: 'old@example.com' })).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await mailCount('old@example.com'), before);
    assert.equal(decodeJwt((await signIn(server, ses, 'new@example.com')).access_token).sub, userId);
  });

  it('verifies the current, unverified identifier when it is the one given, without a change notice', async () => {
    const { rows } = await db.pool.query<{ id: string }>("INSERT INTO users (email, phone_number, phone_number_verified) VALUES ('unverified@example.com', '+14155550103', true) RETURNING id");
    const userId = rows[0]!.id;
    const tokens = await signInBySms('+14155550103');
    const code = await emailCode(tokens.access_token, 'unverified@example.com');
    const before = await mailCount('unverified@example.com');
    const verified = await call('POST', '/me/email/verify', tokens.access_token, { email: 'unverified@example.com', token: code });
    assert.equal(verified.status, 200);
    assert.deepEqual(await user(userId), { email: 'unverified@example.com', phone_number: '+14155550103', email_verified: true, phone_number_verified: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await mailCount('unverified@example.com'), before, 'no change, no notice');
  });

  it('adds a phone number by SMS code, and the verification SMS is its own message', async () => {
    const userId = await createUser(db, 'phone-adder@example.com');
    const tokens = await signIn(server, ses, 'phone-adder@example.com');
    const before = sns.messages.filter((sms) => sms.phoneNumber === '+14155550104').length;
    const requested = await call('POST', '/me/phone_number', tokens.access_token, { phone_number: '+1 415 555 0104' });
    assert.equal(requested.status, 202);
    assert.deepEqual(await requested.json(), ACCEPTED);
    const sms = await eventually(() => sns.messages.filter((message) => message.phoneNumber === '+14155550104')[before]);
    assert.match(sms.message, /confirmation code/);
    const verified = await call('POST', '/me/phone_number/verify', tokens.access_token, { phone_number: '+14155550104', token: codeIn(sms.message) });
    assert.equal(verified.status, 200);
    assert.equal(((await verified.json()) as { phone_number: string }).phone_number, '+14155550104');
    assert.deepEqual(await user(userId), { email: 'phone-adder@example.com', phone_number: '+14155550104', email_verified: true, phone_number_verified: true });
  });

  it('lets exactly one of 10 concurrent verifications of one code succeed', async () => {
    await createUser(db, 'racer@example.com');
    const tokens = await signIn(server, ses, 'racer@example.com');
    const code = await emailCode(tokens.access_token, 'race-target@example.com');
    const responses = await Promise.all(Array.from({ length: 10 }, () =>
      call('POST', '/me/email/verify', tokens.access_token, { email: 'race-target@example.com', token: code })));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, ...Array(9).fill(400)]);
    for (const response of responses.filter((r) => r.status === 400)) assert.equal(((await response.json()) as { code: string }).code, 'invalid_token');
  });

  it('binds codes to their purpose: a sign-in code cannot verify, a verification code cannot sign in (S44)', async () => {
    await createUser(db, 'purpose@example.com');
    const tokens = await signIn(server, ses, 'purpose@example.com');

    // A live sign-in code for the caller's own address does not verify it.
    const before = await mailCount('purpose@example.com');
    assert.equal((await server.post('/passwordless/request/email', { email: 'purpose@example.com' })).status, 202);
    const signInCode = codeIn((await nextMail('purpose@example.com', before)).body.text ?? '');
    await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'purpose@example.com', token: signInCode }), 400, 'invalid_token');

    // A verification code for the same address does not sign in, and the sign-in code still does.
    const verifyCode = await emailCode(tokens.access_token, 'purpose@example.com');
    await expectProblem(await server.post('/passwordless/exchange/email', { email: 'purpose@example.com', token: verifyCode }), 400, 'invalid_token');
    assert.equal((await server.post('/passwordless/exchange/email', { email: 'purpose@example.com', token: signInCode })).status, 200);

    // A verification code for a new address signs nobody in either.
    const newCode = await emailCode(tokens.access_token, 'purpose-new@example.com');
    await expectProblem(await server.post('/passwordless/exchange/email', { email: 'purpose-new@example.com', token: newCode }), 400, 'invalid_token');
    // Nor does it verify for another user: codes are bound to who asked (S44).
    await createUser(db, 'other-verifier@example.com');
    const other = await signIn(server, ses, 'other-verifier@example.com');
    await expectProblem(await call('POST', '/me/email/verify', other.access_token, { email: 'purpose-new@example.com', token: newCode }), 400, 'invalid_token');
    assert.equal((await call('POST', '/me/email/verify', tokens.access_token, { email: 'purpose-new@example.com', token: newCode })).status, 200);
  });

  it('limits guesses per code like sign-in codes (S5)', async () => {
    await createUser(db, 'guesser@example.com');
    const tokens = await signIn(server, ses, 'guesser@example.com');
    const code = await emailCode(tokens.access_token, 'guessed@example.com');
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'guessed@example.com', token: wrong }), 400, 'invalid_token');
    }
    await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'guessed@example.com', token: code }), 400, 'invalid_token');
    await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'guessed@example.com' }), 400, 'invalid_token');
  });

  it('needs a recent sign-in: reauthentication_required after REAUTH_MAX_AGE, even with a refreshed token (S45)', async () => {
    await createUser(db, 'stale@example.com');
    const tokens = await signIn(server, ses, 'stale@example.com');
    clock.advance(601);
    const refreshed = (await (await server.post('/token/refresh', { refresh_token: tokens.refresh_token })).json()) as Tokens;
    for (const token of [tokens.access_token, refreshed.access_token]) {
      const response = await call('POST', '/me/email', token, { email: 'stale-new@example.com' });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /insufficient_user_authentication/);
      assert.equal(((await response.json()) as { code: string }).code, 'reauthentication_required');
    }
    await expectProblem(await call('POST', '/me/email/verify', refreshed.access_token, { email: 'stale-new@example.com', token: '123456' }), 401, 'reauthentication_required');
    await expectProblem(await call('DELETE', '/me/email', refreshed.access_token), 401, 'reauthentication_required');
    // Signing in again makes it recent.
    const fresh = await signIn(server, ses, 'stale@example.com');
    assert.equal((await call('POST', '/me/email', fresh.access_token, { email: 'stale-new@example.com' })).status, 202);
  });

  it('refuses to remove the last way to sign in (last_sign_in_method) and removes one that has a backup', async () => {
    const userId = await createUser(db, 'remover@example.com');
    const tokens = await signIn(server, ses, 'remover@example.com');
    await expectProblem(await call('DELETE', '/me/email', tokens.access_token), 400, 'last_sign_in_method');
    await expectProblem(await call('DELETE', '/me/phone_number', tokens.access_token), 404, 'not_found');

    // An unverified phone number is no way to sign in.
    await db.pool.query("UPDATE users SET phone_number = '+14155550105' WHERE id = $1", [userId]);
    await expectProblem(await call('DELETE', '/me/email', tokens.access_token), 400, 'last_sign_in_method');
    await db.pool.query('UPDATE users SET phone_number_verified = true WHERE id = $1', [userId]);
    const before = await mailCount('remover@example.com');
    const removed = await call('DELETE', '/me/email', tokens.access_token);
    assert.equal(removed.status, 204);
    assert.deepEqual(await user(userId), { email: null, phone_number: '+14155550105', email_verified: false, phone_number_verified: true });
    assert.match((await nextMail('remover@example.com', before)).subject, /was changed/);
    await expectProblem(await call('DELETE', '/me/phone_number', tokens.access_token), 400, 'last_sign_in_method');
    await expectProblem(await call('DELETE', '/me/email', tokens.access_token), 404, 'not_found');
  });

  it('answers 401 without a token before looking at the body, and validates identifiers', async () => {
    const anonymous = await server.post('/me/email', { email: 'not an email' });
    assert.equal(anonymous.status, 401);
    await createUser(db, 'validator@example.com');
    const tokens = await signIn(server, ses, 'validator@example.com');
    await expectProblem(await call('POST', '/me/email', tokens.access_token, { email: 'not an email' }), 400, 'invalid_email');
    await expectProblem(await call('POST', '/me/phone_number', tokens.access_token, { phone_number: '12' }), 400, 'invalid_phone_number');
    await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'x@example.com', token: 12 }), 400, 'invalid_token');
  });

  describe('under a named client', () => {
    const SHOP_ORIGIN = 'https://shop.example.test';
    const FOREIGN_ORIGIN = 'https://evil.example.test';
    before(async () => {
      const { clients } = server.app.services;
      const shop = await clients.add('shop', { name: 'Shop', allowed_origins: [SHOP_ORIGIN], email_from: 'Shop <hello@shop.example.test>' });
      const mailOnly = await clients.add('mail-only', { name: 'Mail Only', allowed_methods: ['email'] });
      assert.deepEqual([shop.outcome, mailOnly.outcome], ['ok', 'ok']);
    });

    async function rowCounts(): Promise<{ tokens: number; jobs: number }> {
      const { rows } = await db.pool.query<{ tokens: number; jobs: number }>('SELECT (SELECT count(*) FROM one_time_tokens)::int AS tokens, (SELECT count(*) FROM delivery_jobs)::int AS jobs');
      return rows[0]!;
    }

    it('sends the code and the notices with the name and sender of the client, and verifies the code only under that client', async () => {
      const userId = await createUser(db, 'shop-old@example.com');
      await createUser(db, 'shop-taken@example.com');
      const tokens = await signIn(server, ses, 'shop-old@example.com');
      const shop = { origin: SHOP_ORIGIN };

      const before = await mailCount('shop-new@example.com');
      assert.equal((await call('POST', '/me/email', tokens.access_token, { email: 'shop-new@example.com', client_id: 'shop' }, shop)).status, 202);
      const mail = await nextMail('shop-new@example.com', before);
      assert.match(mail.subject, /Shop confirmation code/);
      assert.equal(mail.from, 'Shop <hello@shop.example.test>');
      const code = codeIn(mail.body.text ?? '');
      // An address another account holds gets the client's notice.
      const takenBefore = await mailCount('shop-taken@example.com');
      assert.equal((await call('POST', '/me/email', tokens.access_token, { email: 'shop-taken@example.com', client_id: 'shop' }, shop)).status, 202);
      const taken = await nextMail('shop-taken@example.com', takenBefore);
      assert.match(taken.subject, /to a Shop account/);
      assert.equal(taken.from, 'Shop <hello@shop.example.test>');

      // Under another client (the default one, or one of the same origin rules) the code is like a wrong one, and is not spent.
      await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'shop-new@example.com', token: code }), 400, 'invalid_token');
      await expectProblem(await call('POST', '/me/email/verify', tokens.access_token, { email: 'shop-new@example.com', token: code, client_id: 'mail-only' }), 400, 'invalid_token');
      assert.deepEqual(await user(userId), { email: 'shop-old@example.com', phone_number: null, email_verified: true, phone_number_verified: false });

      const oldBefore = await mailCount('shop-old@example.com');
      const verified = await call('POST', '/me/email/verify', tokens.access_token, { email: 'shop-new@example.com', token: code, client_id: 'shop' }, shop);
      assert.equal(verified.status, 200);
      assert.equal(((await verified.json()) as { email: string }).email, 'shop-new@example.com');
      // The old address is told in the client's name.
      const changed = await nextMail('shop-old@example.com', oldBefore);
      assert.match(changed.subject, /Your Shop sign-in address was changed/);
      assert.equal(changed.from, 'Shop <hello@shop.example.test>');
      const { rows } = await db.pool.query("SELECT client_id FROM one_time_tokens WHERE purpose = 'verify' AND user_id = $1", [userId]);
      assert.deepEqual(rows, [{ client_id: 'shop' }]);
    });

    it('refuses an unknown client, an Origin the client does not allow and a channel it does not allow, and writes and sends nothing (S39)', async () => {
      await createUser(db, 'shop-refused@example.com');
      const tokens = await signIn(server, ses, 'shop-refused@example.com');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const before = await rowCounts();
      const mailsBefore = await mailCount('shop-refused-new@example.com');
      const email = 'shop-refused-new@example.com';
      const cases: [string, unknown, Record<string, string>, number, string][] = [
        ['/me/email', { email, client_id: 'no-such-app' }, {}, 400, 'invalid_client'],
        ['/me/email', { email, client_id: 'x'.repeat(65) }, {}, 400, 'invalid_client'],
        ['/me/email', { email, client_id: 'shop' }, { origin: FOREIGN_ORIGIN }, 403, 'origin_not_allowed'],
        // The default client does not allow the shop's origin.
        ['/me/email', { email }, { origin: SHOP_ORIGIN }, 403, 'origin_not_allowed'],
        ['/me/phone_number', { phone_number: '+14155550199', client_id: 'mail-only' }, {}, 400, 'method_not_allowed'],
        ['/me/email/verify', { email, token: '123456', client_id: 'no-such-app' }, {}, 400, 'invalid_client'],
        ['/me/email/verify', { email, token: '123456', client_id: 'shop' }, { origin: FOREIGN_ORIGIN }, 403, 'origin_not_allowed'],
        ['/me/phone_number/verify', { phone_number: '+14155550199', token: '123456', client_id: 'mail-only' }, {}, 400, 'invalid_token'],
      ];
      for (const [path, body, headers, status, code] of cases) {
        const response = await call('POST', path, tokens.access_token, body, headers);
        assert.equal(response.status, status, `${path} ${JSON.stringify(body)}`);
        assert.equal(((await response.json()) as { code: string }).code, code, `${path} ${JSON.stringify(body)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await rowCounts(), before);
      assert.equal(await mailCount(email), mailsBefore);
    });
  });

  it('sends the verification code and the notices in the requested language', async () => {
    await createUser(db, 'sprache@example.com');
    const tokens = await signIn(server, ses, 'sprache@example.com');
    const before = await mailCount('neu@example.com');
    assert.equal((await call('POST', '/me/email', tokens.access_token, { email: 'neu@example.com' }, { 'accept-language': 'de-DE,de;q=0.9' })).status, 202);
    const mail = await nextMail('neu@example.com', before);
    assert.match(mail.subject, /Bestätigungscode/);
    assert.match(mail.body.html ?? '', /<html lang="de">/);
  });
});
