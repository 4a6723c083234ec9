/**
 * One-time tokens: every state change is a single SQL statement on the pool, so it is atomic
 * without a transaction and costs one round trip (S3, S4, S5, S7). Prisma is bypassed here on
 * purpose: these statements are the request and exchange hot paths.
 */
import type pg from 'pg';
import { ASYNC_COMMIT } from './async-commit.ts';
import { isInputError, statement, type Statement } from './sql.ts';
import { createStatementBatcher, type StatementBatcher, type StatementBatcherOptions } from './statement-batcher.ts';
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
  /** The client the code is requested under; only that client can exchange it. */
  clientId: string;
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
  /** Becomes the access token's `app_metadata` claim. */
  appMetadata: Record<string, unknown>;
  /** The session the sign-in opened. */
  sessionId: string;
  /** RFC 8176 methods stored on the session: ["otp"] for email codes and links, ["sms"] for SMS. */
  amr: string[];
}

/** The session a sign-in opens, with the hash of its first refresh token (S29). */
export interface NewSession {
  expiresAt: Date;
  ip: string;
  userAgent: string | undefined;
  refreshHash: Buffer;
  /** The client the session is opened for; absent: the default client (stored as NULL). */
  clientId?: string;
}

/** Which client's tokens a sign-in may consume: its own, and, for the default client, rows from before clients (NULL). */
export interface ClientBinding {
  clientId: string;
  defaultClientId: string;
}

const USER_COLUMN: Record<Channel, string> = { email: 'email', mobile: 'phone_number' };
const VERIFIED_COLUMN: Record<Channel, string> = { email: 'email_verified', mobile: 'phone_number_verified' };

// The per-destination throttle (:throttle_key, :now, :throttle_seconds): of concurrent requests
// for one destination only the one whose upsert updated the row goes on (S7). Shared by sign-in
// and verification codes, so the two cannot be alternated to flood one address.
const THROTTLE_GATE = `WITH previous AS (
  SELECT last_request_at FROM request_throttle WHERE key = :throttle_key
), gate AS (
  INSERT INTO request_throttle AS t (key, last_request_at) VALUES (:throttle_key, :now)
  ON CONFLICT (key) DO UPDATE SET last_request_at = EXCLUDED.last_request_at
    WHERE t.last_request_at <= :now::timestamptz - make_interval(secs => :throttle_seconds::int)
  RETURNING 1
)`;

