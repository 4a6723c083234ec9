/**
 * Who made an admin change, for the audit trail (S41): the admin key's id and the caller's
 * address, never the key itself.
 */
import type { AuditEventName, AuditLog } from '../audit-log.ts';
import type { RequestContext } from '../types.ts';

export interface AdminActor {
  keyId: string;
  context: RequestContext;
}

/** Records a successful admin change, naming the key that made it. */
export function auditAdminChange(
  audit: Pick<AuditLog, 'record'>,
  actor: AdminActor,
  event: AuditEventName,
  fields: { userId?: string | null; reason?: string; detail?: Record<string, string | number | boolean | null> } = {},
): void {
  audit.record({
    event,
    outcome: 'succeeded',
    userId: fields.userId ?? null,
    context: actor.context,
    ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
    detail: { ...fields.detail, adminKeyId: actor.keyId },
  });
}
