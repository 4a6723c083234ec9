/** The audit log as the admin API reads it: filtered, newest first, paged by id. */
import { AppError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../lib/page-cursor.ts';
import type { AuditLog } from '../audit-log.ts';
import type { Page } from './admin-users.ts';

export interface StoredAuditEvent {
  id: string;
  createdAt: Date;
  event: string;
  userId: string | null;
  channel: string | null;
  destination: string | null;
  clientIp: string | null;
  userAgent: string | null;
  outcome: string;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditFilter {
  userId?: string;
  event?: string;
  since?: Date;
  until?: Date;
  /** Only events with a smaller id (older) than this. */
  beforeId?: string;
  limit: number;
}

export interface AuditQueryRepository {
  list(filter: AuditFilter): Promise<StoredAuditEvent[]>;
}

export interface AdminAuditService {
  list(query: { userId?: string; event?: string; since?: string; until?: string; limit: number; cursor?: string }): Promise<Page<StoredAuditEvent>>;
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAdminAuditService(deps: { events: AuditQueryRepository; audit: Pick<AuditLog, 'flush'> }): AdminAuditService {
  const { events, audit } = deps;
  return {
    async list(query) {
      if (query.userId !== undefined && !UUID_SHAPE.test(query.userId)) throw new AppError('invalid_query');
      const since = query.since === undefined ? undefined : instant(query.since);
      const until = query.until === undefined ? undefined : instant(query.until);
      let beforeId: string | undefined;
      if (query.cursor !== undefined) {
        beforeId = decodeCursor(query.cursor, 1)?.[0];
        if (beforeId === undefined || !/^[0-9]{1,19}$/.test(beforeId)) throw new AppError('invalid_cursor');
      }
      // Events are buffered for up to 100 ms: what happened before this call is written first.
      await audit.flush();
      const rows = await events.list({ userId: query.userId?.toLowerCase(), event: query.event, since, until, beforeId, limit: query.limit + 1 });
      const data = rows.slice(0, query.limit);
      const last = data[data.length - 1];
      return { data, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor([last.id]) : null };
    },
  };
}

function instant(text: string): Date {
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new AppError('invalid_query');
  return new Date(at);
}
