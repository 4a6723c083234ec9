/**
 * Webhooks and their deliveries. A delivery row is written by the statement that records its
 * event, inside the caller's transaction (a transactional outbox), one row per enabled webhook
 * subscribed to the event; the webhook dispatcher claims due rows with a lease
 * (FOR UPDATE SKIP LOCKED, like the code outbox) and every later write is fenced by the claim's
 * attempt number, so a dispatcher that lost its lease cannot overwrite the outcome.
 */
import type pg from 'pg';
import { statement } from './sql.ts';

export interface WebhookRecord {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookAttemptRecord {
  attemptedAt: Date;
  status: number | null;
  durationMs: number;
  error: string | null;
}

export interface WebhookDeliveryRecord {
  id: string;
  webhookId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: WebhookAttemptRecord[];
  createdAt: Date;
  nextAttemptAt: Date | null;
  finishedAt: Date | null;
}

export interface ClaimedWebhookDelivery {
  id: string;
  webhookId: string;
  url: string;
  secretEnc: Buffer;
  payload: unknown;
  /** This claim's attempt number; it fences the writes that follow. */
  attempt: number;
  retryUntil: Date;
}

/** What a delivery becomes after an attempt. */
export type AttemptOutcome = { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; nextAttemptAt: Date };

/**
 * Where an event's deliveries are written: a pg client inside a transaction (or the pool, for a
 * single statement), or a Prisma interactive-transaction client.
 */
export type EventExecutor =
  | { query(config: pg.QueryConfig<unknown[]>): Promise<unknown> }
  | { $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> };

export interface WebhookRepository {
  create(input: { url: string; events: string[]; enabled: boolean; secretEnc: Buffer; now: Date }): Promise<WebhookRecord>;
  /** Ordered by id; `after` is the last id of the previous page. */
  list(input: { limit: number; after: string | undefined }): Promise<WebhookRecord[]>;
  get(id: string): Promise<WebhookRecord | null>;
  update(id: string, patch: { url?: string; events?: string[]; enabled?: boolean }, now: Date): Promise<WebhookRecord | null>;
  delete(id: string): Promise<boolean>;
  /** Writes one delivery per enabled webhook subscribed to `type`, through `executor` (the caller's transaction). */
  enqueue(executor: EventExecutor, input: { type: string; payload: unknown; now: Date; retryUntil: Date }): Promise<number>;
  /** The event types at least one enabled webhook subscribes to. */
  subscribedTypes(): Promise<Set<string>>;
  claim(input: { now: Date; limit: number; leaseSeconds: number }): Promise<ClaimedWebhookDelivery[]>;
  /** Records the attempt and the delivery's new state in one statement; false when the lease was lost. */
  recordAttempt(delivery: ClaimedWebhookDelivery, attempt: WebhookAttemptRecord, outcome: AttemptOutcome): Promise<boolean>;
  /** Newest first; `before` is the last id of the previous page. */
  listDeliveries(input: { webhookId: string; limit: number; before: { createdAt: Date; id: string } | undefined }): Promise<WebhookDeliveryRecord[]>;
  /** Makes a delivery due now again, with a fresh retry window; false when there is no such delivery. */
  retry(input: { webhookId: string; deliveryId: string; now: Date; retryUntil: Date }): Promise<boolean>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = 'id, url, events, enabled, created_at, updated_at';

const CREATE = statement<{ url: string; events: string[]; enabled: boolean; secret_enc: Buffer; now: Date }>('webhook_create', `
INSERT INTO webhooks (url, events, enabled, secret_enc, created_at, updated_at)
VALUES (:url, :events::text[], :enabled, :secret_enc, :now, :now)
RETURNING ${COLUMNS}`);

const LIST = statement<{ after: string | null; limit: number }>('webhook_list', `
SELECT ${COLUMNS} FROM webhooks WHERE (:after::uuid IS NULL OR id > :after::uuid) ORDER BY id LIMIT :limit`);

const GET = statement<{ id: string }>('webhook_get', `SELECT ${COLUMNS} FROM webhooks WHERE id = :id`);

const UPDATE = statement<{ id: string; url: string | null; events: string[] | null; enabled: boolean | null; now: Date }>('webhook_update', `
UPDATE webhooks SET url = coalesce(:url, url), events = coalesce(:events::text[], events), enabled = coalesce(:enabled, enabled), updated_at = :now
WHERE id = :id RETURNING ${COLUMNS}`);

const SUBSCRIBED = statement<Record<string, never>>('webhook_subscribed_types', 'SELECT DISTINCT unnest(events) AS type FROM webhooks WHERE enabled');

const DELETE = statement<{ id: string }>('webhook_delete', 'DELETE FROM webhooks WHERE id = :id');

// The event's statement: nothing is written when no enabled webhook wants the event.
const ENQUEUE = statement<{ type: string; payload: string; now: Date; retry_until: Date }>('webhook_enqueue', `
INSERT INTO webhook_deliveries (webhook_id, event_type, payload, next_attempt_at, retry_until, created_at)
SELECT id, :type::text, :payload::jsonb, :now::timestamptz, :retry_until::timestamptz, :now::timestamptz FROM webhooks WHERE enabled AND :type::text = ANY(events)`);

// Like the code outbox's claim: leases follow the database's clock, due times the service's.
const CLAIM = statement<{ now: Date; limit: number; lease_seconds: number }>('webhook_claim', `
WITH picked AS MATERIALIZED (
  SELECT id FROM webhook_deliveries
  WHERE status = 'pending' AND next_attempt_at <= :now AND (locked_until IS NULL OR locked_until <= clock_timestamp())
  ORDER BY next_attempt_at, id
  LIMIT :limit
  FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d SET attempts = d.attempts + 1, locked_until = clock_timestamp() + make_interval(secs => :lease_seconds::int)
FROM picked, webhooks w
WHERE d.id = picked.id AND w.id = d.webhook_id
RETURNING d.id, d.webhook_id, w.url, w.secret_enc, d.payload, d.attempts, d.retry_until`, { prepared: false });

const RECORD = statement<{
  id: string; attempt: number; attempted_at: Date; http_status: number | null; duration_ms: number; error: string | null;
  status: string; next_attempt_at: Date | null;
}>('webhook_record_attempt', `
WITH updated AS (
  UPDATE webhook_deliveries SET status = :status::text, locked_until = NULL, last_status = :http_status::int, last_error = :error::text,
    next_attempt_at = coalesce(:next_attempt_at::timestamptz, next_attempt_at),
    finished_at = CASE WHEN :status::text = 'pending' THEN NULL ELSE :attempted_at::timestamptz END
  WHERE id = :id::uuid AND attempts = :attempt::int AND status = 'pending'
  RETURNING id
)
INSERT INTO webhook_attempts (delivery_id, attempted_at, status, duration_ms, error)
SELECT id, :attempted_at::timestamptz, :http_status::int, :duration_ms::int, :error::text FROM updated
RETURNING delivery_id`);

const LIST_DELIVERIES = statement<{ webhook_id: string; before_at: Date | null; before_id: string | null; limit: number }>('webhook_list_deliveries', `
SELECT d.id, d.webhook_id, d.event_type, d.status, d.created_at, d.next_attempt_at, d.finished_at,
  coalesce((SELECT json_agg(json_build_object('attempted_at', a.attempted_at, 'status', a.status, 'duration_ms', a.duration_ms, 'error', a.error) ORDER BY a.id)
    FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempts
FROM webhook_deliveries d
WHERE d.webhook_id = :webhook_id AND (:before_at::timestamptz IS NULL OR (d.created_at, d.id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY d.created_at DESC, d.id DESC
LIMIT :limit`);

const RETRY = statement<{ webhook_id: string; delivery_id: string; now: Date; retry_until: Date }>('webhook_retry', `
UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = :now, retry_until = :retry_until, locked_until = NULL, finished_at = NULL
WHERE id = :delivery_id AND webhook_id = :webhook_id`);

interface WebhookRow { id: string; url: string; events: string[]; enabled: boolean; created_at: Date; updated_at: Date }

function toWebhook(row: WebhookRow): WebhookRecord {
  return { id: row.id, url: row.url, events: row.events, enabled: row.enabled, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Builds the repository on a pg pool; each method is one statement. */
export function createWebhookRepository(pool: pg.Pool): WebhookRepository {
  return {
    async create(input) {
      const { rows } = await pool.query<WebhookRow>(CREATE.bind({ url: input.url, events: input.events, enabled: input.enabled, secret_enc: input.secretEnc, now: input.now }));
      return toWebhook(rows[0]!);
    },
    async list(input) {
      const { rows } = await pool.query<WebhookRow>(LIST.bind({ after: input.after !== undefined && UUID.test(input.after) ? input.after : null, limit: input.limit }));
      return rows.map(toWebhook);
    },
    async get(id) {
      if (!UUID.test(id)) return null;
      const { rows } = await pool.query<WebhookRow>(GET.bind({ id }));
      return rows[0] ? toWebhook(rows[0]) : null;
    },
    async update(id, patch, now) {
      if (!UUID.test(id)) return null;
      const { rows } = await pool.query<WebhookRow>(UPDATE.bind({ id, url: patch.url ?? null, events: patch.events ?? null, enabled: patch.enabled ?? null, now }));
      return rows[0] ? toWebhook(rows[0]) : null;
    },
    async delete(id) {
      if (!UUID.test(id)) return false;
      const result = await pool.query(DELETE.bind({ id }));
      return result.rowCount === 1;
    },
    async enqueue(executor, input) {
      const query = ENQUEUE.bind({ type: input.type, payload: JSON.stringify(input.payload), now: input.now, retry_until: input.retryUntil });
      if ('$executeRawUnsafe' in executor) return executor.$executeRawUnsafe(ENQUEUE.text, ...(query.values ?? []));
      const result = await executor.query(query) as { rowCount?: number | null };
      return result.rowCount ?? 0;
    },
    async subscribedTypes() {
      const { rows } = await pool.query<{ type: string }>(SUBSCRIBED.bind({}));
      return new Set(rows.map((row) => row.type));
    },
    async claim(input) {
      const { rows } = await pool.query<{ id: string; webhook_id: string; url: string; secret_enc: Buffer; payload: unknown; attempts: number; retry_until: Date }>(
        CLAIM.bind({ now: input.now, limit: input.limit, lease_seconds: input.leaseSeconds }),
      );
      return rows.map((row) => ({
        id: row.id, webhookId: row.webhook_id, url: row.url, secretEnc: row.secret_enc, payload: row.payload, attempt: row.attempts, retryUntil: row.retry_until,
      }));
    },
    async recordAttempt(delivery, attempt, outcome) {
      const { rowCount } = await pool.query(RECORD.bind({
        id: delivery.id,
        attempt: delivery.attempt,
        attempted_at: attempt.attemptedAt,
        http_status: attempt.status,
        duration_ms: attempt.durationMs,
        error: attempt.error,
        status: outcome.status,
        next_attempt_at: outcome.status === 'pending' ? outcome.nextAttemptAt : null,
      }));
      return rowCount === 1;
    },
    async listDeliveries(input) {
      if (!UUID.test(input.webhookId)) return [];
      const { rows } = await pool.query<{
        id: string; webhook_id: string; event_type: string; status: WebhookDeliveryRecord['status']; created_at: Date; next_attempt_at: Date; finished_at: Date | null;
        attempts: { attempted_at: string; status: number | null; duration_ms: number; error: string | null }[];
      }>(LIST_DELIVERIES.bind({ webhook_id: input.webhookId, before_at: input.before?.createdAt ?? null, before_id: input.before?.id ?? null, limit: input.limit }));
      return rows.map((row) => ({
        id: row.id,
        webhookId: row.webhook_id,
        eventType: row.event_type,
        status: row.status,
        createdAt: row.created_at,
        nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
        finishedAt: row.finished_at,
        attempts: row.attempts.map((a) => ({ attemptedAt: new Date(a.attempted_at), status: a.status, durationMs: a.duration_ms, error: a.error })),
      }));
    },
    async retry(input) {
      if (!UUID.test(input.webhookId) || !UUID.test(input.deliveryId)) return false;
      const result = await pool.query(RETRY.bind({ webhook_id: input.webhookId, delivery_id: input.deliveryId, now: input.now, retry_until: input.retryUntil }));
      return result.rowCount === 1;
    },
  };
}
