/**
 * Retention: a list of purge statements run under an advisory try-lock, so every replica may
 * schedule the cleanup but only one runs it at a time. Each purge deletes in batches (by ctid)
 * so a large backlog never holds long locks. To purge another table, add an entry to
 * PURGE_STATEMENTS.
 */
import type pg from 'pg';
import { ADVISORY_LOCKS } from '../db/locks.ts';

export interface PurgeInput {
  now: Date;
  auditRetentionDays: number;
  /** Per-destination request throttle; a row older than this has no effect any more. */
  throttleSeconds: number;
}

export interface PurgeStatement {
  name: string;
  table: string;
  /** Condition on the rows to delete, with $1.. bound from params. */
  where: string;
  params(input: PurgeInput): unknown[];
}

const DAY_MS = 86_400_000;
/** One-time tokens are kept this long after creation: the per-destination failure budget (S6) sums their attempts. */
const TOKEN_KEEP_MS = 60 * 60 * 1000;
/** Webhook deliveries and their attempts are kept seven days for the admin API. */
const WEBHOOK_KEEP_MS = 7 * DAY_MS;

export const PURGE_STATEMENTS: PurgeStatement[] = [
  {
    name: 'audit_events',
    table: 'audit_events',
    where: 'created_at < $1',
    params: ({ now, auditRetentionDays }) => [new Date(now.getTime() - auditRetentionDays * DAY_MS)],
  },
  {
    name: 'one_time_tokens',
    table: 'one_time_tokens',
    where: 'created_at < $2 AND (expires_at <= $1 OR uses >= max_uses OR revoked_at IS NOT NULL)',
    params: ({ now }) => [now, new Date(now.getTime() - TOKEN_KEEP_MS)],
  },
  {
    name: 'request_throttle',
    table: 'request_throttle',
    where: 'last_request_at < $1',
    params: ({ now, throttleSeconds }) => [new Date(now.getTime() - throttleSeconds * 1000)],
  },
  {
    name: 'delivery_jobs',
    table: 'delivery_jobs',
    // Finished jobs hold no secret (their payload was wiped); a day of them helps operators.
    where: "status <> 'pending' AND finished_at < $1",
    params: ({ now }) => [new Date(now.getTime() - DAY_MS)],
  },
  {
    name: 'guess_failures',
    table: 'guess_failures',
    // The daily guess budgets look back 24 hours.
    where: 'window_start < $1',
    params: ({ now }) => [new Date(now.getTime() - 2 * DAY_MS)],
  },
  {
    name: 'webhook_attempts',
    table: 'webhook_attempts',
    // Each webhook attempt (status, duration, error) is kept seven days.
    where: 'attempted_at < $1',
    params: ({ now }) => [new Date(now.getTime() - WEBHOOK_KEEP_MS)],
  },
  {
    name: 'webhook_deliveries',
    table: 'webhook_deliveries',
    // Finished deliveries go with their attempts; pending ones are still being retried.
    where: "status <> 'pending' AND coalesce(finished_at, created_at) < $1",
    params: ({ now }) => [new Date(now.getTime() - WEBHOOK_KEEP_MS)],
  },
  {
    name: 'sms_counters',
    table: 'sms_counters',
    // Hourly and daily windows: anything two days old is over.
    where: 'window_start < $1',
    params: ({ now }) => [new Date(now.getTime() - 2 * DAY_MS)],
  },
];

/** Advisory lock key of the cleanup (the migrator uses another). */
const CLEANUP_LOCK_KEY = ADVISORY_LOCKS.retentionCleanup;
const BATCH_SIZE = 5_000;

export type PurgeResult = { ran: false } | { ran: true; deleted: Record<string, number> };

export interface RetentionRepository {
  /** Runs every purge unless another session holds the cleanup lock. */
  purge(input: PurgeInput): Promise<PurgeResult>;
}

export function createRetentionRepository(pool: pg.Pool, statements: readonly PurgeStatement[] = PURGE_STATEMENTS): RetentionRepository {
  return {
    async purge(input) {
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [CLEANUP_LOCK_KEY]);
        if (!rows[0]!.locked) return { ran: false };
        try {
          const deleted: Record<string, number> = {};
          for (const statement of statements) {
            const params = statement.params(input);
            const limit = `$${params.length + 1}`;
            const sql = `DELETE FROM ${statement.table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${statement.table} WHERE ${statement.where} LIMIT ${limit}))`;
            let total = 0;
            for (;;) {
              const result = await client.query(sql, [...params, BATCH_SIZE]);
              total += result.rowCount ?? 0;
              if ((result.rowCount ?? 0) < BATCH_SIZE) break;
            }
            deleted[statement.name] = total;
          }
          return { ran: true, deleted };
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [CLEANUP_LOCK_KEY]);
        }
      } finally {
        client.release();
      }
    },
  };
}