// Throttle, find or register the user, revoke older live tokens and store the new one, for a
// batch of requests in one statement (statement-batcher.ts coalesces concurrent requests; a
// lone request is a batch of one). The batch's destinations are distinct, so each input row is
// known by its destination as well as by its ordinal. The throttle upsert is the gate: of
// concurrent requests for one destination only the one whose upsert updated the row goes on
// (S7); requests for one destination are never in one batch nor in two at once. Data-modifying
// CTEs share a snapshot, so a new token is never revoked by its own statement. The delivery job
// is inserted by the same statement, so a token never exists without the job that sends it.
// Rows are locked in key order, so two batches never wait on each other in a cycle. Each lookup
// is a LATERAL subquery in a MATERIALIZED CTE, computed once per input row: whatever the
// statistics say (autovacuum off, a table analyzed while empty), no plan can rescan a table once
// per row of another scan of it. Inlined, the revocation's lookup ran once per row of a
// sequential scan of one_time_tokens, and a request for a known address took 5 ms longer than
// one for an unknown address (S17; timing/enumeration.test.ts caught it). The
// settings (throttle, uses, attempts, admins) are the same for every request of a process and
// go in once; each request's own values go in as arrays.
function issueStatement(channel: Channel): Statement<IssueBatchParams> {
  const column = USER_COLUMN[channel];
  return statement(`otp_issue_${channel}`, `
WITH input AS (
  SELECT * FROM unnest(:throttle_key::bytea[], :now::timestamptz[], :destination::text[], :register_unknown::boolean[],
                       :blocked::boolean[], :short_hash::bytea[], :long_hash::bytea[], :expires_at::timestamptz[],
                       :masked_destination::text[], :client_ip::text[], :delivery_payload::bytea[], :client_id::text[])
    WITH ORDINALITY AS i(throttle_key, now, destination, register_unknown, blocked, short_hash, long_hash, expires_at,
                         masked_destination, client_ip, delivery_payload, client_id, ord)
), previous AS MATERIALIZED (
  SELECT i.ord, t.last_request_at FROM input i
  CROSS JOIN LATERAL (SELECT last_request_at FROM request_throttle WHERE key = i.throttle_key LIMIT 1) t
), gate AS (
  INSERT INTO request_throttle AS t (key, last_request_at)
  SELECT throttle_key, now FROM input ORDER BY throttle_key
  ON CONFLICT (key) DO UPDATE SET last_request_at = EXCLUDED.last_request_at
    WHERE t.last_request_at <= EXCLUDED.last_request_at - make_interval(secs => :throttle_seconds::int)
  RETURNING key
), passed AS (
  SELECT i.* FROM input i WHERE i.throttle_key IN (SELECT key FROM gate)
), existing AS MATERIALIZED (
  SELECT i.ord, u.id, u.is_admin, u.disabled, false AS created FROM input i
  CROSS JOIN LATERAL (SELECT id, is_admin, disabled FROM users WHERE ${column} = i.destination LIMIT 1) u
), registered AS (
  INSERT INTO users (${column}, created_at, updated_at)
  SELECT p.destination, p.now, p.now FROM passed p
  WHERE p.register_unknown AND p.ord NOT IN (SELECT ord FROM existing)
  ORDER BY p.destination
  ON CONFLICT (${column}) DO NOTHING
  RETURNING id, ${column} AS destination, is_admin, disabled, true AS created
), eligible AS (
  SELECT p.ord, u.id, u.created FROM passed p
  JOIN (SELECT ord, id, is_admin, disabled, created FROM existing
        UNION ALL
        SELECT i.ord, r.id, r.is_admin, r.disabled, r.created FROM registered r JOIN input i ON i.destination = r.destination) u
    ON u.ord = p.ord
  WHERE NOT u.disabled AND (NOT u.is_admin OR :allow_admin::boolean) AND NOT p.blocked
), older AS MATERIALIZED (
  SELECT o.id, i.now FROM eligible e JOIN input i ON i.ord = e.ord
  CROSS JOIN LATERAL (
    SELECT id FROM one_time_tokens
    WHERE channel = :channel AND destination = i.destination AND purpose = 'sign_in' AND revoked_at IS NULL AND expires_at > i.now
    OFFSET 0
  ) o
), revoked AS (
  UPDATE one_time_tokens o SET revoked_at = x.now
  FROM older x
  WHERE o.id = x.id AND o.revoked_at IS NULL
  RETURNING 1
), inserted AS (
  INSERT INTO one_time_tokens (user_id, channel, destination, short_hash, long_hash, max_uses, max_attempts, created_at, expires_at, client_id)
  SELECT e.id, :channel, i.destination, i.short_hash, i.long_hash, :max_uses, :max_attempts, i.now, i.expires_at, i.client_id
  FROM eligible e JOIN input i ON i.ord = e.ord
  ORDER BY i.ord
  RETURNING user_id, destination
), job AS (
  INSERT INTO delivery_jobs (user_id, channel, destination_masked, client_ip, payload, next_attempt_at, expires_at, created_at)
  SELECT t.user_id, :channel, i.masked_destination, i.client_ip, i.delivery_payload, i.now, i.expires_at, i.now
  FROM inserted t JOIN input i ON i.destination = t.destination
  WHERE i.delivery_payload IS NOT NULL
  ORDER BY i.ord
  RETURNING id, user_id
)
SELECT i.throttle_key IN (SELECT key FROM gate) AS accepted,
       p.last_request_at AS previous_at,
       t.user_id,
       coalesce(e.created, false) AS created,
       j.id AS job_id,
       (SELECT count(*) FROM revoked)::int AS revoked
FROM input i
LEFT JOIN previous p ON p.ord = i.ord
LEFT JOIN eligible e ON e.ord = i.ord
LEFT JOIN inserted t ON t.destination = i.destination
LEFT JOIN job j ON j.user_id = t.user_id
ORDER BY i.ord`);
}

/** The settings, once per batch, and each request's own values as arrays (one element per request). */
interface IssueBatchParams {
  channel: Channel;
  throttle_seconds: number;
  allow_admin: boolean;
  max_uses: number;
  max_attempts: number;
  throttle_key: Buffer[];
  now: Date[];
  destination: string[];
  register_unknown: boolean[];
  blocked: boolean[];
  short_hash: Buffer[];
  long_hash: (Buffer | null)[];
  expires_at: Date[];
  masked_destination: string[];
  client_ip: (string | null)[];
  delivery_payload: (Buffer | null)[];
  client_id: string[];
}

interface IssueRow { accepted: boolean; previous_at: Date | null; user_id: string | null; created: boolean; job_id: string | null }

function issueBatchParams(channel: Channel, inputs: IssueTokenInput[]): IssueBatchParams {
  const first = inputs[0]!;
  return {
    channel,
    throttle_seconds: first.throttleSeconds,
    allow_admin: first.allowAdmin,
    max_uses: first.maxUses,
    max_attempts: first.maxAttempts,
    throttle_key: inputs.map((input) => input.throttleKey),
    now: inputs.map((input) => input.now),
    destination: inputs.map((input) => input.destination),
    register_unknown: inputs.map((input) => input.registerUnknown),
    blocked: inputs.map((input) => input.blocked ?? false),
    short_hash: inputs.map((input) => input.shortHash),
    long_hash: inputs.map((input) => input.longHash),
    expires_at: inputs.map((input) => input.expiresAt),
    masked_destination: inputs.map((input) => input.maskedDestination),
    client_ip: inputs.map((input) => input.clientIp),
    delivery_payload: inputs.map((input) => input.deliveryPayload),
    client_id: inputs.map((input) => input.clientId),
  };
}

