/**
 * The events webhooks carry. `record(tx, event)` writes the event's deliveries inside the
 * caller's transaction (the admin API's changes); `emit(event)` writes them right after the
 * reply for the sign-in hot paths, whose state changes are single statements on the pool: there
 * the delivery is one statement after the change, not inside it, and a crash between the two
 * loses the event. So that sign-in pays nothing while no webhook wants an event, `emit` skips
 * types no enabled webhook subscribes to, by a list read at most once a second (and at once
 * after a change on this replica): a webhook created on another replica gets hot-path events
 * from about a second later. Payloads are `{type, timestamp, data}`; `data` carries ids and masked
 * identifiers only, never a code, link, token or key (S34).
 */
import type { Clock } from '../lib/clock.ts';
import { maskEmail, maskPhone } from '../lib/mask.ts';
import type { EventExecutor, WebhookRepository } from '../repositories/webhook-repository.ts';
import type { Logger } from './types.ts';

export const WEBHOOK_EVENT_TYPES = [
  'user.created', 'user.updated', 'user.deleted', 'user.signed_in', 'session.revoked', 'token.reuse_detected', 'code.blocked',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Only strings, numbers, booleans and null: ids, masked identifiers, reasons. */
export type WebhookEventData = Record<string, string | number | boolean | null | string[]>;

export interface WebhookEvent {
  type: WebhookEventType;
  data: WebhookEventData;
}

export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: WebhookEventData;
}

export interface WebhookEvents {
  /** Writes the event's deliveries through `tx` (the caller's transaction); call `wake()` after it commits. */
  record(tx: EventExecutor, event: WebhookEvent): Promise<void>;
  /** Writes the event's deliveries after the current reply, on the pool; never throws, never waits. */
  emit(event: WebhookEvent): void;
  /** A transaction with events committed: send them now rather than at the next poll. */
  wake(): void;
  /** Webhooks changed on this replica: read the subscribed event types again before the next emit. */
  invalidate(): void;
}

/** How long emit trusts its list of subscribed event types. */
const SUBSCRIPTIONS_TTL_MS = 1_000;

/** How long a delivery is retried (timeouts, 429, 5xx). */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The user part of user.* events: the id and masked identifiers. */
export function userEventData(user: { id: string; email: string | null; phoneNumber: string | null }): WebhookEventData {
  return {
    user_id: user.id,
    email: user.email === null ? null : maskEmail(user.email),
    phone_number: user.phoneNumber === null ? null : maskPhone(user.phoneNumber),
  };
}

export function createWebhookEvents(deps: {
  repository: Pick<WebhookRepository, 'enqueue' | 'subscribedTypes'>;
  /** The pool, for emit's single statement. */
  pool: EventExecutor;
  clock: Clock;
  log: Logger;
  wake(): void;
  /** Counts events emit could not write. */
  onLost?: () => void;
}): WebhookEvents {
  const { repository, pool, clock, log } = deps;
  // Undefined until read, and while a read failed: then every event is written (safe side).
  let subscribed: Set<string> | undefined;
  let readAt = -Infinity;
  let reading = false;
  // A read started before a change must not overwrite what the change invalidated.
  let generation = 0;

  function refresh(): void {
    if (reading || performance.now() - readAt < SUBSCRIPTIONS_TTL_MS) return;
    reading = true;
    readAt = performance.now();
    const started = generation;
    repository.subscribedTypes().then(
      (types) => { if (started === generation) subscribed = types; },
      () => { subscribed = undefined; },
    ).finally(() => { if (started === generation) reading = false; });
  }

  function enqueueInput(event: WebhookEvent) {
    const now = clock.now();
    const payload: WebhookPayload = { type: event.type, timestamp: now.toISOString(), data: event.data };
    return { type: event.type, payload, now, retryUntil: new Date(now.getTime() + WEBHOOK_RETRY_WINDOW_MS) };
  }

  return {
    async record(tx, event) {
      await repository.enqueue(tx, enqueueInput(event));
    },
    emit(event) {
      refresh();
      if (subscribed !== undefined && !subscribed.has(event.type)) return;
      const input = enqueueInput(event);
      // After the reply is written: the extra statement must not make a request slower, nor
      // show whether an identifier is known (S17).
      setImmediate(() => {
        repository.enqueue(pool, input).then((written) => { if (written > 0) deps.wake(); }, (error: unknown) => {
          deps.onLost?.();
          log.error({ event: event.type, error: (error as Error).name }, 'webhook event could not be recorded');
        });
      });
    },
    wake: deps.wake,
    invalidate() {
      // Until the new list is read, every event is written.
      subscribed = undefined;
      generation++;
      reading = false;
      readAt = -Infinity;
      refresh();
    },
  };
}
