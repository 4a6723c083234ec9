/**
 * One-time tokens: every state change is a single SQL statement on the pool, so it is atomic
 * without a transaction and costs one round trip (S3, S4, S5, S7). Prisma is bypassed here on
 * purpose: these statements are the request and exchange hot paths.
 */
import type pg from 'pg';
import { ASYNC_COMMIT } from './async-commit.ts';
import { statement, type Statement } from './sql.ts';
import type { Channel } from '../services/types.ts';

export interface IssueTokenInput {
  channel: Channel;
  destination: string;
  /** HMAC of the destination: throttles unknown identifiers too, without storing them. */
  throttleKey: Buffer;
  throttleSeconds: number;
  now: Date;
  expiresAt: Date;
  shortHash: Buffer;
  longHash: Buffer | null;
  maxUses: number;
  maxAttempts: number;
  registerUnknown: boolean;
  allowAdmin: boolean;
  /** The delivery job's sealed payload, written with the token (outbox); null: send nothing. */
  deliveryPayload: Buffer | null;
  /** The destination as operators may see it on the job row. */
  maskedDestination: string;
  /** The requester's IP, kept with the delivery job for the audit trail. */
  clientIp: string | null;
  /**
   * The destination may not receive a code (an SMS country off the allowlist): the throttle
   * still applies, so a blocked number answers exactly like an allowed one (S21), but nothing
   * is registered, stored or sent.
   */
  blocked?: boolean;
}

export type IssueTokenResult =
  | { outcome: 'throttled'; previousRequestAt: Date | null }
  /** Accepted: `userId` is set when a token was stored for an eligible user, else null. */
  | { outcome: 'accepted'; userId: string | null; created: boolean; deliveryJobId: string | null };

export interface ClaimedToken {
  id: string;
  userId: string;
  shortHash: Buffer;
  longHash: Buffer | null;
}

export interface SignedInUser {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  /** The session the sign-in opened. */
  sessionId: string;
}

/** The session a sign-in opens, with the hash of its first refresh token (S29). */
export interface NewSession {
  expiresAt: Date;
  ip: string;
  userAgent: string | undefined;
  refreshHash: Buffer;
}

const USER_COLUMN: Record<Channel, string> = { email: 'email', mobile: 'phone_number' };
const VERIFIED_COLUMN: Record<Channel, string> = { email: 'email_verified', mobile: 'phone_number_verified' };

// Throttle, find or register the user, revoke older live tokens and store the new one, all in
// one statement. The throttle upsert is the gate: of concurrent requests for one destination
// only the one whose upsert updated the row goes on (S7). Data-modifying CTEs share a
// snapshot, so the new token is never revoked by its own statement. The delivery job is
// inserted by the same statement, so a token never exists without the job that sends it.
function issueStatement(channel: Channel): Statement<IssueParams> {
  const column = USER_COLUMN[channel];
  return statement(`otp_issue_${channel}`, `
WITH previous AS (
  SELECT last_request_at FROM request_throttle WHERE key = :throttle_key
), gate AS (
  INSERT INTO request_throttle AS t (key, last_request_at) VALUES (:throttle_key, :now)
  ON CONFLICT (key) DO UPDATE SET last_request_at = EXCLUDED.last_request_at
    WHERE t.last_request_at <= :now::timestamptz - make_interval(secs => :throttle_seconds::int)
  RETURNING 1
), existing AS (
  SELECT id, is_admin, disabled, false AS created FROM users WHERE ${column} = :destination
), registered AS (
  INSERT INTO users (${column}, created_at, updated_at)
  SELECT :destination, :now, :now WHERE :register_unknown::boolean AND EXISTS (SELECT 1 FROM gate) AND NOT EXISTS (SELECT 1 FROM existing)
  ON CONFLICT (${column}) DO NOTHING
  RETURNING id, is_admin, disabled, true AS created
), eligible AS (
  SELECT id, created FROM (SELECT * FROM existing UNION ALL SELECT * FROM registered) u
  WHERE EXISTS (SELECT 1 FROM gate) AND NOT u.disabled AND (NOT u.is_admin OR :allow_admin::boolean) AND NOT :blocked::boolean
), revoked AS (
  UPDATE one_time_tokens SET revoked_at = :now
  WHERE channel = :channel AND destination = :destination AND revoked_at IS NULL AND expires_at > :now
    AND EXISTS (SELECT 1 FROM eligible)
  RETURNING 1
), inserted AS (
  INSERT INTO one_time_tokens (user_id, channel, destination, short_hash, long_hash, max_uses, max_attempts, created_at, expires_at)
  SELECT id, :channel, :destination, :short_hash, :long_hash, :max_uses, :max_attempts, :now, :expires_at FROM eligible
  RETURNING user_id
), job AS (
  INSERT INTO delivery_jobs (user_id, channel, destination_masked, client_ip, payload, next_attempt_at, expires_at, created_at)
  SELECT user_id, :channel, :masked_destination, :client_ip, :delivery_payload, :now, :expires_at, :now FROM inserted WHERE :delivery_payload::bytea IS NOT NULL
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM gate) AS accepted,
       (SELECT last_request_at FROM previous) AS previous_at,
       (SELECT user_id FROM inserted) AS user_id,
       coalesce((SELECT created FROM eligible), false) AS created,
       (SELECT count(*) FROM revoked)::int AS revoked,
       (SELECT id FROM job) AS job_id`);
}