/** The guesses' budgets once (from the batch's first call: the same for every call of a process), each guess's own values as arrays. */
function claimBatchParams(first: ClaimInput, inputs: ClaimInput[]): ClaimBatchParams {
  return {
    channel: first.channel,
    per_network_per_hour: first.budget.perNetworkPerHour,
    per_network_per_day: first.budget.perNetworkPerDay,
    per_day: first.budget.perDay,
    destination: inputs.map((each) => each.destination),
    now: inputs.map((each) => each.now),
    network: inputs.map((each) => each.guess.network),
    guess_window_start: inputs.map((each) => each.guess.windowStart),
    day_window_start: inputs.map((each) => each.budget.dayWindowStart),
    hour_window_start: inputs.map((each) => each.budget.hourWindowStart),
  };
}

/** The sign-in rules once, each sign-in's own values as arrays. */
function consumeBatchParams(first: ConsumeInput, inputs: ConsumeInput[]): ConsumeBatchParams {
  return {
    allow_admin: first.allowAdmin,
    default_client_id: first.client.defaultClientId,
    id: inputs.map((each) => each.id),
    now: inputs.map((each) => each.now),
    session_expires_at: inputs.map((each) => each.session.expiresAt),
    ip: inputs.map((each) => each.session.ip),
    user_agent: inputs.map((each) => each.session.userAgent ?? null),
    refresh_hash: inputs.map((each) => each.session.refreshHash),
    session_client_id: inputs.map((each) => each.session.clientId ?? null),
    client_id: inputs.map((each) => each.client.clientId),
    guess_network: inputs.map((each) => each.guess.network),
    guess_window_start: inputs.map((each) => each.guess.windowStart),
  };
}

/** What one statement may take: requests of one channel with the same settings. */
function issueGroup(input: IssueTokenInput): string {
  return `${input.channel}:${input.throttleSeconds}:${input.allowAdmin}:${input.maxUses}:${input.maxAttempts}`;
}

// Counts the guess before the caller compares anything (S5): the live, newest token for the
// destination gets attempts + 1 only while it has attempts and uses left and the destination
// is within its failure budgets (S6, S38): per source network per hour and per day, and across
// all networks per day (the ceiling that bounds the chance of a lucky guess).
// The guess is booked to the requester's network in the same statement; correct guesses are
// refunded by consume(). Counting per network means a third party's wrong guesses spend only
// their own network's budget, never the owner's. It commits without waiting for the WAL flush
// (see async-commit.ts): the count is visible to every concurrent guess at once, and known and
// unknown identifiers take the same time. Concurrent guesses may pass a budget read from the
// same snapshot, but they all hit the newest token, whose attempts are re-checked under its row
// lock: the ceiling is overshot by fewer than MAX_TOKEN_ATTEMPTS guesses.
// Guesses that arrive together share the statement (statement-batcher.ts), each at its own
// destination: guesses at one destination never share one, so each is counted on its own.
function signInClaimStatement(channel: Channel): Statement<ClaimBatchParams> {
  return statement(`otp_claim_${channel}`, `
WITH input AS (
  SELECT * FROM unnest(:destination::text[], :now::timestamptz[], :network::text[], :guess_window_start::timestamptz[],
                       :day_window_start::timestamptz[], :hour_window_start::timestamptz[])
    WITH ORDINALITY AS i(destination, now, network, guess_window_start, day_window_start, hour_window_start, ord)
), budget AS MATERIALIZED (
  SELECT i.ord, b.network_hour, b.network_day, b.total_day FROM input i
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(failures) FILTER (WHERE network = i.network AND window_start >= i.hour_window_start), 0) AS network_hour,
           coalesce(sum(failures) FILTER (WHERE network = i.network), 0) AS network_day,
           coalesce(sum(failures), 0) AS total_day
    FROM guess_failures WHERE channel = :channel AND destination = i.destination AND window_start >= i.day_window_start
  ) b
), newest AS MATERIALIZED (
  SELECT i.ord, t.id FROM input i
  JOIN budget b ON b.ord = i.ord
  CROSS JOIN LATERAL (
    SELECT id FROM one_time_tokens
    WHERE channel = :channel AND destination = i.destination AND revoked_at IS NULL AND expires_at > i.now AND purpose = 'sign_in'
    ORDER BY created_at DESC, id DESC LIMIT 1
  ) t
  WHERE b.network_hour < :per_network_per_hour AND b.network_day < :per_network_per_day AND b.total_day < :per_day
), claimed AS (
  UPDATE one_time_tokens o SET attempts = o.attempts + 1
  FROM newest n JOIN input i ON i.ord = n.ord
  WHERE o.id = n.id
    AND o.attempts < o.max_attempts AND o.uses < o.max_uses AND o.revoked_at IS NULL AND o.expires_at > i.now
    AND ${ASYNC_COMMIT}
  RETURNING n.ord, o.id, o.user_id, o.short_hash, o.long_hash
), booked AS (
  INSERT INTO guess_failures AS g (channel, destination, network, window_start, failures)
  SELECT :channel, i.destination, i.network, i.guess_window_start, 1 FROM claimed c JOIN input i ON i.ord = c.ord
  ORDER BY i.destination
  ON CONFLICT (channel, destination, network, window_start) DO UPDATE SET failures = g.failures + 1
)
SELECT c.id, c.user_id, c.short_hash, c.long_hash FROM input i LEFT JOIN claimed c ON c.ord = i.ord ORDER BY i.ord`);
}

