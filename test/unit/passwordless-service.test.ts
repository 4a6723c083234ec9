// The sign-in rules over an in-memory token repository: no I/O, a frozen clock. The same rules
// against PostgreSQL are in test/integration/one-time-codes.test.ts and its neighbours.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { createLocaleResolver } from '../../src/delivery/locale-negotiation.ts';
import { createPayloadSealer } from '../../src/delivery/outbox-payload.ts';
import { AppError } from '../../src/errors.ts';
import { createCodeHasher } from '../../src/lib/code-hasher.ts';
import { cryptoRandom } from '../../src/lib/random.ts';
import { hashPresentedRefreshToken } from '../../src/lib/refresh-tokens.ts';
import type { AuditEvent } from '../../src/services/audit-log.ts';
import { createDemoIdentities } from '../../src/services/demo-identities.ts';
import { createPasswordlessService, type PasswordlessService } from '../../src/services/passwordless-service.ts';
import type { RequestContext } from '../../src/services/types.ts';
import { createTestClock, type TestClock } from '../helpers/app.ts';
import { defaultClientOf } from '../helpers/clients.ts';
import type { Client } from '../../src/services/client-registry.ts';
import { createFakeTokenRepository, type FakeTokenRepository } from '../helpers/fake-token-repository.ts';

const SECRETS = [Buffer.alloc(32, 7)];
const CONTEXT: RequestContext = { ip: '203.0.113.9', userAgent: 'unit', acceptLanguage: undefined };
const LOGIN_URL = 'https://app.example.com/login?token={token}';

/** The service with the client argument optional: the default client of the configuration. */
type TestService = {
  requestCode(channel: 'email' | 'mobile', identifier: string, context: RequestContext, client?: Client): Promise<void>;
  exchange(channel: 'email' | 'mobile', identifier: string, token: string, context: RequestContext, client?: Client): ReturnType<PasswordlessService['exchange']>;
  exchangeStandalone(token: string, context: RequestContext, client?: Client): ReturnType<PasswordlessService['exchangeStandalone']>;
};

