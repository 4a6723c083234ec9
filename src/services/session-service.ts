/**
 * Sessions after sign-in: refresh with rotation and reuse detection (S30), revocation (S32),
 * the caller's profile and session list. No HTTP and no SQL here.
 * Every refresh, reuse and revocation is audited (S33).
 */
import { AppError } from '../errors.ts';
import { checkMetadata } from './metadata.ts';
import type { Clock } from '../lib/clock.ts';
import { childRefreshToken, hashPresentedRefreshToken } from '../lib/refresh-tokens.ts';
import type { AccessTokenSigner } from '../keys/access-token-signer.ts';
import type { SessionRecord, SessionRepository, UserProfile } from '../repositories/session-repository.ts';
import type { AuditLog } from './audit-log.ts';
import type { IssuedTokens, Logger, RequestContext } from './types.ts';
import type { Client } from './client-registry.ts';
import { userEventData, type WebhookEvents } from './webhook-events.ts';

/**
 * The refresh failed (`400 invalid_token`, like any other failure), but the session the token
 * belongs to lives on: a concurrent refresh of the same token won, or the session is another
 * client's. A browser's refresh cookie may hold that session's live token, so it is not cleared.
 */
export class SessionLivesOn extends AppError {
  constructor() {
    super('invalid_token');
  }
}

export interface SessionSettings {
  defaultClientId: string;
  refreshTokenIdleTtlSeconds: number;
  refreshReuseGraceSeconds: number;
}

/** Who is calling, from a verified access token. */
export interface Caller {
  userId: string;
  sessionId: string;
  /** The token's `auth_time` (seconds), null when absent: recent-sign-in checks refuse it (S45). */
  authTime?: number | null;
  amr?: string[];
}

export interface SessionView extends SessionRecord {
  current: boolean;
}

export interface SessionService {
  /**
   * Rotates a refresh token of a session of `client`: a new access token (with the client's
   * audience and lifetime) and a new refresh token. Another client's token fails like an unknown one.
   */
  refresh(refreshToken: string, context: RequestContext, client: Client): Promise<IssuedTokens>;
  /** Ends the token's family; silent whether or not the token was valid (RFC 7009). */
  revokeToken(refreshToken: string, context: RequestContext): Promise<void>;
  /** The caller's profile, or null when the session or the user is no longer live. */
  profile(caller: Caller): Promise<UserProfile | null>;
  /** Replaces the caller's user_metadata (400 invalid_metadata past 4 KB); null when the session is over. */
  updateUserMetadata(caller: Caller, userMetadata: unknown, context: RequestContext): Promise<UserProfile | null>;
  listSessions(caller: Caller): Promise<SessionView[] | null>;
  /** Ends the caller's own session (logout); ending an ended session is no error. */
  logout(caller: Caller, context: RequestContext): Promise<void>;
  /**
   * Ends another of the caller's sessions. Acting on other sessions needs the caller's own
   * session to be live: an access token outliving its logout cannot end the others.
   */
  endSession(caller: Caller, sessionId: string, context: RequestContext): Promise<'ended' | 'not_found' | 'caller_ended'>;
  /** Ends every session of the caller; 'caller_ended' when the caller's own session is over. */
  endAllSessions(caller: Caller, context: RequestContext): Promise<'ended' | 'caller_ended'>;
  /** Deletes sessions past their absolute end, with their refresh tokens; how many. */
  purgeExpired(): Promise<number>;
}

const PURGE_BATCH = 1_000;