/** The budgets, once per batch, and each guess's own values as arrays. */
interface ClaimBatchParams {
  channel: Channel;
  per_network_per_hour: number;
  per_network_per_day: number;
  per_day: number;
  destination: string[];
  now: Date[];
  network: string[];
  guess_window_start: Date[];
  day_window_start: Date[];
  hour_window_start: Date[];
}

type ClaimRow = { id: string; user_id: string; short_hash: Buffer; long_hash: Buffer | null } | { id: null };

// is under its hourly failure budget (S6). Verification codes (signed-in users) keep this
// per-destination budget; sign-in codes use the per-network budgets of CLAIM above. Correct guesses are refunded by consume(). It commits
// without waiting for the WAL flush (see async-commit.ts): the count is visible to every
// concurrent guess at once, and known and unknown identifiers take the same time.
// `purpose` picks the token kind (S44); the failure budget counts every kind, so verification
// guesses and sign-in guesses at one destination share it.
interface ClaimParams { channel: Channel; destination: string; now: Date; failure_window_start: Date; max_destination_failures: number }
function claimStatement<Params extends ClaimParams>(name: string, purpose: string): Statement<Params> {
  return statement(name, `
UPDATE one_time_tokens SET attempts = attempts + 1
WHERE id = (
    SELECT id FROM one_time_tokens
    WHERE channel = :channel AND destination = :destination AND revoked_at IS NULL AND expires_at > :now AND ${purpose}
    ORDER BY created_at DESC, id DESC LIMIT 1
  )
  AND attempts < max_attempts AND uses < max_uses AND revoked_at IS NULL AND expires_at > :now
  AND (SELECT coalesce(sum(attempts), 0) FROM one_time_tokens
        WHERE channel = :channel AND destination = :destination AND created_at > :failure_window_start) < :max_destination_failures
  AND ${ASYNC_COMMIT}
RETURNING id, user_id, short_hash, long_hash`);
}
// A verification code is claimed only by the signed-in user it was sent for (S44).
const CLAIM_VERIFICATION = claimStatement<ClaimParams & { user_id: string }>('verify_claim', `purpose = 'verify' AND user_id = :user_id`);

/** The parameters every sign-in shares: the time, the admin rule, and the session it opens. */
interface SignInParams {
  now: Date;
  allow_admin: boolean;
  session_expires_at: Date;
  ip: string;
  user_agent: string | null;
  refresh_hash: Buffer;
  session_client_id: string | null;
  client_id: string;
  default_client_id: string;
}

// Consumes one use with a single conditional update (S4) and signs the user in: marks the
// channel verified, records the time, and opens the session with its first refresh token, so
// a sign-in stays one round trip. Disabled users and, unless allowed, admins get no row back,
// which the service treats like any other invalid token (S18); so does a token requested under
// another client (a row from before clients belongs to the default client).
function signInStatement<Params extends SignInParams>(name: string, tokenCondition: string): Statement<Params> {
  return statement(name, `
WITH consumed AS (
  UPDATE one_time_tokens SET uses = uses + 1
  WHERE ${tokenCondition} AND purpose = 'sign_in' AND uses < max_uses AND revoked_at IS NULL AND expires_at > :now
    AND coalesce(client_id, :default_client_id) = :client_id
  RETURNING user_id, channel, destination
), signed_in AS (
  UPDATE users u SET
    last_login_at = :now,
    updated_at = :now,
    ${VERIFIED_COLUMN.email} = u.${VERIFIED_COLUMN.email} OR c.channel = 'email',
    ${VERIFIED_COLUMN.mobile} = u.${VERIFIED_COLUMN.mobile} OR c.channel = 'mobile'
  FROM consumed c
  WHERE u.id = c.user_id AND NOT u.disabled AND (NOT u.is_admin OR :allow_admin::boolean)
  RETURNING u.id, u.email, u.phone_number, u.app_metadata
), session AS (
  INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, ip, user_agent, auth_time, amr, client_id)
  SELECT id, :now, :now, :session_expires_at, :ip, :user_agent, :now, CASE (SELECT channel FROM consumed) WHEN 'mobile' THEN ARRAY['sms'] ELSE ARRAY['otp'] END, :session_client_id
  FROM signed_in
  RETURNING id, amr
), refresh AS (
  INSERT INTO refresh_tokens (token_hash, session_id, created_at)
  SELECT :refresh_hash, id, :now FROM session
)
SELECT u.id, u.email, u.phone_number, u.app_metadata, s.id AS session_id, s.amr FROM signed_in u, session s`);
}