describe('passwordless service', () => {
  let clock: TestClock;
  let tokens: FakeTokenRepository;
  let audit: AuditEvent[];
  let wakes: number;
  const sealer = createPayloadSealer(SECRETS);

  function service(env: Record<string, string> = {}): TestService {
    const config = loadConfig({ NODE_ENV: 'test', ALLOWED_PASSWORDLESS_METHODS: 'email,mobile', PASSWORDLESS_EMAIL_LOGIN_URL: LOGIN_URL, ...env });
    const client = defaultClientOf(config);
    const inner = createPasswordlessService({
      tokens,
      signer: { issue: async (user, sessionId) => ({ access_token: `access:${user.id}:${sessionId}`, token_type: 'Bearer', expires_in: 900 }) },
      delivery: { wake: () => { wakes += 1; } },
      sealer,
      locales: createLocaleResolver(['en', 'de'], 'en'),
      hasher: createCodeHasher(SECRETS),
      clock,
      random: cryptoRandom,
      log: { info() {}, warn() {}, error() {} },
      settings: config,
      audit: { record: (event) => { audit.push(event); }, flush: async () => {}, close: async () => {} },
      smsGuard: { screenCountry: (e164) => (e164.startsWith('+1') ? { allowed: true } : { allowed: false, reason: 'country_not_allowed' }) },
      demo: createDemoIdentities(config.demoUsers, clock),
      admission: { admit: () => true, retryAfterSeconds: () => 1 },
    });
    return {
      requestCode: (channel, identifier, context, forClient = client) => inner.requestCode(channel, identifier, context, forClient),
      exchange: (channel, identifier, token, context, forClient = client) => inner.exchange(channel, identifier, token, context, forClient),
      exchangeStandalone: (token, context, forClient = client) => inner.exchangeStandalone(token, context, forClient),
    };
  }

  /** The code and link the last delivery job would send. */
  function lastMessage() {
    return sealer.open(tokens.jobs.at(-1)!);
  }

  async function rejectsWith(promise: Promise<unknown>, code: string): Promise<AppError> {
    let caught: unknown;
    await promise.catch((error: unknown) => { caught = error; });
    assert.ok(caught instanceof AppError, `expected AppError ${code}, got ${String(caught)}`);
    assert.equal(caught.code, code);
    return caught;
  }

  beforeEach(() => {
    clock = createTestClock(new Date('2031-01-01T12:00:00Z'));
    tokens = createFakeTokenRepository();
    audit = [];
    wakes = 0;
  });

  it('issues a sealed code and link for a known address, wakes the dispatcher, and the code signs in once', async () => {
    const passwordless = service();
    const user = tokens.addUser({ email: 'ada@example.com', phoneNumber: null });
    await passwordless.requestCode('email', ' Ada@Example.com ', CONTEXT);
    const message = lastMessage();
    assert.equal(message.to, 'ada@example.com');
    assert.match(message.code, /^\d{6}$/);
    assert.match(message.link!, /^https:\/\/app\.example\.com\/login\?token=[a-z0-9]{64}$/);
    assert.equal(wakes, 1);
    assert.equal(tokens.tokens.length, 1);
    assert.notEqual(tokens.tokens[0]!.shortHash.toString('hex').includes(message.code), true, 'only a keyed hash is stored (S8)');

    const issued = await passwordless.exchange('email', 'ada@example.com', message.code, CONTEXT);
    const [session] = tokens.sessions;
    assert.equal(issued.access_token, `access:${user.id}:${session!.id}`);
    assert.deepEqual(hashPresentedRefreshToken(issued.refresh_token), session!.refreshHash);
    assert.deepEqual(session!.expiresAt, new Date('2031-01-31T12:00:00Z'));
    await rejectsWith(passwordless.exchange('email', 'ada@example.com', message.code, CONTEXT), 'invalid_token');
    assert.deepEqual(audit.map((event) => [event.event, event.outcome, event.reason]), [
      ['code.requested', 'issued', undefined],
      ['sign_in.succeeded', 'succeeded', undefined],
      ['sign_in.failed', 'failed', 'no_live_token'],
    ]);
  });

  it('answers an unknown address like a known one and stores and sends nothing (S17)', async () => {
    const passwordless = service();
    assert.equal(await passwordless.requestCode('email', 'nobody@example.com', CONTEXT), undefined);
    assert.deepEqual([tokens.tokens.length, tokens.jobs.length, wakes], [0, 0, 0]);
    assert.deepEqual(audit.map((event) => [event.event, event.outcome]), [['code.requested', 'ignored']]);
  });

  it('registers an unknown address when REGISTER_NONEXISTENT_USERS is on', async () => {
    const passwordless = service({ REGISTER_NONEXISTENT_USERS: 'true' });
    await passwordless.requestCode('email', 'new@example.com', CONTEXT);
    assert.deepEqual(tokens.users.map((user) => user.email), ['new@example.com']);
    assert.deepEqual(audit.map((event) => [event.event, event.outcome, event.reason]), [['code.requested', 'issued', 'registered']]);
  });

  it('throttles a second request for the same destination with Retry-After, and allows it after the window (S7)', async () => {
    const passwordless = service();
    tokens.addUser({ email: 'ada@example.com', phoneNumber: null });
    await passwordless.requestCode('email', 'ada@example.com', CONTEXT);
    clock.advance(20);
    const throttled = await rejectsWith(passwordless.requestCode('email', 'ada@example.com', CONTEXT), 'throttled');
    assert.deepEqual(throttled.headers, { 'retry-after': '40' });
    // Unknown identifiers are throttled the same way.
    await passwordless.requestCode('email', 'nobody@example.com', CONTEXT);
    await rejectsWith(passwordless.requestCode('email', 'nobody@example.com', CONTEXT), 'throttled');
    clock.advance(40);
    await passwordless.requestCode('email', 'ada@example.com', CONTEXT);
    assert.equal(tokens.tokens.filter((token) => token.revokedAt === null).length, 1, 'the newer code revokes the older one');
  });

  it('counts every guess and kills the code after MAX_TOKEN_ATTEMPTS, even for the right code (S5)', async () => {
    const passwordless = service({ MAX_TOKEN_ATTEMPTS: '3' });
    tokens.addUser({ email: 'ada@example.com', phoneNumber: null });
    await passwordless.requestCode('email', 'ada@example.com', CONTEXT);
    const { code } = lastMessage();
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) await rejectsWith(passwordless.exchange('email', 'ada@example.com', wrong, CONTEXT), 'invalid_token');
    await rejectsWith(passwordless.exchange('email', 'ada@example.com', code, CONTEXT), 'invalid_token');
    assert.deepEqual(audit.slice(1).map((event) => event.reason), ['wrong_code', 'wrong_code', 'wrong_code', 'no_live_token']);
  });

  it('burns the code on a wrong guess when INCORRECT_SHORT_TOKEN_REDEEMS_TOKEN is on', async () => {
    const passwordless = service({ INCORRECT_SHORT_TOKEN_REDEEMS_TOKEN: 'true' });
    tokens.addUser({ email: 'ada@example.com', phoneNumber: null });
    await passwordless.requestCode('email', 'ada@example.com', CONTEXT);
    const { code } = lastMessage();
    await rejectsWith(passwordless.exchange('email', 'ada@example.com', code === '000000' ? '111111' : '000000', CONTEXT), 'invalid_token');
    await rejectsWith(passwordless.exchange('email', 'ada@example.com', code, CONTEXT), 'invalid_token');
  });

  it('binds a code to its destination (S10) and refuses an expired one', async () => {
    const passwordless = service();
    tokens.addUser({ email: 'ada@example.com', phoneNumber: null });
    tokens.addUser({ email: 'bob@example.com', phoneNumber: null });
    await passwordless.requestCode('email', 'ada@example.com', CONTEXT);
    const { code } = lastMessage();
    clock.advance(60);
    await passwordless.requestCode('email', 'bob@example.com', CONTEXT);
    await rejectsWith(passwordless.exchange('email', 'bob@example.com', code, CONTEXT), 'invalid_token');
    clock.advance(600);
    await rejectsWith(passwordless.exchange('email', 'ada@example.com', code, CONTEXT), 'invalid_token');
  });

  it('accepts the magic-link token on the standalone exchange, once', async () => {
    const passwordless = service();
    tokens.addUser({ email: 'ada@example.com', phoneNumber: null });
    await passwordless.requestCode('email', 'ada@example.com', CONTEXT);
    const token = new URL(lastMessage().link!).searchParams.get('token')!;
    const issued = await passwordless.exchangeStandalone(token.toUpperCase(), CONTEXT);
    assert.match(issued.access_token, /^access:user-\d+:session-\d+$/);
    await rejectsWith(passwordless.exchangeStandalone(token, CONTEXT), 'invalid_token');
    await rejectsWith(passwordless.exchangeStandalone('short', CONTEXT), 'invalid_token');
    assert.deepEqual(audit.slice(1).map((event) => [event.event, event.reason]), [
      ['sign_in.succeeded', undefined],
      ['sign_in.failed', 'no_live_token'],
      ['sign_in.failed', 'malformed'],
    ]);
  });

  it('answers a number off the SMS allowlist like an accepted one, and stores and sends nothing (S21)', async () => {
    const passwordless = service();
    tokens.addUser({ email: null, phoneNumber: '+4915123456789' });
    await passwordless.requestCode('mobile', '+49 151 23456789', CONTEXT);
    assert.deepEqual([tokens.tokens.length, tokens.jobs.length, wakes], [0, 0, 0]);
    assert.deepEqual(audit.map((event) => [event.event, event.outcome, event.reason]), [['code.blocked', 'blocked', 'country_not_allowed']]);
    await rejectsWith(passwordless.requestCode('mobile', '+49 151 23456789', CONTEXT), 'throttled');
  });

  it('refuses a method that is not enabled and identifiers that do not parse', async () => {
    const passwordless = service({ ALLOWED_PASSWORDLESS_METHODS: 'email' });
    await rejectsWith(passwordless.requestCode('mobile', '+12025550100', CONTEXT), 'method_not_allowed');
    await rejectsWith(passwordless.requestCode('email', 'not-an-address', CONTEXT), 'invalid_email');
    await rejectsWith(passwordless.exchange('mobile', '+12025550100', '123456', CONTEXT), 'invalid_token');
    await rejectsWith(passwordless.exchange('email', 'ada@example.com', '12345', CONTEXT), 'invalid_token');
    assert.deepEqual(audit.map((event) => event.reason), ['method_not_allowed', 'malformed']);
  });
});
