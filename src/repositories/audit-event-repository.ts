/**
 * Writes audit rows. A whole batch is one INSERT of unnested arrays: a single prepared
 * statement with ten array parameters whatever the batch size, so a busy replica writes hundreds
 * of events per round trip.
 */
import type pg from 'pg';
import type { AuditEventWriter, AuditRow } from '../services/audit-log.ts';

const INSERT_SQL = `
INSERT INTO audit_events (created_at, event, user_id, channel, destination, client_ip, user_agent, outcome, reason, detail)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[])`;

export function createAuditEventRepository(pool: pg.Pool): AuditEventWriter {
  return {
    async insertMany(rows: readonly AuditRow[]) {
      if (rows.length === 0) return;
      await pool.query({
        name: 'audit_insert',
        text: INSERT_SQL,
        values: [
          rows.map((row) => row.createdAt),
          rows.map((row) => row.event),
          rows.map((row) => row.userId),
          rows.map((row) => row.channel),
          rows.map((row) => row.destination),
          rows.map((row) => row.clientIp),
          rows.map((row) => row.userAgent),
          rows.map((row) => row.outcome),
          rows.map((row) => row.reason),
          rows.map((row) => (row.detail === null ? null : JSON.stringify(row.detail))),
        ],
      });
    },
  };
}