export function createSessionService(deps: {
  sessions: SessionRepository;
  signer: AccessTokenSigner;
  /** Subkey for deriving child refresh tokens (see lib/refresh-tokens.ts). */
  refreshKey: Buffer;
  clock: Clock;
  log: Logger;
  audit: Pick<AuditLog, 'record'>;
  settings: SessionSettings;
  /** Webhook events, written after the reply. */
  events?: Pick<WebhookEvents, 'emit'>;
}): SessionService {
  const { sessions, signer, refreshKey, clock, log, audit, settings } = deps;

  function revoked(userId: string, sessionId: string, context: RequestContext, reason: string): void {
    log.info({ userId, sessionId, ip: context.ip, reason }, 'session revoked');
    audit.record({ event: 'session.revoked', outcome: 'revoked', userId, context, reason, detail: { sessionId } });
    deps.events?.emit({ type: 'session.revoked', data: { user_id: userId, session_id: sessionId, reason } });
  }
  const idleSeconds = settings.refreshTokenIdleTtlSeconds;

  return {
    async refresh(refreshToken, context, client) {
      const presentedHash = hashPresentedRefreshToken(refreshToken);
      if (presentedHash === undefined) throw new AppError('invalid_token');
      const child = childRefreshToken(refreshKey, refreshToken);
      const now = clock.now();
      const result = await sessions.rotate({
        presentedHash,
        childHash: child.hash,
        now,
        graceSeconds: settings.refreshReuseGraceSeconds,
        idleSeconds,
        clientId: client.clientId,
        defaultClientId: settings.defaultClientId,
      });
      switch (result.outcome) {
        case 'rotated':
        case 'retried': {
          const retried = result.outcome === 'retried';
          log.info({ userId: result.user.id, sessionId: result.sessionId, ip: context.ip, retried }, 'refresh succeeded');
          audit.record({ event: 'token.refreshed', outcome: 'succeeded', userId: result.user.id, context, ...(retried ? { reason: 'grace_retry' } : {}), detail: { sessionId: result.sessionId } });
          const access = await signer.issue(result.user, result.sessionId, result.authentication, client);
          return { ...access, refresh_token: child.token, refreshTokenExpiresIn: Math.max(0, Math.floor((result.expiresAt.getTime() - now.getTime()) / 1000)) };
        }
        case 'reused':
          // A spent refresh token came back: the whole family is revoked (S30).
          log.warn({ userId: result.userId, sessionId: result.sessionId, ip: context.ip }, 'refresh token reuse detected; session revoked');
          audit.record({ event: 'token.reuse_detected', outcome: 'revoked', userId: result.userId, context, detail: { sessionId: result.sessionId } });
          deps.events?.emit({ type: 'token.reuse_detected', data: { user_id: result.userId, session_id: result.sessionId } });
          throw new AppError('invalid_token');
        default:
          log.info({ ip: context.ip }, 'refresh failed: invalid token');
          throw result.sessionLives === true ? new SessionLivesOn() : new AppError('invalid_token');
      }
    },

    async revokeToken(refreshToken, context) {
      const hash = hashPresentedRefreshToken(refreshToken);
      if (hash === undefined) return;
      const ended = await sessions.revokeByToken({ hash, now: clock.now() });
      if (ended) revoked(ended.userId, ended.sessionId, context, 'token_revoked');
    },

    profile(caller) {
      return sessions.profile({ ...caller, now: clock.now(), idleSeconds });
    },

    async updateUserMetadata(caller, userMetadata, context) {
      const profile = await sessions.updateUserMetadata({ ...caller, now: clock.now(), idleSeconds, userMetadata: checkMetadata(userMetadata) });
      if (profile !== null) {
        audit.record({ event: 'user.metadata_updated', outcome: 'succeeded', userId: profile.id, context, detail: { sessionId: caller.sessionId } });
        deps.events?.emit({ type: 'user.updated', data: userEventData(profile) });
      }
      return profile;
    },

    async listSessions(caller) {
      const now = clock.now();
      if ((await sessions.profile({ ...caller, now, idleSeconds })) === null) return null;
      const live = await sessions.listLive({ userId: caller.userId, now, idleSeconds });
      return live.map((session) => ({
        ...session,
        // The session ends at whichever comes first: its absolute end or its idle timeout.
        expiresAt: new Date(Math.min(session.expiresAt.getTime(), session.lastUsedAt.getTime() + idleSeconds * 1000)),
        current: session.id === caller.sessionId,
      }));
    },

    async logout(caller, context) {
      const ended = await sessions.revoke({ userId: caller.userId, sessionId: caller.sessionId, now: clock.now() });
      if (ended) revoked(caller.userId, caller.sessionId, context, 'logout');
    },

    async endSession(caller, sessionId, context) {
      const now = clock.now();
      if ((await sessions.profile({ ...caller, now, idleSeconds })) === null) return 'caller_ended';
      const ended = await sessions.revoke({ userId: caller.userId, sessionId, now });
      if (!ended) return 'not_found';
      revoked(caller.userId, sessionId, context, sessionId === caller.sessionId ? 'logout' : 'user_revoked');
      return 'ended';
    },

    async purgeExpired() {
      let total = 0;
      for (;;) {
        const deleted = await sessions.purgeExpired({ now: clock.now(), limit: PURGE_BATCH });
        total += deleted;
        if (deleted < PURGE_BATCH) return total;
      }
    },

    async endAllSessions(caller, context) {
      const now = clock.now();
      if ((await sessions.profile({ ...caller, now, idleSeconds })) === null) return 'caller_ended';
      const ended = await sessions.revokeAll({ userId: caller.userId, now });
      for (const sessionId of ended) revoked(caller.userId, sessionId, context, 'logout_all');
      return 'ended';
    },
  };
}
