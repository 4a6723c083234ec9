/**
 * Writes audit rows. A whole batch is one INSERT of unnested arrays: a single prepared
 * statement with ten array parameters whatever the batch size, so a busy replica writes hundreds
 * of events per round trip.
 *
 * Erasure (docs/admin.md): an event about a user who has been erased since it was recorded (a
 * send that was in flight during DELETE /admin/users/{id}, say) is written as the erasure leaves
 * the rest: its event, outcome and time, and no identifier. The key-share lock on the user's row
 * orders the insert against the erasure, which locks that row first: either the erasure waits for
 * this insert and then scrubs its row, or this insert waits for the erasure and sees the user
 * gone. It conflicts with no ordinary UPDATE of the user. The erasure's own row keeps the id.
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
SELECT e.created_at, e.event, CASE WHEN gone.erased THEN NULL ELSE e.user_id END, e.channel,
  CASE WHEN gone.erased THEN NULL ELSE e.destination END, CASE WHEN gone.erased THEN NULL ELSE e.client_ip END,
  CASE WHEN gone.erased THEN NULL ELSE e.user_agent END, e.outcome, e.reason, CASE WHEN gone.erased THEN NULL ELSE e.detail END
FROM unnest(:created_at::timestamptz[], :event::text[], :user_id::uuid[], :channel::text[], :destination::text[],
  :client_ip::text[], :user_agent::text[], :outcome::text[], :reason::text[], :detail::jsonb[])
  AS e(created_at, event, user_id, channel, destination, client_ip, user_agent, outcome, reason, detail)
CROSS JOIN LATERAL (SELECT e.user_id IS NOT NULL AND e.event <> 'admin.user_deleted'
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id FOR KEY SHARE) AS erased) AS gone`);

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