// consume() for a batch of sign-ins (statement-batcher.ts), each of a different user: the
// statement above, row by row. Each input consumes its own token only under its own client,
// refunds its own guess and opens its own session, found again by its user.
const CONSUME_BATCH = statement<ConsumeBatchParams>('otp_consume', `
WITH input AS (
  SELECT * FROM unnest(:id::bigint[], :now::timestamptz[], :session_expires_at::timestamptz[], :ip::text[], :user_agent::text[],
                       :refresh_hash::bytea[], :session_client_id::text[], :client_id::text[], :guess_network::text[],
                       :guess_window_start::timestamptz[])
    WITH ORDINALITY AS i(id, now, session_expires_at, ip, user_agent, refresh_hash, session_client_id, client_id, guess_network,
                         guess_window_start, ord)
), consumed AS (
  UPDATE one_time_tokens o SET uses = o.uses + 1, attempts = o.attempts - 1
  FROM input i
  WHERE o.id = i.id AND o.purpose = 'sign_in' AND o.uses < o.max_uses AND o.revoked_at IS NULL AND o.expires_at > i.now
    AND coalesce(o.client_id, :default_client_id) = i.client_id
  RETURNING i.ord, o.user_id, o.channel, o.destination
),
-- The right code was booked as a guess by claimAttempt: it is no failure.
refunded AS (
  UPDATE guess_failures g SET failures = g.failures - 1
  FROM consumed c JOIN input i ON i.ord = c.ord
  WHERE g.channel = c.channel AND g.destination = c.destination AND g.network = i.guess_network
    AND g.window_start = i.guess_window_start AND g.failures > 0
), signed_in AS (
  UPDATE users u SET
    last_login_at = i.now,
    updated_at = i.now,
    ${VERIFIED_COLUMN.email} = u.${VERIFIED_COLUMN.email} OR c.channel = 'email',
    ${VERIFIED_COLUMN.mobile} = u.${VERIFIED_COLUMN.mobile} OR c.channel = 'mobile'
  FROM consumed c JOIN input i ON i.ord = c.ord
  WHERE u.id = c.user_id AND NOT u.disabled AND (NOT u.is_admin OR :allow_admin::boolean)
  RETURNING c.ord, u.id, u.email, u.phone_number, u.app_metadata
), session AS (
  INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, ip, user_agent, auth_time, amr, client_id)
  SELECT s.id, i.now, i.now, i.session_expires_at, i.ip, i.user_agent, i.now,
         CASE c.channel WHEN 'mobile' THEN ARRAY['sms'] ELSE ARRAY['otp'] END, i.session_client_id
  FROM signed_in s JOIN input i ON i.ord = s.ord JOIN consumed c ON c.ord = s.ord
  ORDER BY s.ord
  RETURNING id, user_id, amr
), refresh AS (
  INSERT INTO refresh_tokens (token_hash, session_id, created_at)
  SELECT i.refresh_hash, n.id, i.now FROM session n JOIN signed_in s ON s.id = n.user_id JOIN input i ON i.ord = s.ord
)
SELECT s.id, s.email, s.phone_number, s.app_metadata, n.id AS session_id, n.amr
FROM input i LEFT JOIN signed_in s ON s.ord = i.ord LEFT JOIN session n ON n.user_id = s.id
ORDER BY i.ord`);

/** The rules, once per batch, and each sign-in's own values as arrays. */
interface ConsumeBatchParams {
  allow_admin: boolean;
  default_client_id: string;
  id: string[];
  now: Date[];
  session_expires_at: Date[];
  ip: string[];
  user_agent: (string | null)[];
  refresh_hash: Buffer[];
  session_client_id: (string | null)[];
  client_id: string[];
  guess_network: string[];
  guess_window_start: Date[];
}
// A link whose code was guessed at MAX_TOKEN_ATTEMPTS times is dead too (S5).
const CONSUME_BY_LONG_HASH = signInStatement<SignInParams & { long_hashes: Buffer[] }>('otp_consume_long', 'long_hash = ANY(:long_hashes::bytea[]) AND attempts < max_attempts');
const BURN_USE = statement<{ id: string }>('otp_burn_use', `UPDATE one_time_tokens SET uses = uses + 1 WHERE id = :id AND uses < max_uses AND ${ASYNC_COMMIT}`);

/** Where a guess is booked: the requester's source network and the minute it falls in. */
export interface GuessBooking {
  network: string;
  windowStart: Date;
}

/** The wrong guesses a destination may take (S6, S38). */
export interface GuessBudget {
  perNetworkPerHour: number;
  perNetworkPerDay: number;
  perDay: number;
  /** The first one-minute window the hourly budget counts. */
  hourWindowStart: Date;
  /** The first one-minute window the daily budgets count. */
  dayWindowStart: Date;
}

