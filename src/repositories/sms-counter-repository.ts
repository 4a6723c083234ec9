/**
 * SMS-pumping counters (S21, S38) in PostgreSQL: one statement marks delivery jobs charged and
 * increments every counter their messages touch, returning the new values; atomic per row and
 * shared by all replicas. A job already charged (a retry) increments nothing, so one message is
 * counted once however often its delivery is retried.
 *
 * Every SMS touches the same few rows (its country's, the daily total, their requester and
 * account parts), so a statement per message would queue on those rows' locks and commits, one
 * pool connection waiting per message: under an SMS burst, the email and sign-in statements of
 * the same pool waited behind them (docs/benchmarks.md, "Email and SMS side by side"). Charges
 * that arrive together share one statement instead (statement-batcher.ts), one at a time per
 * process. Each job's counts are those a statement of its own would have seen had the batch's
 * earlier jobs gone first: the counter's new value, less what the batch's later jobs added.
 *
 * Rows are locked in one order, by key then window, by the charge and by the decrement alike,
 * so concurrent statements (of other replicas) cannot deadlock on each other.
 */
import type pg from 'pg';
import { createStatementBatcher } from './statement-batcher.ts';
import { isInputError, statement } from './sql.ts';

export interface CounterWindow {
  key: string;
  windowStart: Date;
}

export interface SmsCharge {
  /** False: the job was charged before (a retry); nothing was counted now. */
  charged: boolean;
  /** The job's user has signed in with this number before (phone_number_verified); false when not charged. */
  proven: boolean;
  /** The new counts, in the order of the windows given; empty when not charged. */
  counts: number[];
}

export interface SmsCounterRepository {
  /** Charges the job once: adds one to each counter and returns the new counts. */
  charge(input: ChargeInput): Promise<SmsCharge>;
  /** Takes back a charge (the message was blocked, so it is not counted as sent). */
  decrement(counters: readonly CounterWindow[]): Promise<void>;
}

interface ChargeInput { jobId: string; counters: readonly CounterWindow[] }

/** The jobs, and every (job, counter) pair flattened into parallel arrays. */
interface ChargeParams { job_id: string[]; key_job: string[]; key: string[]; window_start: Date[] }
interface ChargeRow { charged_ids: string[]; proven_ids: string[]; keys: string[]; window_starts: Date[]; counts: number[] }

const CHARGE = statement<ChargeParams>('sms_counter_charge', `
WITH job AS (
  UPDATE delivery_jobs SET sms_charged = true WHERE id = ANY(:job_id::bigint[]) AND NOT sms_charged
  RETURNING id, user_id
), wanted AS (
  SELECT k.key, k.window_start, count(*)::int AS n
  FROM unnest(:key_job::bigint[], :key::text[], :window_start::timestamptz[]) AS k(job_id, key, window_start)
  JOIN job ON job.id = k.job_id
  GROUP BY k.key, k.window_start
), counted AS (
  INSERT INTO sms_counters AS c (key, window_start, count)
  SELECT key, window_start, n FROM wanted ORDER BY key, window_start
  ON CONFLICT (key, window_start) DO UPDATE SET count = c.count + excluded.count
  RETURNING key, window_start, count
)
SELECT coalesce((SELECT array_agg(j.id::text) FROM job j), '{}') AS charged_ids,
       coalesce((SELECT array_agg(j.id::text) FROM job j JOIN users u ON u.id = j.user_id WHERE u.phone_number_verified), '{}') AS proven_ids,
       coalesce((SELECT array_agg(key ORDER BY key, window_start) FROM counted), '{}') AS keys,
       coalesce((SELECT array_agg(window_start ORDER BY key, window_start) FROM counted), '{}') AS window_starts,
       coalesce((SELECT array_agg(count ORDER BY key, window_start) FROM counted), '{}') AS counts`);

// An upsert in the charge's order, so the two never wait on each other in a cycle.
const DECREMENT = statement<{ keys: string[]; window_starts: Date[] }>('sms_counter_decrement', `
INSERT INTO sms_counters AS c (key, window_start, count)
SELECT k, w, 0 FROM unnest(:keys::text[], :window_starts::timestamptz[]) AS t(k, w) ORDER BY k, w
ON CONFLICT (key, window_start) DO UPDATE SET count = c.count - 1`);

/** A counter row: its key and window. */
const slot = (key: string, windowStart: Date) => `${windowStart.getTime()}|${key}`;

/** The per-job answers of one charge statement, in the order of the inputs. */
function perJob(inputs: ChargeInput[], row: ChargeRow): SmsCharge[] {
  const charged = new Set(row.charged_ids);
  const proven = new Set(row.proven_ids);
  const total = new Map(row.keys.map((key, index) => [slot(key, row.window_starts[index]!), row.counts[index]!]));
  // What this batch added to each counter, and so what it held before.
  const added = new Map<string, number>();
  for (const input of inputs) {
    if (!charged.has(input.jobId)) continue;
    for (const c of input.counters) added.set(slot(c.key, c.windowStart), (added.get(slot(c.key, c.windowStart)) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    if (!charged.has(input.jobId)) return { charged: false, proven: false, counts: [] };
    const counts = input.counters.map((c) => {
      const at = slot(c.key, c.windowStart);
      const nth = (seen.get(at) ?? 0) + 1;
      seen.set(at, nth);
      return total.get(at)! - added.get(at)! + nth;
    });
    return { charged: true, proven: proven.has(input.jobId), counts };
  });
}

/**
 * `maxInFlight` 1: two statements of one process would only wait on each other's row locks.
 * `maxBatch` 64: a claim's SMS are opened and charged a few at a time (outbox-dispatcher.ts).
 */
export function createSmsCounterRepository(pool: pg.Pool, batching: { maxBatch: number; maxInFlight: number } = { maxBatch: 64, maxInFlight: 1 }): SmsCounterRepository {
  const args = (counters: readonly CounterWindow[]) => ({ keys: counters.map((c) => c.key), window_starts: counters.map((c) => c.windowStart) });
  const charges = createStatementBatcher<ChargeInput, SmsCharge>({
    ...batching,
    // One job never shares a statement with itself (a retry overlapping its first charge).
    keyOf: (input) => input.jobId,
    isInputError,
    async run(inputs) {
      const params: ChargeParams = { job_id: inputs.map((input) => input.jobId), key_job: [], key: [], window_start: [] };
      for (const input of inputs) {
        for (const c of input.counters) {
          params.key_job.push(input.jobId);
          params.key.push(c.key);
          params.window_start.push(c.windowStart);
        }
      }
      const { rows } = await pool.query<ChargeRow>(CHARGE.bind(params));
      return perJob(inputs, rows[0]!);
    },
  });
  return {
    charge: (input) => charges.submit(input),
    async decrement(counters) {
      await pool.query(DECREMENT.bind(args(counters)));
    },
  };
}
