/**
 * The delivery outbox's dispatcher side. Jobs are inserted by the token issue statement
 * (one-time-token-repository.ts) so a token never exists without its job. Claims take a lease
 * with `FOR UPDATE SKIP LOCKED`, so any number of replicas can dispatch at once and a crashed
 * one's jobs come back when its lease passes. Every later write is fenced by the attempt
 * number the claim returned, so a dispatcher that lost its lease cannot overwrite the outcome.
 */
import type pg from 'pg';
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
  /** Leases up to `limit` jobs due at `now` for leaseSeconds (database time). */
  claim(input: { now: Date; limit: number; leaseSeconds: number }): Promise<ClaimedDeliveryJob[]>;
  /**
   * Ends the job and wipes its payload; false when the lease was lost to another dispatcher.
   * Calls made in the same turn of the event loop are written together.
   */
  finish(job: ClaimedDeliveryJob, end: DeliveryJobEnd, now: Date): Promise<boolean>;
  /** Releases the lease and makes the job due again at `nextAttemptAt`. */
  reschedule(job: ClaimedDeliveryJob, input: { nextAttemptAt: Date; error: string; provider: string }): Promise<boolean>;
}

// Due and expiry times follow the service's clock (they come from the request's); leases follow
// the database's clock, which every replica shares, so clock skew between replicas cannot make
// one of them take over a job another is still sending.
const CLAIM_SQL = `
UPDATE delivery_jobs SET attempts = attempts + 1, locked_until = clock_timestamp() + make_interval(secs => $3::int)
WHERE id IN (
  SELECT id FROM delivery_jobs
  WHERE status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= clock_timestamp())
  ORDER BY next_attempt_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
RETURNING id, user_id, channel, destination_masked, client_ip, payload, attempts, created_at, expires_at,
  EXISTS (SELECT 1 FROM delivery_jobs newer WHERE newer.user_id = delivery_jobs.user_id
    AND newer.channel = delivery_jobs.channel AND newer.id > delivery_jobs.id
    AND newer.purpose = delivery_jobs.purpose AND delivery_jobs.purpose <> 'notice') AS superseded`;

// Ends a batch of jobs in one statement: sends that finish in the same turn of the event loop
// share one round trip and one commit. Each row is fenced by its claim's attempt number.
const FINISH_SQL = `
UPDATE delivery_jobs d SET status = v.status, payload = NULL, locked_until = NULL, provider = coalesce(v.provider, d.provider),
  provider_message_id = v.message_id, last_error = coalesce(v.error, d.last_error), finished_at = v.finished_at
FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
  AS v(id, attempts, status, provider, message_id, error, finished_at)
WHERE d.id = v.id AND d.attempts = v.attempts AND d.status = 'pending'
RETURNING d.id`;

const RESCHEDULE_SQL = `
UPDATE delivery_jobs SET next_attempt_at = $3, locked_until = NULL, last_error = $4, provider = $5
WHERE id = $1 AND attempts = $2 AND status = 'pending'`;

/** Builds the repository on a pg pool; each statement is one round trip. */
export function createDeliveryJobRepository(pool: pg.Pool): DeliveryJobRepository {
  let finishing: { job: ClaimedDeliveryJob; end: DeliveryJobEnd; now: Date; resolve(recorded: boolean): void; reject(error: unknown): void }[] = [];

  function flushFinished(): void {
    const batch = finishing;
    finishing = [];
    pool.query<{ id: string }>({
      name: 'outbox_finish',
      text: FINISH_SQL,
      values: [
        batch.map((entry) => entry.job.id),
        batch.map((entry) => entry.job.attempt),
        batch.map((entry) => entry.end.status),
        batch.map((entry) => entry.end.provider),
        batch.map((entry) => entry.end.providerMessageId),
        batch.map((entry) => entry.end.error),
        batch.map((entry) => entry.now),
      ],
    }).then(({ rows }) => {
      const recorded = new Set(rows.map((row) => String(row.id)));
      for (const entry of batch) entry.resolve(recorded.has(entry.job.id));
    }, (error: unknown) => {
      for (const entry of batch) entry.reject(error);
    });
  }

  return {
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
      }>({ name: 'outbox_claim', text: CLAIM_SQL, values: [input.now, input.limit, input.leaseSeconds] });
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

    async reschedule(job, input) {
      const result = await pool.query({
        name: 'outbox_reschedule',
        text: RESCHEDULE_SQL,
        values: [job.id, job.attempt, input.nextAttemptAt, input.error, input.provider],
      });
      return result.rowCount === 1;
    },
  };
}
