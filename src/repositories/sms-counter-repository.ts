/**
 * SMS-pumping counters (S21, S38) in PostgreSQL: one statement marks the delivery job charged
 * and increments every counter its message touches, returning the new values; atomic per row
 * and shared by all replicas. A job already charged (a retry) increments nothing, so one
 * message is counted once however often its delivery is retried. Rows are always locked in
 * the order given, and every caller gives them in the same order (cap, then scope), so
 * concurrent statements cannot deadlock on each other.
 */
import type pg from 'pg';
import { statement } from './sql.ts';

export interface CounterWindow {
  key: string;
  windowStart: Date;
}

export interface SmsCharge {
  /** False: the job was charged before (a retry); nothing was counted now. */
  charged: boolean;
  /** The job's user has signed in with this number before (phone_number_verified). */
  proven: boolean;
  /** The new counts, in the order of the windows given; empty when not charged. */
  counts: number[];
}

export interface SmsCounterRepository {
  /** Charges the job once: adds one to each counter and returns the new counts. */
  charge(input: { jobId: string; counters: readonly CounterWindow[] }): Promise<SmsCharge>;
  /** Takes back a charge (the message was blocked, so it is not counted as sent). */
  decrement(counters: readonly CounterWindow[]): Promise<void>;
}

const CHARGE = statement<{ keys: string[]; window_starts: Date[]; job_id: string }>('sms_counter_charge', `
WITH job AS (
  UPDATE delivery_jobs SET sms_charged = true WHERE id = :job_id AND NOT sms_charged
  RETURNING user_id
), counted AS (
  INSERT INTO sms_counters AS c (key, window_start, count)
  SELECT k, w, 1 FROM unnest(:keys::text[], :window_starts::timestamptz[]) WITH ORDINALITY AS t(k, w, n)
  WHERE EXISTS (SELECT 1 FROM job) ORDER BY n
  ON CONFLICT (key, window_start) DO UPDATE SET count = c.count + 1
  RETURNING key, count
)
SELECT EXISTS (SELECT 1 FROM job) AS charged,
       coalesce((SELECT u.phone_number_verified FROM users u JOIN job ON u.id = job.user_id), false) AS proven,
       coalesce((SELECT array_agg(key) FROM counted), '{}') AS keys,
       coalesce((SELECT array_agg(count) FROM counted), '{}') AS counts`);

// An upsert in the same order as the charge, so the two never wait on each other in a cycle.
const DECREMENT = statement<{ keys: string[]; window_starts: Date[] }>('sms_counter_decrement', `
INSERT INTO sms_counters AS c (key, window_start, count)
SELECT k, w, 0 FROM unnest(:keys::text[], :window_starts::timestamptz[]) WITH ORDINALITY AS t(k, w, n) ORDER BY n
ON CONFLICT (key, window_start) DO UPDATE SET count = c.count - 1`);

export function createSmsCounterRepository(pool: pg.Pool): SmsCounterRepository {
  const args = (counters: readonly CounterWindow[]) => ({ keys: counters.map((c) => c.key), window_starts: counters.map((c) => c.windowStart) });
  return {
    async charge(input) {
      const { rows } = await pool.query<{ charged: boolean; proven: boolean; keys: string[]; counts: number[] }>(CHARGE.bind({ ...args(input.counters), job_id: input.jobId }));
      const row = rows[0]!;
      if (!row.charged) return { charged: false, proven: row.proven, counts: [] };
      const byKey = new Map(row.keys.map((key, index) => [key, row.counts[index]!]));
      return { charged: true, proven: row.proven, counts: input.counters.map((c) => byKey.get(c.key) ?? 0) };
    },
    async decrement(counters) {
      await pool.query(DECREMENT.bind(args(counters)));
    },
  };
}
