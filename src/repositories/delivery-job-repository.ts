/**
 * The delivery outbox's dispatcher side. Jobs are inserted by the token issue statement
 * (one-time-token-repository.ts) so a token never exists without its job. Claims take a lease
 * with `FOR UPDATE SKIP LOCKED`, so any number of replicas can dispatch at once and a crashed
 * one's jobs come back when its lease passes. Every later write is fenced by the attempt
 * number the claim returned, so a dispatcher that lost its lease cannot overwrite the outcome.
 */
import { CHANNELS, summarizeBacklog, type Backlog, type ChannelBacklog } from '../delivery/admission-gate.ts';
import type pg from 'pg';
import { statement } from './sql.ts';
import type { Channel } from '../services/types.ts';

export type DeliveryJobStatus = 'pending' | 'delivered' | 'failed' | 'expired';

export interface ClaimedDeliveryJob {
  id: string;
  userId: string;
  channel: Channel;
  destinationMasked: string;
  clientIp: string | null;
  payload: Buffer | null;
  /** This claim's attempt number; it fences the writes that follow. */
  attempt: number;
  createdAt: Date;
  expiresAt: Date;
  /**
   * A newer job of the same purpose exists for the same person and channel: this job's code has
   * been revoked. Notices carry no code and are never superseded.
   */
  superseded: boolean;
}

export interface DeliveryJobEnd {
  status: Exclude<DeliveryJobStatus, 'pending'>;
  provider: string | null;
  providerMessageId: string | null;
  error: string | null;
}

export interface DeliveryJobRepository {
  /**
   * Leases jobs due at `now` for leaseSeconds (database time), at most `limits[channel]` of each
   * channel: each channel's sends have their own room in flight, so a provider that answers
   * slowly cannot take another channel's.
   */
  claim(input: { now: Date; limits: Readonly<Record<Channel, number>>; leaseSeconds: number }): Promise<ClaimedDeliveryJob[]>;
  /**
   * Ends the job and wipes its payload; false when the lease was lost to another dispatcher.
   * Calls made in the same turn of the event loop are written together.
   */
  finish(job: ClaimedDeliveryJob, end: DeliveryJobEnd, now: Date): Promise<boolean>;
  /** Releases the lease and makes the job due again at `nextAttemptAt`. */
  reschedule(job: ClaimedDeliveryJob, input: { nextAttemptAt: Date; error: string; provider: string }): Promise<boolean>;
  /**
   * Renews the leases of jobs whose sends are still in flight, for leaseSeconds from now
   * (database time); returns the ids still held. A job missing from the answer was claimed again
   * by someone else (its lease had run out), finished, or released.
   */
  extend(held: { id: string; attempt: number }[], leaseSeconds: number): Promise<Set<string>>;
}

export interface DeliveryBacklogReader {
  /**
   * What admission control reads once a second, by channel: when the oldest pending job was
   * created, how old that is by the database's clock (which every replica shares), the same for
   * the oldest job no attempt of which has failed yet, and for the oldest job that has not failed
   * or failed with no later job of its channel delivered since (a later delivery shows the
   * provider sends, so that job fails for a reason of its own), how many jobs are pending (counted up to
   * `cap` over both channels, so the probe's cost stays bounded), and how many jobs have an id
   * above `since` (the highest id of the last reading; rows, so ids drawn by a statement that
   * failed are not counted). With the highest job id, the next reading's `since`. One snapshot,
   * and no privilege beyond reading the table. A job whose id was drawn before the last reading
   * but committed after it is never counted as created: its channel's rate reads one job low
   * for one interval.
   */
  backlog(cap: number, since?: number | null): Promise<Backlog>;
}