interface IssueParams {
  throttle_key: Buffer;
  now: Date;
  throttle_seconds: number;
  destination: string;
  register_unknown: boolean;
  allow_admin: boolean;
  blocked: boolean;
  channel: Channel;
  short_hash: Buffer;
  long_hash: Buffer | null;
  max_uses: number;
  max_attempts: number;
  expires_at: Date;
  masked_destination: string;
  client_ip: string | null;
  delivery_payload: Buffer | null;
}

// Counts the guess before the caller compares anything (S5): the live, newest token for the
// destination gets attempts + 1 only while it has attempts and uses left and the destination
// is under its hourly failure budget (S6). Correct guesses are refunded by consume(). It commits
// without waiting for the WAL flush (see async-commit.ts): the count is visible to every
// concurrent guess at once, and known and unknown identifiers take the same time.
const CLAIM = statement<{ channel: Channel; destination: string; now: Date; failure_window_start: Date; max_destination_failures: number }>('otp_claim', `
UPDATE one_time_tokens SET attempts = attempts + 1
WHERE id = (
    SELECT id FROM one_time_tokens
    WHERE channel = :channel AND destination = :destination AND revoked_at IS NULL AND expires_at > :now
    ORDER BY created_at DESC, id DESC LIMIT 1
  )
  AND attempts < max_attempts AND uses < max_uses AND revoked_at IS NULL AND expires_at > :now
  AND (SELECT coalesce(sum(attempts), 0) FROM one_time_tokens
        WHERE channel = :channel AND destination = :destination AND created_at > :failure_window_start) < :max_destination_failures
  AND ${ASYNC_COMMIT}
RETURNING id, user_id, short_hash, long_hash`);

/** The parameters every sign-in shares: the time, the admin rule, and the session it opens. */
interface SignInParams {
  now: Date;
  allow_admin: boolean;
  session_expires_at: Date;
  ip: string;
  user_agent: string | null;
  refresh_hash: Buffer;
}

// Consumes one use with a single conditional update (S4) and signs the user in: marks the
// channel verified, records the time, and opens the session with its first refresh token, so
// a sign-in stays one round trip. Disabled users and, unless allowed, admins get no row back,
// which the service treats like any other invalid token (S18).
function signInStatement<Params extends SignInParams>(name: string, tokenCondition: string, refundAttempt: boolean): Statement<Params> {
  return statement(name, `
WITH consumed AS (
  UPDATE one_time_tokens SET uses = uses + 1${refundAttempt ? ', attempts = attempts - 1' : ''}
  WHERE ${tokenCondition} AND uses < max_uses AND revoked_at IS NULL AND expires_at > :now
  RETURNING user_id, channel
), signed_in AS (
  UPDATE users u SET
    last_login_at = :now,
    updated_at = :now,
    ${VERIFIED_COLUMN.email} = u.${VERIFIED_COLUMN.email} OR c.channel = 'email',
    ${VERIFIED_COLUMN.mobile} = u.${VERIFIED_COLUMN.mobile} OR c.channel = 'mobile'
  FROM consumed c
  WHERE u.id = c.user_id AND NOT u.disabled AND (NOT u.is_admin OR :allow_admin::boolean)
  RETURNING u.id, u.email, u.phone_number
), session AS (
  INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, ip, user_agent)
  SELECT id, :now, :now, :session_expires_at, :ip, :user_agent FROM signed_in
  RETURNING id
), refresh AS (
  INSERT INTO refresh_tokens (token_hash, session_id, created_at)
  SELECT :refresh_hash, id, :now FROM session
)
SELECT u.id, u.email, u.phone_number, s.id AS session_id FROM signed_in u, session s`);
}

