/**
 * Writes audit rows. A whole batch is one INSERT of unnested arrays: a single prepared
 * statement with ten array parameters whatever the batch size, so a busy replica writes hundreds
 * of events per round trip.
 */
import type pg from 'pg';
import type { AuditEventWriter, AuditRow } from '../services/audit-log.ts';
import { statement } from './sql.ts';

type Column<K extends keyof AuditRow> = AuditRow[K][];

const INSERT = statement<{
  created_at: Column<'createdAt'>;
  event: Column<'event'>;
  user_id: Column<'userId'>;
  channel: Column<'channel'>;
  destination: Column<'destination'>;
  client_ip: Column<'clientIp'>;
  user_agent: Column<'userAgent'>;
  outcome: Column<'outcome'>;
  reason: Column<'reason'>;
  detail: (string | null)[];
}>('audit_insert', `
INSERT INTO audit_events (created_at, event, user_id, channel, destination, client_ip, user_agent, outcome, reason, detail)
SELECT * FROM unnest(:created_at::timestamptz[], :event::text[], :user_id::uuid[], :channel::text[], :destination::text[],
  :client_ip::text[], :user_agent::text[], :outcome::text[], :reason::text[], :detail::jsonb[])`);

export function createAuditEventRepository(pool: pg.Pool): AuditEventWriter {
  return {
    async insertMany(rows: readonly AuditRow[]) {
      if (rows.length === 0) return;
      await pool.query(INSERT.bind({
        created_at: rows.map((row) => row.createdAt),
        event: rows.map((row) => row.event),
        user_id: rows.map((row) => row.userId),
        channel: rows.map((row) => row.channel),
        destination: rows.map((row) => row.destination),
        client_ip: rows.map((row) => row.clientIp),
        user_agent: rows.map((row) => row.userAgent),
        outcome: rows.map((row) => row.outcome),
        reason: rows.map((row) => row.reason),
        detail: rows.map((row) => (row.detail === null ? null : JSON.stringify(row.detail))),
      }));
    },
  };
}