// Due and expiry times follow the service's clock (they come from the request's); leases follow
// the database's clock, which every replica shares, so clock skew between replicas cannot make
// one of them take over a job another is still sending.
//
// Plan-proof by construction: each MATERIALIZED CTE is evaluated once, locks at most its
// channel's limit of rows (LIMIT sits under FOR UPDATE SKIP LOCKED; LIMIT 0 reads nothing) and
// the UPDATE joins exactly those rows. The former `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR
// UPDATE SKIP LOCKED)` could, under a generic plan chosen while the table was empty, re-run the
// subquery per outer row and lease the whole backlog (3,000 rows for LIMIT 16, 11 s in
// ../shared/repro/outbox-claim-plan.sql). Not a prepared statement, so it is planned per call.
// A limit per channel: with one limit for both, SMS sends waiting on a slow SNS filled every
// slot and email codes waited behind them (docs/benchmarks.md, "Each channel's own sends in
// flight"; S48). Each branch reads its own channel's range of the pending-jobs index
// (delivery_jobs_pending_due_idx: channel, next_attempt_at, id) in due order, so it never steps
// over the other channel's backlog.
const claimBranch = (channel: Channel) => `${channel} AS MATERIALIZED (
  SELECT id FROM delivery_jobs
  WHERE status = 'pending' AND channel = '${channel}' AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until <= clock_timestamp())
  ORDER BY next_attempt_at, id
  LIMIT :${channel}_limit
  FOR UPDATE SKIP LOCKED
)`;
const CLAIM = statement<{ now: Date; email_limit: number; mobile_limit: number; lease_seconds: number }>('outbox_claim', `
WITH ${CHANNELS.map(claimBranch).join(', ')},
picked AS (${CHANNELS.map((channel) => `SELECT id FROM ${channel}`).join(' UNION ALL ')})
UPDATE delivery_jobs d SET attempts = d.attempts + 1, locked_until = clock_timestamp() + make_interval(secs => :lease_seconds::int)
FROM picked
WHERE d.id = picked.id
RETURNING d.id, d.user_id, d.channel, d.destination_masked, d.client_ip, d.payload, d.attempts, d.created_at, d.expires_at,
  EXISTS (SELECT 1 FROM delivery_jobs newer WHERE newer.user_id = d.user_id
    AND newer.channel = d.channel AND newer.id > d.id
    AND newer.purpose = d.purpose AND d.purpose <> 'notice') AS superseded`, { prepared: false });

// Ends a batch of jobs in one statement: sends that finish in the same turn of the event loop
// share one round trip and one commit. Each row is fenced by its claim's attempt number.
// FINISH, EXTEND and RESCHEDULE find their rows by primary key, and are unnamed like the claim,
// so each call is planned against the outbox as it is now. Prepared on a connection while the
// outbox was empty, each kept a generic plan that read the whole table (a hash join over a
// sequential scan of delivery_jobs) as long as the connection lived, however large the outbox
// grew (integration/outbox-claim.test.ts). A few a second; planning one costs well under 1 ms.
const FINISH = statement<{
  ids: string[];
  attempts: number[];
  statuses: string[];
  providers: (string | null)[];
  message_ids: (string | null)[];
  errors: (string | null)[];
  finished_at: Date[];
}>('outbox_finish', `
UPDATE delivery_jobs d SET status = v.status, payload = NULL, locked_until = NULL, provider = coalesce(v.provider, d.provider),
  provider_message_id = v.message_id, last_error = coalesce(v.error, d.last_error), finished_at = v.finished_at
FROM unnest(:ids::bigint[], :attempts::int[], :statuses::text[], :providers::text[], :message_ids::text[], :errors::text[], :finished_at::timestamptz[])
  AS v(id, attempts, status, provider, message_id, error, finished_at)
WHERE d.id = v.id AND d.attempts = v.attempts AND d.status = 'pending'
RETURNING d.id`, { prepared: false });

