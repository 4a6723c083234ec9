// Bad input gets a clear 4xx problem+json with a stable code, and nothing is written or sent.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { TestDatabase } from '../helpers/database.ts';
import type { TestApp } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws } from '../helpers/fixtures.ts';

describe('bad input', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  let app: TestApp;

  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
    db = await withDatabase(suite);
    app = await withTestApp(suite, { db, env: { REGISTER_NONEXISTENT_USERS: 'true' } });
  });

  async function rowCounts(): Promise<Record<string, number>> {
    const { rows } = await db.pool.query(`SELECT
      (SELECT count(*)::int FROM users) AS users,
      (SELECT count(*)::int FROM one_time_tokens) AS tokens,
      (SELECT count(*)::int FROM request_throttle) AS throttle`);
    return rows[0];
  }

  async function expectProblem(response: Response, status: number, code: string): Promise<void> {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'detail', 'status', 'title', 'type']);
    assert.equal(body.code, code);
    assert.equal(body.status, status);
  }

  const hostileEmails: [string, unknown][] = [
    ['a list', 'a@example.com, b@example.com'],
    ['a semicolon list', 'a@example.com;b@example.com'],
    ['CR/LF header injection', 'a@example.com\r\nBcc: b@example.com'],
    ['a bare LF', 'a@example.com\nb@example.com'],
    ['a display name', 'Mallory <mallory@example.com>'],
    ['angle brackets', '<a@example.com>'],
    ['a quoted local part', '"a b"@example.com'],
    ['no domain', 'a@'],
    ['no TLD', 'a@example'],
    ['an empty string', ''],
    ['a 10 kB string', `${'a'.repeat(10_000)}@example.com`],
    ['a 255-character address', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}.com`],
    ['a number', 12345],
    ['null', null],
    ['an array', ['a@example.com']],
    ['an object', { address: 'a@example.com' }],
    ['a boolean', true],
  ];

  for (const [label, email] of hostileEmails) {
    it(`rejects ${label} as the email with 400 invalid_email and writes nothing (S14)`, async () => {
      const before = await rowCounts();
      await expectProblem(await app.post('/passwordless/request/email', { email }), 400, 'invalid_email');
      assert.deepEqual(await rowCounts(), before);
    });
  }

  it('rejects a missing email field', async () => {
    const before = await rowCounts();
    await expectProblem(await app.post('/passwordless/request/email', {}), 400, 'invalid_email');
    await expectProblem(await app.post('/passwordless/request/email', { phone_number: '+14155550123' }), 400, 'invalid_email');
    assert.deepEqual(await rowCounts(), before);
  });

  it('rejects malformed phone numbers with invalid_phone_number', async () => {
    const before = await rowCounts();
    for (const phone_number of ['not a phone', '+1 415 555 0123 ext 5', 'x'.repeat(10_000), 14155550123, null, '', '+14155550123\r\n']) {
      await expectProblem(await app.post('/passwordless/request/mobile', { phone_number }), 400, 'invalid_phone_number');
    }
    await expectProblem(await app.post('/passwordless/request/mobile', {}), 400, 'invalid_phone_number');
    assert.deepEqual(await rowCounts(), before);
  });

  it('rejects bodies that are not a JSON object with invalid_request', async () => {
    const before = await rowCounts();
    for (const body of ['{"email": "a@example.com"', 'not json', '"a@example.com"', '[]', 'null', '42']) {
      await expectProblem(await app.post('/passwordless/request/email', body), 400, 'invalid_request');
    }
    assert.deepEqual(await rowCounts(), before);
  });

  it('answers exchange input errors of every kind with invalid_token (S18)', async () => {
    const before = await rowCounts();
    const bodies: unknown[] = ['{broken', {}, { email: 'a@example.com' }, { token: '123456' }, { email: 'a@example.com', token: 123456 },
      { email: ['a@example.com'], token: '123456' }, { email: 'a@example.com', token: 'x'.repeat(10_000) }];
    for (const body of bodies) {
      await expectProblem(await app.post('/passwordless/exchange/email', body), 400, 'invalid_token');
    }
    await expectProblem(await app.post('/passwordless/exchange/mobile', { phone_number: 14155550123, token: '123456' }), 400, 'invalid_token');
    await expectProblem(await app.post('/passwordless/exchange/standalone', { token: null }), 400, 'invalid_token');
    assert.deepEqual(await rowCounts(), before);
  });

  it('rejects other content types with 415 and oversized bodies with 413', async () => {
    const before = await rowCounts();
    const form = await fetch(`${app.url}/passwordless/request/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40example.com',
    });
    await expectProblem(form, 415, 'unsupported_media_type');
    const huge = await app.post('/passwordless/request/email', { email: 'a@example.com', padding: 'x'.repeat(100_000) });
    await expectProblem(huge, 413, 'payload_too_large');
    assert.deepEqual(await rowCounts(), before);
  });

  it('ignores unknown fields rather than storing them', async () => {
    const response = await app.post('/passwordless/request/email', { email: 'extra-field@example.com', is_admin: true });
    assert.equal(response.status, 202);
    const { rows } = await db.pool.query("SELECT is_admin FROM users WHERE email = 'extra-field@example.com'");
    assert.deepEqual(rows, [{ is_admin: false }]);
  });

  it('sends nothing for any rejected request', async () => {
    await app.app.services.delivery.drain();
    const emails = await ses.emails();
    assert.deepEqual(emails.map((email) => email.destination.to).flat(), ['extra-field@example.com']);
    assert.equal(sns.messages.length, 0);
  });

  it('accepts trailing slashes on every route', async () => {
    assert.equal((await app.post('/passwordless/request/email/', { email: 'slash@example.com' })).status, 202);
    assert.equal((await fetch(`${app.url}/.well-known/jwks.json/`)).status, 200);
    assert.equal((await fetch(`${app.url}/healthz/`)).status, 200);
  });

  it('answers unknown routes and methods with a 404 problem', async () => {
    await expectProblem(await fetch(`${app.url}/nope`), 404, 'not_found');
    await expectProblem(await fetch(`${app.url}/passwordless/request/email`), 404, 'not_found');
  });

  it('sets the security headers on every response (S13, S35)', async () => {
    for (const response of [
      await fetch(`${app.url}/healthz`),
      await app.post('/passwordless/request/email', { email: 'headers@example.com' }),
      await app.post('/passwordless/exchange/standalone', { token: 'nope' }),
    ]) {
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
    }
  });
});
