/**
 * Sessions and their refresh-token families. Every state change is one SQL statement on the
 * pool: rotation, reuse detection and revocation are atomic without a transaction (S30, S32).
 * A session is one family: revoking the session ends every token of it.
 */
import type pg from 'pg';
import type { Authentication } from '../keys/access-token-signer.ts';
import { statement } from './sql.ts';

export interface SessionUser {
  id: string;
  email: string | null;
  phoneNumber: string | null;
}

export type RotationResult =
  /** The presented token was live and is now spent; the child is stored. */
  | { outcome: 'rotated'; sessionId: string; user: SessionUser; authentication: Authentication; expiresAt: Date }
  /** The token was spent moments ago and its child is still unused: a client retry (grace). */
  | { outcome: 'retried'; sessionId: string; user: SessionUser; authentication: Authentication; expiresAt: Date }
  /** A spent token came back: the family is revoked now. */
  | { outcome: 'reused'; sessionId: string; userId: string }
  /**
   * Unknown, expired, revoked, disabled user, or a concurrent refresh of the same token won.
   * `sessionLives`: the token's session is still live though this refresh failed: a concurrent
   * refresh spent the token first (its caller holds the child) and this was no reuse, or the
   * session is another client's.
   */
  | { outcome: 'invalid'; sessionLives?: boolean };