// Identifier verification for a signed-in user (S44, S45), on the same throttle, tokens and
// outbox as sign-in. One statement, whatever the address: the throttle gate as in the issue
// statement; then, when the address is free or already the requester's, a 'verify' token bound
// to the requester and a job carrying its code; when another account holds it, only a 'notice'
// job to that address. Both payloads arrive sealed, so the work and the answer do not depend on
// who owns the address (S45). Revoking the requester's older codes for the address keeps one live.
interface VerificationIssueParams {
  throttle_key: Buffer;
  now: Date;
  throttle_seconds: number;
  destination: string;
  user_id: string;
  channel: Channel;
  short_hash: Buffer;
  max_attempts: number;
  expires_at: Date;
  masked_destination: string;
  client_ip: string | null;
  code_payload: Buffer;
  notice_payload: Buffer;
  notice_expires_at: Date;
  client_id: string;
}
function verificationIssueStatement(channel: Channel): Statement<VerificationIssueParams> {
  const column = USER_COLUMN[channel];
  return statement(`verify_issue_${channel}`, `
${THROTTLE_GATE}, requester AS (
  SELECT id FROM users WHERE id = :user_id AND NOT disabled AND EXISTS (SELECT 1 FROM gate)
), owner AS (
  SELECT id FROM users WHERE ${column} = :destination AND id <> :user_id
), eligible AS (
  SELECT id FROM requester WHERE NOT EXISTS (SELECT 1 FROM owner)
), taken AS (
  SELECT o.id FROM owner o WHERE EXISTS (SELECT 1 FROM requester)
), revoked AS (
  UPDATE one_time_tokens SET revoked_at = :now
  WHERE channel = :channel AND destination = :destination AND purpose = 'verify' AND user_id = :user_id
    AND revoked_at IS NULL AND expires_at > :now AND EXISTS (SELECT 1 FROM eligible)
  RETURNING 1
), inserted AS (
  INSERT INTO one_time_tokens (user_id, channel, destination, short_hash, max_uses, max_attempts, created_at, expires_at, purpose, client_id)
  SELECT id, :channel, :destination, :short_hash, 1, :max_attempts, :now, :expires_at, 'verify', :client_id FROM eligible
  RETURNING user_id
), job AS (
  INSERT INTO delivery_jobs (user_id, channel, destination_masked, client_ip, payload, next_attempt_at, expires_at, created_at, purpose)
  SELECT user_id, :channel::text, :masked_destination::text, :client_ip::text, :code_payload::bytea, :now::timestamptz, :expires_at::timestamptz, :now::timestamptz, 'verify' FROM inserted
  UNION ALL
  SELECT id, :channel::text, :masked_destination::text, :client_ip::text, :notice_payload::bytea, :now::timestamptz, :notice_expires_at::timestamptz, :now::timestamptz, 'notice' FROM taken
  RETURNING id, purpose
)
SELECT EXISTS (SELECT 1 FROM gate) AS accepted,
       (SELECT last_request_at FROM previous) AS previous_at,
       (SELECT purpose FROM job) AS sent,
       (SELECT count(*) FROM revoked)::int AS revoked`);
}

// Spends the verification code (one use, S4) and sets the address on the requester, verified,
// in one statement. The old value is read from the statement's snapshot, so the caller can tell
// the old address. An address another account took meanwhile fails the unique index and the
// whole statement rolls back: the caller answers invalid_token. A code requested under another
// client is not spent (a row from before clients belongs to the default client), as at sign-in.
const CONSUME_VERIFICATION = statement<{ id: string; user_id: string; now: Date; client_id: string; default_client_id: string }>('verify_consume', `
WITH consumed AS (
  UPDATE one_time_tokens SET uses = uses + 1, attempts = attempts - 1
  WHERE id = :id AND user_id = :user_id AND purpose = 'verify' AND uses < max_uses AND revoked_at IS NULL AND expires_at > :now
    AND coalesce(client_id, :default_client_id) = :client_id
  RETURNING user_id, channel, destination
), previous AS (
  SELECT email, phone_number FROM users WHERE id = :user_id
), updated AS (
  UPDATE users u SET
    email = CASE WHEN c.channel = 'email' THEN c.destination ELSE u.email END,
    email_verified = u.email_verified OR c.channel = 'email',
    phone_number = CASE WHEN c.channel = 'mobile' THEN c.destination ELSE u.phone_number END,
    phone_number_verified = u.phone_number_verified OR c.channel = 'mobile',
    updated_at = :now
  FROM consumed c
  WHERE u.id = c.user_id AND NOT u.disabled
  RETURNING u.id
)
SELECT c.channel, p.email AS previous_email, p.phone_number AS previous_phone_number
FROM updated, consumed c, previous p`);

const NOTICE = statement<{ user_id: string; channel: Channel; masked_destination: string; client_ip: string | null; payload: Buffer; now: Date; expires_at: Date }>('notice_enqueue', `
INSERT INTO delivery_jobs (user_id, channel, destination_masked, client_ip, payload, next_attempt_at, expires_at, created_at, purpose)
VALUES (:user_id, :channel, :masked_destination, :client_ip, :payload, :now, :expires_at, :now, 'notice')
RETURNING id`);

/** A verification request: the address, the requester and both sealed messages (S45). */
export interface IssueVerificationInput {
  channel: Channel;
  destination: string;
  userId: string;
  throttleKey: Buffer;
  throttleSeconds: number;
  now: Date;
  expiresAt: Date;
  shortHash: Buffer;
  maxAttempts: number;
  maskedDestination: string;
  clientIp: string | null;
  /** The code's message, sent when the address is free or the requester's. */
  codePayload: Buffer;
  /** The notice, sent instead when another account holds the address. */
  noticePayload: Buffer;
  noticeExpiresAt: Date;
  /** The client the code is requested under; only that client can verify it. */
  clientId: string;
}

