// Sessions over an in-memory repository: rotation, reuse detection (S30), grace retries (S31),
// revocation (S32); no I/O, a frozen clock. The same rules against PostgreSQL are in
// test/integration/sessions.test.ts.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { AppError } from '../../src/errors.ts';
import { cryptoRandom } from '../../src/lib/random.ts';
import { childRefreshToken, newRefreshToken } from '../../src/lib/refresh-tokens.ts';
import type { AuditEvent } from '../../src/services/audit-log.ts';
import { createSessionService, type SessionService } from '../../src/services/session-service.ts';
import type { RequestContext } from '../../src/services/types.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createTestClock, type TestClock } from '../helpers/app.ts';
import { defaultClientOf } from '../helpers/clients.ts';
import { createFakeSessionRepository, type FakeSessionRepository } from '../helpers/fake-session-repository.ts';

const REFRESH_KEY = Buffer.alloc(32, 3);
const CONTEXT: RequestContext = { ip: '203.0.113.9', userAgent: 'unit', acceptLanguage: undefined };
const USER = { id: 'user-1', email: 'ada@example.com', phoneNumber: null };
const DAY = 86_400;
const CLIENT = defaultClientOf(loadConfig({ NODE_ENV: 'test' }));

describe('session service', () => {
  let clock: TestClock;
  let repository: FakeSessionRepository;
  let audit: AuditEvent[];

  function service(settings: { refreshTokenIdleTtlSeconds?: number; refreshReuseGraceSeconds?: number } = {}): SessionService {
    return createSessionService({
      sessions: repository,
      signer: { issue: async (user, sessionId) => ({ access_token: `access:${user.id}:${sessionId}`, token_type: 'Bearer', expires_in: 900 }) },
      refreshKey: REFRESH_KEY,
      clock,
      log: { info() {}, warn() {}, error() {} },
      audit: { record: (event) => { audit.push(event); } },
      settings: { defaultClientId: CLIENT.clientId, refreshTokenIdleTtlSeconds: 7 * DAY, refreshReuseGraceSeconds: 0, ...settings },
    });
  }

  /** A signed-in session and the refresh token its client holds. */
  function signedIn(user = USER): { sessionId: string; token: string } {
    const refresh = newRefreshToken(cryptoRandom);
    const session = repository.open({ user, refreshHash: refresh.hash, now: clock.now(), expiresAt: new Date(clock.now().getTime() + 30 * DAY * 1000) });
    return { sessionId: session.id, token: refresh.token };
  }

  async function rejectsInvalid(promise: Promise<unknown>): Promise<void> {
    await assert.rejects(promise, (error: unknown) => error instanceof AppError && error.code === 'invalid_token');
  }

  beforeEach(() => {
    clock = createTestClock(new Date('2031-01-01T12:00:00Z'));
    repository = createFakeSessionRepository();
    audit = [];
  });

  it('rotates a refresh token into its derived child and a new access token', async () => {
    const sessions = service();
    const { sessionId, token } = signedIn();
    clock.advance(60);
    const refreshed = await sessions.refresh(token, CONTEXT, CLIENT);
    assert.deepEqual(refreshed, { access_token: `access:user-1:${sessionId}`, token_type: 'Bearer', expires_in: 900, refresh_token: childRefreshToken(REFRESH_KEY, token).token, refreshTokenExpiresIn: 30 * DAY - 60 });
    assert.deepEqual(repository.sessions[0]!.lastUsedAt, clock.now());
    assert.deepEqual(audit.map((event) => [event.event, event.outcome, event.detail]), [['token.refreshed', 'succeeded', { sessionId }]]);
  });

  it('revokes the whole family when a spent token comes back, so the child dies too (S30)', async () => {
    const sessions = service();
    const { sessionId, token } = signedIn();
    const { refresh_token: child } = await sessions.refresh(token, CONTEXT, CLIENT);
    clock.advance(1);
    await rejectsInvalid(sessions.refresh(token, CONTEXT, CLIENT));
    assert.deepEqual(repository.sessions[0]!.revokedAt, clock.now());
    await rejectsInvalid(sessions.refresh(child, CONTEXT, CLIENT));
    assert.deepEqual(audit.map((event) => [event.event, event.outcome]), [['token.refreshed', 'succeeded'], ['token.reuse_detected', 'revoked']]);
    assert.equal(audit[1]!.detail?.sessionId, sessionId);
  });

  it('answers a retry inside the grace window with the same child, and treats it as reuse after (S31)', async () => {
    const sessions = service({ refreshReuseGraceSeconds: 10 });
    const { token } = signedIn();
    const first = await sessions.refresh(token, CONTEXT, CLIENT);
    clock.advance(5);
    const retried = await sessions.refresh(token, CONTEXT, CLIENT);
    assert.equal(retried.refresh_token, first.refresh_token);
    assert.equal(audit[1]!.reason, 'grace_retry');
    clock.advance(10);
    await rejectsInvalid(sessions.refresh(token, CONTEXT, CLIENT));
    assert.equal(audit[2]!.event, 'token.reuse_detected');
  });

  it('refuses a malformed, unknown or idle-expired token', async () => {
    const sessions = service({ refreshTokenIdleTtlSeconds: 3600 });
    await rejectsInvalid(sessions.refresh('not-a-token', CONTEXT, CLIENT));
    await rejectsInvalid(sessions.refresh(newRefreshToken(cryptoRandom).token, CONTEXT, CLIENT));
    const { token } = signedIn();
    clock.advance(3601);
    await rejectsInvalid(sessions.refresh(token, CONTEXT, CLIENT));
    assert.deepEqual(audit, []);
  });

  it('revokes the family of any of its tokens and stays silent about unknown ones (RFC 7009)', async () => {
    const sessions = service();
    const { sessionId, token } = signedIn();
    await sessions.revokeToken('garbage', CONTEXT);
    await sessions.revokeToken(newRefreshToken(cryptoRandom).token, CONTEXT);
    await sessions.revokeToken(token, CONTEXT);
    await rejectsInvalid(sessions.refresh(token, CONTEXT, CLIENT));
    assert.deepEqual(audit.map((event) => [event.event, event.reason, event.detail]), [['session.revoked', 'token_revoked', { sessionId }]]);
  });

  it('lists the caller’s live sessions, marks the current one and ends each at its idle or absolute end', async () => {
    const sessions = service({ refreshTokenIdleTtlSeconds: 3600 });
    const first = signedIn();
    clock.advance(60);
    const second = signedIn();
    signedIn({ id: 'user-2', email: 'bob@example.com', phoneNumber: null });
    const listed = await sessions.listSessions({ userId: 'user-1', sessionId: first.sessionId });
    assert.deepEqual(listed?.map((session) => [session.id, session.current, session.expiresAt.toISOString()]), [
      [second.sessionId, false, '2031-01-01T13:01:00.000Z'],
      [first.sessionId, true, '2031-01-01T13:00:00.000Z'],
    ]);
  });

  it('ends another session, one that is not the caller’s is not found, and an ended caller can do neither', async () => {
    const sessions = service();
    const caller = signedIn();
    const other = signedIn();
    const stranger = signedIn({ id: 'user-2', email: 'bob@example.com', phoneNumber: null });
    const me = { userId: 'user-1', sessionId: caller.sessionId };
    assert.equal(await sessions.endSession(me, stranger.sessionId, CONTEXT), 'not_found');
    assert.equal(await sessions.endSession(me, other.sessionId, CONTEXT), 'ended');
    await sessions.logout(me, CONTEXT);
    assert.equal(await sessions.endSession(me, other.sessionId, CONTEXT), 'caller_ended');
    assert.equal(await sessions.endAllSessions(me, CONTEXT), 'caller_ended');
    assert.equal(await sessions.listSessions(me), null);
    assert.equal(await sessions.profile(me), null);
    assert.deepEqual(audit.map((event) => event.reason), ['user_revoked', 'logout']);
  });

  it('ends every session of the caller at once', async () => {
    const sessions = service();
    const caller = signedIn();
    signedIn();
    assert.equal(await sessions.endAllSessions({ userId: 'user-1', sessionId: caller.sessionId }, CONTEXT), 'ended');
    assert.deepEqual(audit.map((event) => event.reason), ['logout_all', 'logout_all']);
    assert.ok(repository.sessions.every((session) => session.revokedAt !== null));
  });

  it('purges sessions past their absolute end and keeps the rest', async () => {
    const sessions = service();
    signedIn();
    clock.advance(DAY);
    signedIn();
    clock.advance(29 * DAY);
    assert.equal(await sessions.purgeExpired(), 1);
    assert.equal(repository.sessions.length, 1);
    assert.equal(repository.refreshTokens.length, 1);
  });
});
