/**
 * An in-memory SessionRepository with the rules of the SQL statements (rotation with reuse
 * detection and a grace window, idle and absolute expiry, revocation), for unit tests of the
 * session service. The integration tests hold the real statements to the same rules.
 */
import type { RotationResult, SessionRecord, SessionRepository, SessionUser } from '../../src/repositories/session-repository.ts';

export interface FakeSession extends SessionRecord {
  user: SessionUser;
  revokedAt: Date | null;
}

interface FakeRefreshToken {
  hash: Buffer;
  sessionId: string;
  parentHash: Buffer | null;
  spentAt: Date | null;
}

export interface FakeSessionRepository extends SessionRepository {
  sessions: FakeSession[];
  refreshTokens: FakeRefreshToken[];
  /** A session with its first refresh token, as a sign-in opens it. */
  open(input: { user: SessionUser; refreshHash: Buffer; now: Date; expiresAt: Date }): FakeSession;
}

export function createFakeSessionRepository(): FakeSessionRepository {
  let sequence = 0;
  const repository: FakeSessionRepository = {
    sessions: [],
    refreshTokens: [],

    open(input) {
      const session: FakeSession = {
        id: `session-${++sequence}`, user: input.user, createdAt: input.now, lastUsedAt: input.now, expiresAt: input.expiresAt,
        ip: '203.0.113.9', userAgent: 'unit', revokedAt: null,
      };
      repository.sessions.push(session);
      repository.refreshTokens.push({ hash: input.refreshHash, sessionId: session.id, parentHash: null, spentAt: null });
      return session;
    },

    async rotate(input): Promise<RotationResult> {
      const presented = repository.refreshTokens.find((token) => token.hash.equals(input.presentedHash));
      if (presented === undefined) return { outcome: 'invalid' };
      const session = sessionById(presented.sessionId)!;
      const isLive = live(session, input.now, input.idleSeconds);
      if (presented.spentAt === null) {
        if (!isLive) return { outcome: 'invalid' };
        presented.spentAt = input.now;
        repository.refreshTokens.push({ hash: input.childHash, sessionId: session.id, parentHash: input.presentedHash, spentAt: null });
        session.lastUsedAt = input.now;
        return { outcome: 'rotated', sessionId: session.id, user: session.user, authentication: authenticationOf(session), expiresAt: session.expiresAt };
      }
      const child = repository.refreshTokens.find((token) => token.hash.equals(input.childHash) && token.parentHash?.equals(input.presentedHash));
      if (isLive && presented.spentAt.getTime() > input.now.getTime() - input.graceSeconds * 1000 && child?.spentAt === null) {
        return { outcome: 'retried', sessionId: session.id, user: session.user, authentication: authenticationOf(session), expiresAt: session.expiresAt };
      }
      if (presented.spentAt < input.now && session.revokedAt === null) {
        session.revokedAt = input.now;
        return { outcome: 'reused', sessionId: session.id, userId: session.user.id };
      }
      return { outcome: 'invalid' };
    },

    async revokeByToken(input) {
      const token = repository.refreshTokens.find((candidate) => candidate.hash.equals(input.hash));
      const session = token && sessionById(token.sessionId);
      if (!session || session.revokedAt !== null) return null;
      session.revokedAt = input.now;
      return { sessionId: session.id, userId: session.user.id };
    },

    async profile(input) {
      const session = sessionById(input.sessionId);
      if (!session || session.user.id !== input.userId || !live(session, input.now, input.idleSeconds)) return null;
      return { ...session.user, emailVerified: true, phoneNumberVerified: false, createdAt: session.createdAt, lastLoginAt: session.createdAt, appMetadata: {}, userMetadata: {} };
    },

    async updateUserMetadata(input) {
      const profile = await this.profile(input);
      return profile === null ? null : { ...profile, userMetadata: input.userMetadata };
    },

    async listLive(input) {
      return repository.sessions
        .filter((session) => session.user.id === input.userId && live(session, input.now, input.idleSeconds))
        .sort((a, b) => b.lastUsedAt.getTime() - a.lastUsedAt.getTime())
        .map(({ id, createdAt, lastUsedAt, expiresAt, ip, userAgent }) => ({ id, createdAt, lastUsedAt, expiresAt, ip, userAgent }));
    },

    async revoke(input) {
      const session = sessionById(input.sessionId);
      if (!session || session.user.id !== input.userId || session.revokedAt !== null || session.expiresAt <= input.now) return false;
      session.revokedAt = input.now;
      return true;
    },

    async revokeAll(input) {
      const ended = repository.sessions.filter((session) => session.user.id === input.userId && session.revokedAt === null && session.expiresAt > input.now);
      for (const session of ended) session.revokedAt = input.now;
      return ended.map((session) => session.id);
    },

    async purgeExpired(input) {
      const expired = repository.sessions.filter((session) => session.expiresAt <= input.now).slice(0, input.limit);
      repository.sessions = repository.sessions.filter((session) => !expired.includes(session));
      repository.refreshTokens = repository.refreshTokens.filter((token) => !expired.some((session) => session.id === token.sessionId));
      return expired.length;
    },
  };

  function sessionById(id: string): FakeSession | undefined {
    return repository.sessions.find((session) => session.id === id);
  }

  function live(session: FakeSession, now: Date, idleSeconds: number): boolean {
    return session.revokedAt === null && session.expiresAt > now && session.lastUsedAt.getTime() > now.getTime() - idleSeconds * 1000;
  }

  return repository;
}

/** A fake session was opened by an email code: authenticated when it was created, by `otp`. */
function authenticationOf(session: FakeSession): { authTime: Date; amr: string[] } {
  return { authTime: session.createdAt, amr: ['otp'] };
}