export type IssueVerificationResult =
  | { outcome: 'throttled'; previousRequestAt: Date | null }
  /** `sent`: what went out; null when the requester may not (disabled). */
  | { outcome: 'accepted'; sent: 'verify' | 'notice' | null };

export interface NoticeInput {
  userId: string;
  channel: Channel;
  maskedDestination: string;
  clientIp: string | null;
  payload: Buffer;
  now: Date;
  expiresAt: Date;
}

/** A guess at a destination's live sign-in code. */
export interface ClaimInput { channel: Channel; destination: string; now: Date; guess: GuessBooking; budget: GuessBudget }
/** A sign-in with the token claimAttempt() claimed; `userId` is the claimed token's user. */
export interface ConsumeInput { id: string; userId: string; now: Date; allowAdmin: boolean; session: NewSession; guess: GuessBooking; client: ClientBinding }

export interface OneTimeTokenRepository {
  issue(input: IssueTokenInput): Promise<IssueTokenResult>;
  claimAttempt(input: ClaimInput): Promise<ClaimedToken | null>;
  /** Consumes the claimed token and refunds its guess, booked under `guess`. */
  consume(input: ConsumeInput): Promise<SignedInUser | null>;
  consumeByLongHash(input: { longHashes: Buffer[]; now: Date; allowAdmin: boolean; session: NewSession; client: ClientBinding }): Promise<SignedInUser | null>;
  burnUse(id: string): Promise<void>;
  issueVerification(input: IssueVerificationInput): Promise<IssueVerificationResult>;
  /** Counts a guess at the requester's live verification code for the address (S5, S6, S44). */
  claimVerificationAttempt(input: { channel: Channel; destination: string; userId: string; now: Date; failureWindowStart: Date; maxDestinationFailures: number }): Promise<ClaimedToken | null>;
  /** Spends the code and sets the address, verified; the previous identifiers, or null. */
  consumeVerification(input: { id: string; userId: string; now: Date; client: ClientBinding }): Promise<{ previousEmail: string | null; previousPhoneNumber: string | null } | null>;
  /** Queues a message without a code (a notice) to an address. */
  enqueueNotice(input: NoticeInput): Promise<void>;
}

/**
 * How calls share statements (statement-batcher.ts): at most `maxInFlight` statements of a kind
 * (per channel for requests and guesses) run at once, each for up to `maxBatch` calls, and a
 * second one goes out beside one in flight only once `concurrentAt` calls are queued. At 1,000
 * requests/s that 16 took PostgreSQL's CPU per request from 0.56–0.59 to 0.45–0.49 ms (request
 * flow) and from 0.67–0.74 to 0.53–0.63 ms (exchange), with nothing lost saturated
 * (docs/benchmarks.md, "One statement in flight until calls queue").
 */
export type Batching = Pick<StatementBatcherOptions<unknown>, 'maxBatch' | 'maxInFlight' | 'concurrentAt'>;
export const DEFAULT_BATCHING: Batching = { maxBatch: 64, maxInFlight: 4, concurrentAt: 16 };

