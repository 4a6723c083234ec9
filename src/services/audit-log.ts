/**
 * The audit trail (S33): who asked for or used a code, from where, and what came of it.
 * `record` never throws and never waits on the database: events are masked at once (S34),
 * buffered, and written in batches by one multi-row INSERT every FLUSH_INTERVAL_MS or every
 * MAX_BATCH events, and on close. Trade-off: the hot paths pay no extra round trip, but a crash
 * (not a graceful stop) loses at most the last ~100 ms of events, and events are not in the
 * same transaction as the state change they describe.
 */
import type { Clock } from '../lib/clock.ts';
import { maskDestination } from '../lib/mask.ts';
import type { Channel, Logger, RequestContext } from './types.ts';

export type AuditEventName =
  | 'code.requested'
  | 'code.blocked'
  | 'code.delivered'
  | 'code.failed'
  | 'sign_in.succeeded'
  | 'sign_in.failed'
  | 'token.refreshed'
  | 'token.reuse_detected'
  | 'session.revoked'
  | 'identifier.verification_requested'
  | 'identifier.verification_failed'
  | 'identifier.verified'
  | 'identifier.removed'
  | 'passkey.registered'
  | 'passkey.registration_failed'
  | 'passkey.renamed'
  | 'passkey.deleted'
  | 'passkey.clone_suspected'
  | 'user.metadata_updated'
  // Admin API changes (S41); each names the admin key's id in `detail.adminKeyId`.
  | 'admin.key_created'
  | 'admin.key_revoked'
  | 'admin.signing_keys_rotated'
  | 'admin.user_created'
  | 'admin.user_updated'
  | 'admin.user_deleted'
  | 'admin.sessions_revoked'
  | 'admin.sign_in_link_created'
  | 'admin.client_created'
  | 'admin.client_updated'
  | 'admin.client_deleted'
  | 'admin.webhook_created'
  | 'admin.webhook_updated'
  | 'admin.webhook_deleted'
  | 'admin.webhook_delivery_retried';

/**
 * What happened: `issued` (a code was stored for an eligible user), `ignored` (no eligible
 * user; nothing sent), `throttled`, `blocked`, `delivered`, `failed`, `succeeded`, `revoked`.
 */
export type AuditOutcome = 'issued' | 'ignored' | 'throttled' | 'blocked' | 'delivered' | 'failed' | 'succeeded' | 'revoked' | 'refused';

export interface AuditEvent {
  event: AuditEventName;
  outcome: AuditOutcome;
  userId?: string | null;
  /** The raw destination; masked before it is kept anywhere. */
  to?: { channel: Channel; destination: string };
  /** A destination that is already masked (the outbox keeps no other form outside its sealed payload). */
  masked?: { channel: Channel; destination: string };
  context?: RequestContext;
  /** A short machine-readable reason, e.g. `wrong_code`, `prefix_cap`, `demo`. Never a secret. */
  reason?: string;
  /** Extra non-secret facts (provider, message id, key id). */
  detail?: Record<string, string | number | boolean | null>;
}

/** The row as stored: every field already safe to keep. */
export interface AuditRow {
  createdAt: Date;
  event: AuditEventName;
  userId: string | null;
  channel: Channel | null;
  destination: string | null;
  clientIp: string | null;
  userAgent: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditEventWriter {
  insertMany(rows: readonly AuditRow[]): Promise<void>;
}

export interface AuditLog {
  /** Queues the event; never throws into the request path. */
  record(event: AuditEvent): void;
  /** Writes everything queued so far (events recorded meanwhile wait for the next flush). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

export interface AuditLogOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Events kept while the database is down; beyond it the oldest are dropped and counted. */
  maxBuffered?: number;
  onDropped?: (count: number) => void;
}

const MAX_USER_AGENT = 512;
const MAX_REASON = 64;

/** Builds the buffered audit log on a writer (the repository). */
export function createBufferedAuditLog(deps: { writer: AuditEventWriter; clock: Clock; log: Logger }, options: AuditLogOptions = {}): AuditLog {
  const { writer, clock, log } = deps;
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  // Each batch's values are bound in one synchronous call, about 6 µs a row (3.1 ms for 500
  // rows, measured): 200 keeps that under about 1.2 ms of the event loop, and a busy replica
  // (2,000 events/s) still writes one statement per 100 ms.
  const maxBatch = options.maxBatch ?? 200;
  const maxBuffered = options.maxBuffered ?? 50_000;
  let buffer: AuditRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  function toRow(event: AuditEvent): AuditRow {
    return {
      createdAt: clock.now(),
      event: event.event,
      userId: event.userId ?? null,
      channel: event.to?.channel ?? event.masked?.channel ?? null,
      destination: event.to ? maskDestination(event.to.channel, event.to.destination) : event.masked?.destination ?? null,
      clientIp: event.context?.ip ?? null,
      userAgent: event.context?.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
      outcome: event.outcome,
      reason: event.reason?.slice(0, MAX_REASON) ?? null,
      detail: event.detail ?? null,
    };
  }

  // Writes the events queued when it starts, in batches of at most maxBatch. Events recorded
  // while a batch is written wait for the next flush (the timer, or a full batch), so a steady
  // stream costs one statement per flushIntervalMs: looping until the buffer was empty wrote
  // statement after statement while requests kept coming (22 a second at 250 requests/s, 47 at
  // 1,000/s, against the 10 the timer allows; docs/benchmarks.md, "The audit log's statements").
  // Answers false when a write failed (its events are kept for the next attempt).
  async function writeOut(): Promise<boolean> {
    let due = buffer.length;
    while (due > 0 && buffer.length > 0) {
      const batch = buffer.slice(0, Math.min(maxBatch, due));
      buffer = buffer.slice(batch.length);
      due -= batch.length;
      try {
        await writer.insertMany(batch);
      } catch (error) {
        // Keep the batch for the next attempt (fail soft: the audit log must not take sign-in down).
        buffer = batch.concat(buffer);
        trim();
        log.error({ err: { type: (error as Error).name, message: (error as Error).message }, pending: buffer.length }, 'audit events could not be written; will retry');
        return false;
      }
    }
    return true;
  }

  function trim(): void {
    const excess = buffer.length - maxBuffered;
    if (excess > 0) {
      buffer = buffer.slice(excess);
      options.onDropped?.(excess);
    }
  }

  function write(): Promise<boolean> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    // Serialised: one INSERT at a time, in order.
    const written = writing.then(writeOut);
    writing = written.then(() => undefined);
    return written;
  }

  async function flush(): Promise<void> {
    await write();
  }

  function schedule(): void {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushIntervalMs);
    timer.unref();
  }

  return {
    record(event) {
      try {
        buffer.push(toRow(event));
        trim();
        if (buffer.length >= maxBatch) void flush();
        else schedule();
      } catch (error) {
        log.error({ err: { type: (error as Error).name } }, 'audit event dropped');
      }
    },
    flush,
    async close() {
      closed = true;
      // Until nothing is left, events recorded during the last write included; a failed write
      // leaves its events to the caller's retry or to shutdown's end.
      while (await write() && buffer.length > 0);
    },
  };
}