// Reads only the pending jobs (partial index delivery_jobs_pending_due_idx); the count stops at
// the cap. Per channel: its pending jobs, and the jobs created with an id above :since (a range
// of the primary key: about one second's jobs, at most FRESH_JOBS_CAP ids of them), from which
// the gate reads each channel's drain rate; with the highest job id, the next reading's :since.
// The range is closed on both sides on purpose: with statistics of the empty table, PostgreSQL
// took `id > :since ORDER BY id LIMIT 100000` for a third of the outbox and read all of it, then
// sorted (a sequential scan: 56 ms on 500,000 jobs); a range with both ends is costed as a small
// slice of the primary key whatever the statistics say (integration/outbox-claim.test.ts).
// Each channel's newest delivered job is one step down the partial index of delivered jobs
// (delivery_jobs_delivered_idx), however many jobs of the other channel came after it: a
// failing job older than it is not the provider's doing. Plan-proof: the channel is a range
// (not an equality) and the order is (channel, id), which only that index provides, so no plan
// can walk the primary key down through the other channel's jobs instead (written as
// max(id) WHERE channel = ..., the planner did that: 114 ms per channel on a table of 500,000
// jobs, against 0.2 ms). One snapshot for all of it. Unnamed, like the claim, so it is planned
// against the outbox as it is now.
const FRESH_JOBS_CAP = 100_000;
const BACKLOG = statement<{ cap: number; since: string | null; fresh_cap: number; channels: readonly string[] }>('outbox_backlog', `
WITH top AS (
  SELECT max(id) AS created FROM delivery_jobs
), delivered AS (
  SELECT c.channel, (
    SELECT d.id FROM delivery_jobs d
    WHERE d.status = 'delivered' AND d.channel >= c.channel AND d.channel <= c.channel
    ORDER BY d.channel DESC, d.id DESC LIMIT 1) AS last_id
  FROM unnest(:channels::text[]) AS c(channel)
), waiting AS (
  SELECT p.channel, count(*)::int AS pending, min(p.created_at) AS oldest, extract(epoch FROM clock_timestamp() - min(p.created_at))::float8 AS lag,
    min(p.created_at) FILTER (WHERE p.unfailed) AS oldest_unfailed,
    coalesce(extract(epoch FROM clock_timestamp() - min(p.created_at) FILTER (WHERE p.unfailed)), 0)::float8 AS unfailed_lag,
    min(p.created_at) FILTER (WHERE p.unfailed OR p.id > coalesce(dl.last_id, 0)) AS oldest_unproven,
    coalesce(extract(epoch FROM clock_timestamp() - min(p.created_at) FILTER (WHERE p.unfailed OR p.id > coalesce(dl.last_id, 0))), 0)::float8 AS unproven_lag
  FROM (SELECT id, channel, created_at, last_error IS NULL AS unfailed FROM delivery_jobs WHERE status = 'pending' LIMIT :cap) p
  LEFT JOIN delivered dl ON dl.channel = p.channel
  GROUP BY p.channel
), fresh AS (
  SELECT channel, count(*)::int AS created_since
  FROM (SELECT channel FROM delivery_jobs WHERE id > :since::bigint AND id <= :since::bigint + :fresh_cap::int) f
  GROUP BY channel
)
SELECT coalesce(w.channel, f.channel) AS channel, coalesce(w.pending, 0) AS pending, w.oldest, coalesce(w.lag, 0) AS lag,
  w.oldest_unfailed, coalesce(w.unfailed_lag, 0) AS unfailed_lag, w.oldest_unproven, coalesce(w.unproven_lag, 0) AS unproven_lag,
  coalesce(f.created_since, 0) AS created_since, top.created::text AS created
FROM top LEFT JOIN (waiting w FULL JOIN fresh f ON f.channel = w.channel) ON true`, { prepared: false });

// Fenced like FINISH, and only while the lease is held: a released (rescheduled) job is left alone.
const EXTEND = statement<{ ids: string[]; attempts: number[]; lease_seconds: number }>('outbox_extend', `
UPDATE delivery_jobs d SET locked_until = clock_timestamp() + make_interval(secs => :lease_seconds::int)
FROM unnest(:ids::bigint[], :attempts::int[]) AS v(id, attempts)
WHERE d.id = v.id AND d.attempts = v.attempts AND d.status = 'pending' AND d.locked_until IS NOT NULL
RETURNING d.id`, { prepared: false });

const RESCHEDULE = statement<{ id: string; attempt: number; next_attempt_at: Date; error: string; provider: string }>('outbox_reschedule', `
UPDATE delivery_jobs SET next_attempt_at = :next_attempt_at, locked_until = NULL, last_error = :error, provider = :provider
WHERE id = :id AND attempts = :attempt AND status = 'pending'`, { prepared: false });