/** Builds the repository on a pg pool. Statements are named, so each connection parses them once. */
export function createOneTimeTokenRepository(pool: pg.Pool, batching: Batching = DEFAULT_BATCHING): OneTimeTokenRepository {
  const issue: Record<Channel, Statement<IssueBatchParams>> = { email: issueStatement('email'), mobile: issueStatement('mobile') };
  const claim: Record<Channel, Statement<ClaimBatchParams>> = { email: signInClaimStatement('email'), mobile: signInClaimStatement('mobile') };
  const issueVerification: Record<Channel, Statement<VerificationIssueParams>> = { email: verificationIssueStatement('email'), mobile: verificationIssueStatement('mobile') };

  /**
   * Submits calls to a batcher per group (the channel and the settings, which are the same for
   * every call of a process, so one or two batchers each), made at the group's first call; the
   * statement takes the group's settings from that call and each call's own values as arrays.
   */
  function batched<In, Out>(options: { groupOf(input: In): string; keyOf(input: In): string; statement(first: In): (inputs: In[]) => pg.QueryConfig<unknown[]> }): (input: In) => Promise<Out> {
    const batchers = new Map<string, StatementBatcher<In, Out>>();
    return (input) => {
      const group = options.groupOf(input);
      let batcher = batchers.get(group);
      if (batcher === undefined) {
        const query = options.statement(input);
        batcher = createStatementBatcher<In, Out>({ run: async (inputs) => (await pool.query(query(inputs))).rows, keyOf: options.keyOf, isInputError, ...batching });
        batchers.set(group, batcher);
      }
      return batcher.submit(input);
    };
  }

  const submitIssue = batched<IssueTokenInput, IssueRow>({
    groupOf: issueGroup,
    keyOf: (queued) => queued.destination,
    statement: ({ channel }) => (inputs) => issue[channel].bind(issueBatchParams(channel, inputs)),
  });
  const submitClaim = batched<ClaimInput, ClaimRow>({
    groupOf: ({ channel, budget }) => `${channel}:${budget.perNetworkPerHour}:${budget.perNetworkPerDay}:${budget.perDay}`,
    keyOf: (queued) => queued.destination,
    statement: (first) => (inputs) => claim[first.channel].bind(claimBatchParams(first, inputs)),
  });
  const submitConsume = batched<ConsumeInput, SignedInRow | NoRow>({
    groupOf: (input) => `${input.allowAdmin}:${input.client.defaultClientId}`,
    // One user's sign-ins never share a statement: its session is found again by its user.
    keyOf: (queued) => queued.userId,
    statement: (first) => (inputs) => CONSUME_BATCH.bind(consumeBatchParams(first, inputs)),
  });

  return {
    issue(input) {
      return submitIssue(input).then((row): IssueTokenResult => {
        if (!row.accepted) return { outcome: 'throttled', previousRequestAt: row.previous_at };
        return { outcome: 'accepted', userId: row.user_id, created: row.user_id !== null && row.created, deliveryJobId: row.job_id };
      });
    },

    claimAttempt(input) {
      return submitClaim(input).then((row) => (row.id === null ? null : { id: row.id, userId: row.user_id, shortHash: row.short_hash, longHash: row.long_hash }));
    },

    consume(input) {
      return submitConsume(input).then((row) => (row.id === null ? null : toUser(row)));
    },

    async consumeByLongHash(input) {
      const { rows } = await pool.query<SignedInRow>(CONSUME_BY_LONG_HASH.bind({ long_hashes: input.longHashes, ...signInParams(input) }));
      return toUser(rows[0]);
    },

    async burnUse(id) {
      await pool.query(BURN_USE.bind({ id }));
    },

    async issueVerification(input) {
      const { rows } = await pool.query<{ accepted: boolean; previous_at: Date | null; sent: 'verify' | 'notice' | null }>(issueVerification[input.channel].bind({
        throttle_key: input.throttleKey,
        now: input.now,
        throttle_seconds: input.throttleSeconds,
        destination: input.destination,
        user_id: input.userId,
        channel: input.channel,
        short_hash: input.shortHash,
        max_attempts: input.maxAttempts,
        expires_at: input.expiresAt,
        masked_destination: input.maskedDestination,
        client_ip: input.clientIp,
        code_payload: input.codePayload,
        notice_payload: input.noticePayload,
        notice_expires_at: input.noticeExpiresAt,
        client_id: input.clientId,
      }));
      const row = rows[0]!;
      if (!row.accepted) return { outcome: 'throttled', previousRequestAt: row.previous_at };
      return { outcome: 'accepted', sent: row.sent };
    },

    async claimVerificationAttempt(input) {
      const { rows } = await pool.query<{ id: string; user_id: string; short_hash: Buffer; long_hash: Buffer | null }>(CLAIM_VERIFICATION.bind({
        channel: input.channel,
        destination: input.destination,
        now: input.now,
        failure_window_start: input.failureWindowStart,
        max_destination_failures: input.maxDestinationFailures,
        user_id: input.userId,
      }));
      const row = rows[0];
      return row ? { id: row.id, userId: row.user_id, shortHash: row.short_hash, longHash: row.long_hash } : null;
    },

    async consumeVerification(input) {
      try {
        const { rows } = await pool.query<{ previous_email: string | null; previous_phone_number: string | null }>(CONSUME_VERIFICATION.bind({
          id: input.id, user_id: input.userId, now: input.now, client_id: input.client.clientId, default_client_id: input.client.defaultClientId,
        }));
        const row = rows[0];
        return row ? { previousEmail: row.previous_email, previousPhoneNumber: row.previous_phone_number } : null;
      } catch (error) {
        // Another account took the address after the code was sent (users_email_key, users_phone_number_key).
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
        throw error;
      }
    },

    async enqueueNotice(input) {
      await pool.query(NOTICE.bind({
        user_id: input.userId,
        channel: input.channel,
        masked_destination: input.maskedDestination,
        client_ip: input.clientIp,
        payload: input.payload,
        now: input.now,
        expires_at: input.expiresAt,
      }));
    },
  };
}

const UNIQUE_VIOLATION = '23505';

/** A batch's answer for an input that got nothing. */
type NoRow = { id: null };
type SignedInRow = { id: string; email: string | null; phone_number: string | null; app_metadata: Record<string, unknown>; session_id: string; amr: string[] };

function signInParams(input: { now: Date; allowAdmin: boolean; session: NewSession; client: ClientBinding }): SignInParams {
  const { session, client } = input;
  return {
    now: input.now, allow_admin: input.allowAdmin, session_expires_at: session.expiresAt, ip: session.ip, user_agent: session.userAgent ?? null, refresh_hash: session.refreshHash,
    session_client_id: session.clientId ?? null, client_id: client.clientId, default_client_id: client.defaultClientId,
  };
}

function toUser(row: SignedInRow | undefined): SignedInUser | null {
  return row ? { id: row.id, email: row.email, phoneNumber: row.phone_number, appMetadata: row.app_metadata, sessionId: row.session_id, amr: row.amr } : null;
}
