/**
 * Operators' management of webhooks (the admin API's /admin/webhooks): create (the secret is
 * returned this once), list, read, change, delete, list deliveries with their attempts, and
 * re-send a delivery. URLs pass the outbound rules when stored and again at every send (S42).
 */
import { checkOutboundUrl, type OutboundPolicy } from '../delivery/outbound-http.ts';
import { AppError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import { newWebhookSecret } from '../lib/standard-webhooks.ts';
import type { WebhookSecretBox } from '../lib/webhook-secret-box.ts';
import type { WebhookDeliveryRecord, WebhookRecord, WebhookRepository } from '../repositories/webhook-repository.ts';
import { auditAdminChange, type AdminActor } from './admin/admin-actor.ts';
import type { AuditLog } from './audit-log.ts';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_RETRY_WINDOW_MS } from './webhook-events.ts';

export interface WebhookInput {
  url: string;
  events: string[];
  enabled?: boolean;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface WebhookAdmin {
  create(actor: AdminActor, input: WebhookInput): Promise<{ webhook: WebhookRecord; secret: string }>;
  list(input: { limit: number; cursor: string | undefined }): Promise<Page<WebhookRecord>>;
  get(id: string): Promise<WebhookRecord>;
  update(actor: AdminActor, id: string, patch: Partial<WebhookInput>): Promise<WebhookRecord>;
  remove(actor: AdminActor, id: string): Promise<void>;
  deliveries(id: string, input: { limit: number; cursor: string | undefined }): Promise<Page<WebhookDeliveryRecord>>;
  /** Makes the delivery due now (a fresh 24-hour retry window) and wakes the dispatcher. */
  retry(actor: AdminActor, id: string, deliveryId: string): Promise<void>;
}

const KNOWN_EVENTS = new Set<string>(WEBHOOK_EVENT_TYPES);
const MAX_URL_LENGTH = 2048;

function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (valid(value)) return value;
  } catch {
    // fall through
  }
  throw new AppError('invalid_cursor');
}

export function createWebhookAdmin(deps: {
  repository: WebhookRepository;
  secrets: WebhookSecretBox;
  policy: OutboundPolicy;
  clock: Clock;
  audit: Pick<AuditLog, 'record'>;
  wake(): void;
  /** Webhooks changed: the event emitter reads its subscriptions again. */
  changed?: () => void;
}): WebhookAdmin {
  const { repository, secrets, policy, clock, audit } = deps;

  function checkUrl(url: string): string {
    if (url.length > MAX_URL_LENGTH) throw new AppError('invalid_webhook_url');
    try {
      return checkOutboundUrl(url, policy).toString();
    } catch {
      throw new AppError('invalid_webhook_url');
    }
  }

  function checkEvents(events: string[]): string[] {
    if (events.length === 0 || events.some((event) => !KNOWN_EVENTS.has(event))) throw new AppError('invalid_webhook_events');
    return [...new Set(events)];
  }

  async function found(id: string): Promise<WebhookRecord> {
    const webhook = await repository.get(id);
    if (webhook === null) throw new AppError('webhook_not_found');
    return webhook;
  }

  return {
    async create(actor, input) {
      const url = checkUrl(input.url);
      const events = checkEvents(input.events);
      const secret = newWebhookSecret();
      const webhook = await repository.create({ url, events, enabled: input.enabled ?? true, secretEnc: secrets.seal(secret), now: clock.now() });
      auditAdminChange(audit, actor, 'admin.webhook_created', { detail: { webhookId: webhook.id } });
      deps.changed?.();
      return { webhook, secret };
    },

    async list({ limit, cursor }) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor, (value): value is { after: string } => typeof (value as { after?: unknown })?.after === 'string').after;
      const rows = await repository.list({ limit: limit + 1, after });
      const data = rows.slice(0, limit);
      return { data, next_cursor: rows.length > limit ? encodeCursor({ after: data.at(-1)!.id }) : null };
    },

    get: found,

    async update(actor, id, patch) {
      const changes = {
        ...(patch.url !== undefined ? { url: checkUrl(patch.url) } : {}),
        ...(patch.events !== undefined ? { events: checkEvents(patch.events) } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      };
      const webhook = await repository.update(id, changes, clock.now());
      if (webhook === null) throw new AppError('webhook_not_found');
      auditAdminChange(audit, actor, 'admin.webhook_updated', { detail: { webhookId: id } });
      deps.changed?.();
      return webhook;
    },

    async remove(actor, id) {
      if (!(await repository.delete(id))) throw new AppError('webhook_not_found');
      auditAdminChange(audit, actor, 'admin.webhook_deleted', { detail: { webhookId: id } });
      deps.changed?.();
    },

    async deliveries(id, { limit, cursor }) {
      await found(id);
      const before = cursor === undefined ? undefined : decodeCursor(cursor, (value): value is { at: string; id: string } => {
        const v = value as { at?: unknown; id?: unknown };
        return typeof v?.at === 'string' && typeof v.id === 'string' && /^[0-9a-f-]{36}$/i.test(v.id) && !Number.isNaN(Date.parse(v.at));
      });
      const rows = await repository.listDeliveries({ webhookId: id, limit: limit + 1, before: before && { createdAt: new Date(before.at), id: before.id } });
      const data = rows.slice(0, limit);
      const last = data.at(-1);
      return { data, next_cursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt.toISOString(), id: last.id }) : null };
    },

    async retry(actor, id, deliveryId) {
      await found(id);
      const now = clock.now();
      if (!(await repository.retry({ webhookId: id, deliveryId, now, retryUntil: new Date(now.getTime() + WEBHOOK_RETRY_WINDOW_MS) }))) {
        throw new AppError('webhook_delivery_not_found');
      }
      auditAdminChange(audit, actor, 'admin.webhook_delivery_retried', { detail: { webhookId: id, deliveryId } });
      deps.wake();
    },
  };
}