/** Builds the repository on a pg pool; each statement is one round trip. */
export function createDeliveryJobRepository(pool: pg.Pool): DeliveryJobRepository & DeliveryBacklogReader {
  let finishing: { job: ClaimedDeliveryJob; end: DeliveryJobEnd; now: Date; resolve(recorded: boolean): void; reject(error: unknown): void }[] = [];

  function flushFinished(): void {
    const batch = finishing;
    finishing = [];
    pool.query<{ id: string }>(FINISH.bind({
      ids: batch.map((entry) => entry.job.id),
      attempts: batch.map((entry) => entry.job.attempt),
      statuses: batch.map((entry) => entry.end.status),
      providers: batch.map((entry) => entry.end.provider),
      message_ids: batch.map((entry) => entry.end.providerMessageId),
      errors: batch.map((entry) => entry.end.error),
      finished_at: batch.map((entry) => entry.now),
    })).then(({ rows }) => {
      const recorded = new Set(rows.map((row) => String(row.id)));
      for (const entry of batch) entry.resolve(recorded.has(entry.job.id));
    }, (error: unknown) => {
      for (const entry of batch) entry.reject(error);
    });
  }

  return {
    // Unnamed on purpose: planned at each call against the table as it is now. A named
    // statement could keep a generic plan costed while the outbox was empty and scan the whole
    // table per claim (845 ms for one claim of 16 over a 3,000-job backlog, against 1.9 ms
    // planned afresh); planning costs about 0.5 ms, once per batch, not per job.
    async claim(input) {
      const { rows } = await pool.query<{
        id: string;
        user_id: string;
        channel: Channel;
        destination_masked: string;
        client_ip: string | null;
        payload: Buffer | null;
        attempts: number;
        created_at: Date;
        expires_at: Date;
        superseded: boolean;
      }>(CLAIM.bind({ now: input.now, email_limit: Math.max(0, input.limits.email), mobile_limit: Math.max(0, input.limits.mobile), lease_seconds: input.leaseSeconds }));
      return rows.map((row) => ({
        id: row.id,
        userId: row.user_id,
        channel: row.channel,
        destinationMasked: row.destination_masked,
        clientIp: row.client_ip,
        payload: row.payload,
        attempt: row.attempts,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        superseded: row.superseded,
      }));
    },

    finish(job, end, now) {
      return new Promise((resolve, reject) => {
        finishing.push({ job, end, now, resolve, reject });
        if (finishing.length === 1) setImmediate(flushFinished);
      });
    },

    async backlog(cap, since) {
      const { rows } = await pool.query<{
        channel: Channel | null; pending: number; oldest: Date | null; lag: number; oldest_unfailed: Date | null; unfailed_lag: number;
        oldest_unproven: Date | null; unproven_lag: number; created_since: number; created: string | null;
      }>(BACKLOG.bind({ cap, since: since == null ? null : String(since), fresh_cap: FRESH_JOBS_CAP, channels: CHANNELS }));
      const channels: ChannelBacklog[] = rows.filter((row) => row.channel !== null).map((row) => ({
        channel: row.channel!,
        oldestCreatedAt: row.oldest,
        databaseLagSeconds: row.lag,
        oldestUnfailedCreatedAt: row.oldest_unfailed,
        databaseUnfailedLagSeconds: row.unfailed_lag,
        oldestUnprovenCreatedAt: row.oldest_unproven,
        databaseUnprovenLagSeconds: row.unproven_lag,
        pending: row.pending,
        createdSince: row.created_since,
      }));
      const created = rows[0]?.created == null ? null : Number(rows[0].created);
      // Complete when the range read reaches the newest job: more than FRESH_JOBS_CAP ids drawn
      // since the last reading leave the rest uncounted.
      const complete = created === null || since == null || created - Number(since) <= FRESH_JOBS_CAP;
      return summarizeBacklog(channels, created, complete);
    },

    async extend(held, leaseSeconds) {
      if (held.length === 0) return new Set();
      const { rows } = await pool.query<{ id: string }>(EXTEND.bind({ ids: held.map((job) => job.id), attempts: held.map((job) => job.attempt), lease_seconds: leaseSeconds }));
      return new Set(rows.map((row) => String(row.id)));
    },

    async reschedule(job, input) {
      const result = await pool.query(RESCHEDULE.bind({
        id: job.id,
        attempt: job.attempt,
        next_attempt_at: input.nextAttemptAt,
        error: input.error,
        provider: input.provider,
      }));
      return result.rowCount === 1;
    },
  };
}
