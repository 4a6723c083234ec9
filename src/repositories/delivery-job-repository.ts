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
  /** A newer job exists for the same person and channel: this job's code has been revoked. */
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
  /** Ends the job and wipes its payload; false when the lease was lost to another dispatcher. */
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
    AND newer.channel = delivery_jobs.channel AND newer.id > delivery_jobs.id) AS superseded`;

const FINISH_SQL = `
UPDATE delivery_jobs SET status = $3, payload = NULL, locked_until = NULL, provider = coalesce($4, provider),
  provider_message_id = $5, last_error = coalesce($6, last_error), finished_at = $7
WHERE id = $1 AND attempts = $2 AND status = 'pending'`;

const RESCHEDULE_SQL = `
UPDATE delivery_jobs SET next_attempt_at = $3, locked_until = NULL, last_error = $4, provider = $5
WHERE id = $1 AND attempts = $2 AND status = 'pending'`;

/** Builds the repository on a pg pool; each statement is one round trip. */
export function createDeliveryJobRepository(pool: pg.Pool): DeliveryJobRepository {
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

    async finish(job, end, now) {
      const result = await pool.query({
        name: 'outbox_finish',
        text: FINISH_SQL,
        values: [job.id, job.attempt, end.status, end.provider, end.providerMessageId, end.error, now],
      });
      return result.rowCount === 1;
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