export interface SessionRecord {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export interface UserProfile {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  emailVerified: boolean;
  phoneNumberVerified: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
}

// The presented token is read from the statement's snapshot; the spend re-checks the latest
// row version under its lock. So of N concurrent refreshes exactly one spends the token; the
// others wait, find it spent and get no row (S30). Reuse is a token presented after its spend:
// the snapshot already shows it spent, at a time before this request's clock reading (:now). A
// request that started no later than the winning one could not have known better; it loses
// the race without ending the family. Reuse revokes the family in the same statement, unless
// the grace period lets a retry have the same (still unused) child.
// A token of another client's session is not live here: it fails like an unknown one, and
// nothing is written (a session from before clients belongs to the default client).
// \`raced\`: the snapshot showed the token live, yet another statement spent it first (this one
// waited on its row lock). Nothing was written; with a grace period the caller runs the
// statement once more, sees the winner's child and is given it (two tabs refreshing at once).
// \`session_lives\`: after this statement the token's session is still live (for this client: the
// token was spent by a concurrent refresh and this one was no reuse; for another client: an
// unspent token of its live session). The other client's check runs only when this client has no
// live session for the token (CASE evaluates the branch it takes): a rotation pays nothing for it.
const ROTATE = statement<{ presented_hash: Buffer; child_hash: Buffer; now: Date; grace_seconds: number; idle_seconds: number; client_id: string; default_client_id: string }>('session_rotate', `
WITH presented AS (
  SELECT session_id, spent_at FROM refresh_tokens WHERE token_hash = :presented_hash
), live AS (
  SELECT s.id, u.id AS user_id, u.email, u.phone_number, u.app_metadata, s.auth_time, s.amr, s.expires_at
  FROM presented p JOIN sessions s ON s.id = p.session_id JOIN users u ON u.id = s.user_id
  WHERE s.revoked_at IS NULL AND s.expires_at > :now AND coalesce(s.client_id, :default_client_id) = :client_id
    AND s.last_used_at > :now::timestamptz - make_interval(secs => :idle_seconds::int) AND NOT u.disabled
), spent AS (
  UPDATE refresh_tokens SET spent_at = :now
  WHERE token_hash = :presented_hash AND spent_at IS NULL AND EXISTS (SELECT 1 FROM live)
  RETURNING session_id
), child AS (
  INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, created_at)
  SELECT :child_hash, session_id, :presented_hash, :now FROM spent
  RETURNING session_id
), touched AS (
  UPDATE sessions SET last_used_at = :now
  WHERE id = (SELECT session_id FROM child) AND revoked_at IS NULL
  RETURNING id
), retried AS (
  SELECT 1 FROM presented p
  WHERE p.spent_at IS NOT NULL AND p.spent_at > :now::timestamptz - make_interval(secs => :grace_seconds::int)
    AND EXISTS (SELECT 1 FROM live)
    AND EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.token_hash = :child_hash AND c.parent_hash = :presented_hash AND c.spent_at IS NULL)
), reused AS (
  UPDATE sessions SET revoked_at = :now
  WHERE id = (SELECT session_id FROM presented WHERE spent_at < :now) AND revoked_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM retried)
  RETURNING id, user_id
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM touched) THEN 'rotated'
            WHEN EXISTS (SELECT 1 FROM retried) THEN 'retried'
            WHEN EXISTS (SELECT 1 FROM reused) THEN 'reused'
            ELSE 'invalid' END AS outcome,
       (EXISTS (SELECT 1 FROM presented WHERE spent_at IS NULL) AND EXISTS (SELECT 1 FROM live)
        AND NOT EXISTS (SELECT 1 FROM spent)) AS raced,
       CASE WHEN EXISTS (SELECT 1 FROM live) THEN NOT EXISTS (SELECT 1 FROM reused) ELSE EXISTS (
         SELECT 1 FROM presented p JOIN sessions s ON s.id = p.session_id JOIN users u ON u.id = s.user_id
         WHERE p.spent_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > :now AND NOT u.disabled
           AND s.last_used_at > :now::timestamptz - make_interval(secs => :idle_seconds::int)
           AND coalesce(s.client_id, :default_client_id) <> :client_id) END AS session_lives,
       coalesce((SELECT id FROM live), (SELECT id FROM reused)) AS session_id,
       coalesce((SELECT user_id FROM live), (SELECT user_id FROM reused)) AS user_id,
       (SELECT email FROM live) AS email,
       (SELECT phone_number FROM live) AS phone_number,
       (SELECT app_metadata FROM live) AS app_metadata,
       (SELECT auth_time FROM live) AS auth_time,
       (SELECT amr FROM live) AS amr,
       (SELECT expires_at FROM live) AS expires_at`);

// RFC 7009: any token of the family, spent or not, ends the family.
const REVOKE_BY_TOKEN = statement<{ hash: Buffer; now: Date }>('session_revoke_token', `
UPDATE sessions SET revoked_at = :now
WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = :hash) AND revoked_at IS NULL
RETURNING id, user_id`);

const PROFILE_COLUMNS = 'u.id, u.email, u.phone_number, u.email_verified, u.phone_number_verified, u.created_at, u.last_login_at, u.app_metadata, u.user_metadata';
type ProfileRow = {
  id: string; email: string | null; phone_number: string | null; email_verified: boolean; phone_number_verified: boolean;
  created_at: Date; last_login_at: Date | null; app_metadata: Record<string, unknown>; user_metadata: Record<string, unknown>;
};

function toProfile(row: ProfileRow | undefined): UserProfile | null {
  return row
    ? {
      id: row.id, email: row.email, phoneNumber: row.phone_number, emailVerified: row.email_verified, phoneNumberVerified: row.phone_number_verified,
      createdAt: row.created_at, lastLoginAt: row.last_login_at, appMetadata: row.app_metadata, userMetadata: row.user_metadata,
    }
    : null;
}

const LIVE_SESSION = `s.revoked_at IS NULL AND s.expires_at > :now AND s.last_used_at > :now::timestamptz - make_interval(secs => :idle_seconds::int)`;

// The access token alone is not enough for /me: its session must still be live and the user
// enabled, so logout and disabling take effect at once here (S32).
const PROFILE = statement<{ user_id: string; session_id: string; now: Date; idle_seconds: number }>('session_profile', `
SELECT ${PROFILE_COLUMNS}
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = :session_id AND s.user_id = :user_id AND NOT u.disabled AND ${LIVE_SESSION}`);

// The user's own metadata, changed only through a live session of theirs (as /me reads it).
const UPDATE_USER_METADATA = statement<{ user_id: string; session_id: string; now: Date; idle_seconds: number; user_metadata: string }>('session_update_user_metadata', `
UPDATE users u SET user_metadata = :user_metadata::jsonb, updated_at = :now
FROM sessions s
WHERE s.id = :session_id AND s.user_id = :user_id AND u.id = s.user_id AND NOT u.disabled AND ${LIVE_SESSION}
RETURNING ${PROFILE_COLUMNS}`);

const LIST = statement<{ user_id: string; now: Date; idle_seconds: number }>('session_list', `
SELECT s.id, s.created_at, s.last_used_at, s.expires_at, s.ip, s.user_agent
FROM sessions s WHERE s.user_id = :user_id AND ${LIVE_SESSION}
ORDER BY s.last_used_at DESC, s.id`);

const REVOKE_ONE = statement<{ user_id: string; session_id: string; now: Date }>('session_revoke', `
UPDATE sessions SET revoked_at = :now WHERE id = :session_id AND user_id = :user_id AND revoked_at IS NULL AND expires_at > :now
RETURNING id`);

const REVOKE_ALL = statement<{ user_id: string; now: Date }>('session_revoke_all',
  'UPDATE sessions SET revoked_at = :now WHERE user_id = :user_id AND revoked_at IS NULL AND expires_at > :now RETURNING id');

// Sessions past their absolute end can do nothing any more (their tokens fail the expiry check,
// and there is nothing left to revoke); their refresh tokens go with them (ON DELETE CASCADE).
// Batched so a backlog never holds locks for long.
const PURGE = statement<{ now: Date; limit: number }>('session_purge', `
DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at <= :now LIMIT :limit)`);

export interface SessionRepository {
  /** Rotates a token of a session of `clientId` (or, for the default client, of a session from before clients). */
  rotate(input: { presentedHash: Buffer; childHash: Buffer; now: Date; graceSeconds: number; idleSeconds: number; clientId: string; defaultClientId: string }): Promise<RotationResult>;
  /** Ends the family of the token; the revoked session, or null when there was none live. */
  revokeByToken(input: { hash: Buffer; now: Date }): Promise<{ sessionId: string; userId: string } | null>;
  /** The user behind a live session, or null. */
  profile(input: { userId: string; sessionId: string; now: Date; idleSeconds: number }): Promise<UserProfile | null>;
  /** Replaces the user's own metadata through a live session; the new profile, or null when the session is over. */
  updateUserMetadata(input: { userId: string; sessionId: string; now: Date; idleSeconds: number; userMetadata: Record<string, unknown> }): Promise<UserProfile | null>;
  listLive(input: { userId: string; now: Date; idleSeconds: number }): Promise<SessionRecord[]>;
  /** Ends one session of the user; false when it is not theirs or already over. */
  revoke(input: { userId: string; sessionId: string; now: Date }): Promise<boolean>;
  /** Ends every live session of the user; how many ended. */
  revokeAll(input: { userId: string; now: Date }): Promise<string[]>;
  /** Deletes up to `limit` sessions past their absolute end; how many. */
  purgeExpired(input: { now: Date; limit: number }): Promise<number>;
}

export function createSessionRepository(pool: pg.Pool): SessionRepository {
  return {
    async rotate(input) {
      const run = async () => (await pool.query<{ outcome: 'rotated' | 'retried' | 'reused' | 'invalid'; raced: boolean; session_lives: boolean; session_id: string | null; user_id: string | null; email: string | null; phone_number: string | null; app_metadata: Record<string, unknown> | null; auth_time: Date | null; amr: string[] | null; expires_at: Date | null }>(ROTATE.bind({
        presented_hash: input.presentedHash,
        child_hash: input.childHash,
        now: input.now,
        grace_seconds: input.graceSeconds,
        idle_seconds: input.idleSeconds,
        client_id: input.clientId,
        default_client_id: input.defaultClientId,
      }))).rows[0]!;
      let row = await run();
      // A lost race within the grace period is a retry the winner's commit now makes visible.
      // Without a grace period the loser is refused, and the family lives on (S30).
      if (row.outcome === 'invalid' && row.raced && input.graceSeconds > 0) row = await run();
      switch (row.outcome) {
        case 'rotated':
        case 'retried':
          return {
            outcome: row.outcome,
            sessionId: row.session_id!,
            user: { id: row.user_id!, email: row.email, phoneNumber: row.phone_number, appMetadata: row.app_metadata ?? {} },
            authentication: { authTime: row.auth_time!, amr: row.amr ?? [] },
            expiresAt: row.expires_at!,
          };
        case 'reused':
          return { outcome: 'reused', sessionId: row.session_id!, userId: row.user_id! };
        default:
          return { outcome: 'invalid', sessionLives: row.session_lives };
      }
    },

    async revokeByToken(input) {
      const { rows } = await pool.query<{ id: string; user_id: string }>(REVOKE_BY_TOKEN.bind({ hash: input.hash, now: input.now }));
      return rows[0] ? { sessionId: rows[0].id, userId: rows[0].user_id } : null;
    },

    async profile(input) {
      const { rows } = await pool.query<ProfileRow>(PROFILE.bind({ user_id: input.userId, session_id: input.sessionId, now: input.now, idle_seconds: input.idleSeconds }));
      return toProfile(rows[0]);
    },

    async updateUserMetadata(input) {
      const { rows } = await pool.query<ProfileRow>(UPDATE_USER_METADATA.bind({
        user_id: input.userId, session_id: input.sessionId, now: input.now, idle_seconds: input.idleSeconds, user_metadata: JSON.stringify(input.userMetadata),
      }));
      return toProfile(rows[0]);
    },

    async listLive(input) {
      const { rows } = await pool.query<{ id: string; created_at: Date; last_used_at: Date; expires_at: Date; ip: string | null; user_agent: string | null }>(LIST.bind({ user_id: input.userId, now: input.now, idle_seconds: input.idleSeconds }));
      return rows.map((row) => ({ id: row.id, createdAt: row.created_at, lastUsedAt: row.last_used_at, expiresAt: row.expires_at, ip: row.ip, userAgent: row.user_agent }));
    },

    async revoke(input) {
      const { rowCount } = await pool.query(REVOKE_ONE.bind({ user_id: input.userId, session_id: input.sessionId, now: input.now }));
      return rowCount === 1;
    },

    async purgeExpired(input) {
      const { rowCount } = await pool.query(PURGE.bind({ now: input.now, limit: input.limit }));
      return rowCount ?? 0;
    },

    async revokeAll(input) {
      const { rows } = await pool.query<{ id: string }>(REVOKE_ALL.bind({ user_id: input.userId, now: input.now }));
      return rows.map((row) => row.id);
    },
  };
}
