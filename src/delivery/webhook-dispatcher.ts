/**
 * Sends webhook deliveries. Runs in every replica: claims due deliveries with a lease (see
 * webhook-repository.ts), signs each per Standard Webhooks with its webhook's secret, and POSTs
 * it through the outbound guard (S42). 2xx delivers; timeouts, network errors, 429 and 5xx are
 * retried with exponential backoff and full jitter until the delivery's retry window (24 hours)
 * closes; anything else fails at once. Every attempt is recorded (status, duration, error name).
 * Logs carry ids, the HTTP status and the error name, never the body or the secret (S34).
 */
import type { Clock } from '../lib/clock.ts';
import type { RandomSource } from '../lib/random.ts';
import { createWebhookSigner } from '../lib/standard-webhooks.ts';
import type { WebhookSecretBox } from '../lib/webhook-secret-box.ts';
import type { AttemptOutcome, ClaimedWebhookDelivery, WebhookRepository } from '../repositories/webhook-repository.ts';
import type { Logger } from '../services/types.ts';
import type { Worker } from '../workers/worker.ts';
import { isTransientOutboundFailure, OutboundRefusedError, type OutboundHttp } from './outbound-http.ts';
import { retryDelayMs } from './retry-backoff.ts';

export interface WebhookDispatcherSettings {
  pollIntervalMs: number;
  batchSize: number;
  leaseSeconds: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_WEBHOOK_DISPATCHER_SETTINGS: WebhookDispatcherSettings = {
  pollIntervalMs: 1_000,
  batchSize: 50,
  leaseSeconds: 60,
  timeoutMs: 10_000,
  retryBaseMs: 10_000,
  retryMaxMs: 60 * 60 * 1000,
};

export interface WebhookDispatcher extends Worker {
  /** Events were committed: look for due deliveries now. Never throws, never waits. */
  wake(): void;
  /** Sends every delivery due now and waits for the outcomes (tests, operations). */
  drain(): Promise<void>;
}

export function createWebhookDispatcher(deps: {
  repository: Pick<WebhookRepository, 'claim' | 'recordAttempt'>;
  http: OutboundHttp;
  secrets: WebhookSecretBox;
  clock: Clock;
  random: RandomSource;
  log: Logger;
  /** Counts attempts by outcome: delivered, retry, failed. */
  attempted?: (outcome: 'delivered' | 'retry' | 'failed') => void;
  settings?: Partial<WebhookDispatcherSettings>;
}): WebhookDispatcher {
  const settings = { ...DEFAULT_WEBHOOK_DISPATCHER_SETTINGS, ...deps.settings };
  const { repository, http, secrets, clock, random, log } = deps;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;

  function wake(): void {
    if (!started || stopped) return;
    again = true;
    pumping ??= pump().finally(() => { pumping = undefined; });
  }

  async function pump(): Promise<void> {
    while (again && !stopped) {
      again = false;
      let claimed: ClaimedWebhookDelivery[];
      try {
        claimed = await repository.claim({ now: clock.now(), limit: settings.batchSize, leaseSeconds: settings.leaseSeconds });
      } catch (error) {
        log.warn({ error: (error as Error).name }, 'webhook dispatcher could not claim deliveries; will retry');
        return;
      }
      await Promise.all(claimed.map((delivery) => send(delivery).catch((error: unknown) => {
        // Bookkeeping failed: the lease runs out and the delivery is tried again.
        log.error({ deliveryId: delivery.id, error: (error as Error).name }, 'webhook delivery bookkeeping failed; it will be retried after its lease');
      })));
      if (claimed.length === settings.batchSize) again = true;
    }
  }

  async function send(delivery: ClaimedWebhookDelivery): Promise<void> {
    const attemptedAt = clock.now();
    const started = performance.now();
    const body = JSON.stringify(delivery.payload);
    let status: number | null = null;
    let error: string | null = null;
    let transient: boolean;
    try {
      const signer = createWebhookSigner(secrets.open(delivery.secretEnc));
      // The delivery id is the message id: the same on every attempt, so receivers drop duplicates.
      const headers = signer.sign(body, { messageId: `msg_${delivery.id}`, at: attemptedAt });
      const response = await http.post(delivery.url, { body, headers: { ...headers }, timeoutMs: settings.timeoutMs, maxResponseBytes: 16 * 1024 });
      status = response.status;
      transient = isTransientOutboundFailure({ status });
      if (status < 200 || status >= 300) error = status >= 300 && status < 400 ? 'RedirectNotFollowed' : `HTTP ${status}`;
    } catch (caught) {
      error = caught instanceof OutboundRefusedError ? `OutboundRefused:${caught.reason}` : (caught as Error).name;
      transient = isTransientOutboundFailure({ error: caught });
    }
    const durationMs = Math.round(performance.now() - started);
    let outcome: AttemptOutcome;
    if (error === null) {
      outcome = { status: 'delivered' };
    } else if (transient) {
      const next = new Date(clock.now().getTime() + retryDelayMs(delivery.attempt, { baseMs: settings.retryBaseMs, maxMs: settings.retryMaxMs }, random));
      outcome = next.getTime() < delivery.retryUntil.getTime() ? { status: 'pending', nextAttemptAt: next } : { status: 'failed' };
    } else {
      outcome = { status: 'failed' };
    }
    const recorded = await repository.recordAttempt(delivery, { attemptedAt, status, durationMs, error }, outcome);
    const fields = { deliveryId: delivery.id, webhookId: delivery.webhookId, attempt: delivery.attempt, status, durationMs, error };
    if (!recorded) {
      log.warn(fields, 'webhook delivery was taken over by another dispatcher; outcome not recorded');
      return;
    }
    const kind = outcome.status === 'delivered' ? 'delivered' : outcome.status === 'pending' ? 'retry' : 'failed';
    deps.attempted?.(kind);
    if (kind === 'delivered') log.info(fields, 'webhook delivered');
    else if (kind === 'retry') log.warn({ ...fields, retryAt: (outcome as { nextAttemptAt: Date }).nextAttemptAt.toISOString() }, 'webhook delivery will be retried');
    else log.warn(fields, 'webhook delivery failed');
  }

  return {
    name: 'webhook-dispatcher',
    start() {
      if (started) return;
      started = true;
      timer = setInterval(wake, settings.pollIntervalMs);
      timer.unref();
      wake();
    },
    wake() {
      // After the reply: a request's wake must not start sending work before its answer is written.
      if (started && !stopped) setImmediate(wake);
    },
    async drain() {
      if (!started) return;
      again = true;
      wake();
      while (pumping) await pumping;
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await pumping;
    },
  };
}