const CONSUME_BY_ID = signInStatement<SignInParams & { id: string }>('otp_consume', 'id = :id', true);
// A link whose code was guessed at MAX_TOKEN_ATTEMPTS times is dead too (S5).
const CONSUME_BY_LONG_HASH = signInStatement<SignInParams & { long_hashes: Buffer[] }>('otp_consume_long', 'long_hash = ANY(:long_hashes::bytea[]) AND attempts < max_attempts', false);
const BURN_USE = statement<{ id: string }>('otp_burn_use', `UPDATE one_time_tokens SET uses = uses + 1 WHERE id = :id AND uses < max_uses AND ${ASYNC_COMMIT}`);

export interface OneTimeTokenRepository {
  issue(input: IssueTokenInput): Promise<IssueTokenResult>;
  claimAttempt(input: { channel: Channel; destination: string; now: Date; failureWindowStart: Date; maxDestinationFailures: number }): Promise<ClaimedToken | null>;
  consume(input: { id: string; now: Date; allowAdmin: boolean; session: NewSession }): Promise<SignedInUser | null>;
  consumeByLongHash(input: { longHashes: Buffer[]; now: Date; allowAdmin: boolean; session: NewSession }): Promise<SignedInUser | null>;
  burnUse(id: string): Promise<void>;
}

/** Builds the repository on a pg pool. Statements are named, so each connection parses them once. */
export function createOneTimeTokenRepository(pool: pg.Pool): OneTimeTokenRepository {
  const issue: Record<Channel, Statement<IssueParams>> = { email: issueStatement('email'), mobile: issueStatement('mobile') };

  return {
    async issue(input) {
      const { rows } = await pool.query<{ accepted: boolean; previous_at: Date | null; user_id: string | null; created: boolean; job_id: string | null }>(issue[input.channel].bind({
        throttle_key: input.throttleKey,
        now: input.now,
        throttle_seconds: input.throttleSeconds,
        destination: input.destination,
        register_unknown: input.registerUnknown,
        allow_admin: input.allowAdmin,
        blocked: input.blocked ?? false,
        channel: input.channel,
        short_hash: input.shortHash,
        long_hash: input.longHash,
        max_uses: input.maxUses,
        max_attempts: input.maxAttempts,
        expires_at: input.expiresAt,
        masked_destination: input.maskedDestination,
        client_ip: input.clientIp,
        delivery_payload: input.deliveryPayload,
      }));
      const row = rows[0]!;
      if (!row.accepted) return { outcome: 'throttled', previousRequestAt: row.previous_at };
      return { outcome: 'accepted', userId: row.user_id, created: row.user_id !== null && row.created, deliveryJobId: row.job_id };
    },

    async claimAttempt(input) {
      const { rows } = await pool.query<{ id: string; user_id: string; short_hash: Buffer; long_hash: Buffer | null }>(CLAIM.bind({
        channel: input.channel,
        destination: input.destination,
        now: input.now,
        failure_window_start: input.failureWindowStart,
        max_destination_failures: input.maxDestinationFailures,
      }));
      const row = rows[0];
      return row ? { id: row.id, userId: row.user_id, shortHash: row.short_hash, longHash: row.long_hash } : null;
    },

    async consume(input) {
      const { rows } = await pool.query<SignedInRow>(CONSUME_BY_ID.bind({ id: input.id, ...signInParams(input) }));
      return toUser(rows[0]);
    },

    async consumeByLongHash(input) {
      const { rows } = await pool.query<SignedInRow>(CONSUME_BY_LONG_HASH.bind({ long_hashes: input.longHashes, ...signInParams(input) }));
      return toUser(rows[0]);
    },

    async burnUse(id) {
      await pool.query(BURN_USE.bind({ id }));
    },
  };
}

type SignedInRow = { id: string; email: string | null; phone_number: string | null; session_id: string };

function signInParams(input: { now: Date; allowAdmin: boolean; session: NewSession }): SignInParams {
  const { session } = input;
  return { now: input.now, allow_admin: input.allowAdmin, session_expires_at: session.expiresAt, ip: session.ip, user_agent: session.userAgent ?? null, refresh_hash: session.refreshHash };
}

function toUser(row: SignedInRow | undefined): SignedInUser | null {
  return row ? { id: row.id, email: row.email, phoneNumber: row.phone_number, sessionId: row.session_id } : null;
}
