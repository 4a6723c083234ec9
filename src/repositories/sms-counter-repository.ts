/**
 * SMS-pumping counters (S21) in PostgreSQL: one upsert increments every counter a message
 * touches and returns the new values, atomically per row and shared by all replicas. Rows are
 * always locked in the order given (country, prefix, global), so concurrent statements cannot
 * deadlock on each other.
 */
import type pg from 'pg';
import { statement } from './sql.ts';

export interface CounterWindow {
  key: string;
  windowStart: Date;
}

export interface SmsCounterRepository {
  /** Adds one to each counter; returns the new counts in the same order. */
  increment(counters: readonly CounterWindow[]): Promise<number[]>;
  /** Takes back an increment (the message was blocked, so it is not counted as sent). */
  decrement(counters: readonly CounterWindow[]): Promise<void>;
}

interface CounterParams {
  keys: string[];
  window_starts: Date[];
}

function upsert(name: string, delta: '+ 1' | '- 1') {
  return statement<CounterParams>(name, `
INSERT INTO sms_counters AS c (key, window_start, count)
SELECT k, w, ${delta === '+ 1' ? 1 : 0} FROM unnest(:keys::text[], :window_starts::timestamptz[]) WITH ORDINALITY AS t(k, w, n) ORDER BY n
ON CONFLICT (key, window_start) DO UPDATE SET count = c.count ${delta}
RETURNING key, count`);
}

const INCREMENT = upsert('sms_counter_increment', '+ 1');
const DECREMENT = upsert('sms_counter_decrement', '- 1');

export function createSmsCounterRepository(pool: pg.Pool): SmsCounterRepository {
  const params = (counters: readonly CounterWindow[]): CounterParams => ({ keys: counters.map((c) => c.key), window_starts: counters.map((c) => c.windowStart) });
  return {
    async increment(counters) {
      const { rows } = await pool.query<{ key: string; count: number }>(INCREMENT.bind(params(counters)));
      const byKey = new Map(rows.map((row) => [row.key, row.count]));
      return counters.map((c) => byKey.get(c.key) ?? 0);
    },
    async decrement(counters) {
      await pool.query(DECREMENT.bind(params(counters)));
    },
  };
}
