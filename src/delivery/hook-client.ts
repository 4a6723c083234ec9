/**
 * Calls a synchronous hook (S43): POSTs a JSON body signed per Standard Webhooks with
 * HOOK_SECRET through the outbound guard (S42), within HOOK_TIMEOUT_MS, and reads a JSON
 * object back. Every failure (refused URL, timeout, network error, a non-2xx answer, a body
 * that is not a JSON object) is counted by hook and reason and logged with the status and the
 * duration, never a body (S34); the caller decides what a failure means (HOOK_*_ON_FAILURE).
 * A hook that keeps failing is logged once a second per hook and reason, the line saying how
 * many failures it left out (`suppressed`); the counter has every one.
 */
import { createLogThrottle } from '../lib/log-throttle.ts';
import { createWebhookSigner } from '../lib/standard-webhooks.ts';
import type { Logger } from '../services/types.ts';
import { OutboundRefusedError, OutboundTimeoutError, type OutboundHttp } from './outbound-http.ts';

export type HookName = 'custom_claims' | 'before_user_created';

export type HookFailure = 'refused' | 'timeout' | 'network' | 'status' | 'malformed' | 'too_large';

export type HookResult = { ok: true; body: Record<string, unknown> } | { ok: false; reason: HookFailure };

export interface HookClient {
  call(hook: HookName, url: string, payload: unknown): Promise<HookResult>;
  /** A JSON answer of the wrong shape (or claims too large for a token): counted and logged like any failure. */
  reportMalformed(hook: HookName, reason?: 'malformed' | 'too_large'): void;
}

/** A hook's answer larger than this is a failure: claims must fit an 8 KB token anyway. */
const MAX_ANSWER_BYTES = 16 * 1024;
/** A failing hook is logged at most this often per hook and reason. */
export const HOOK_FAILURE_LOG_INTERVAL_MS = 1_000;

export function createHookClient(deps: {
  http: OutboundHttp;
  secret: string;
  timeoutMs: number;
  log: Logger;
  /** Counts failures by hook and reason. */
  failed: (hook: HookName, reason: HookFailure) => void;
  /** Milliseconds on a monotonic clock, for the log's once-a-second rule (tests advance it). */
  nowMs?: () => number;
}): HookClient {
  const signer = createWebhookSigner(deps.secret);
  const logThrottle = createLogThrottle({ intervalMs: HOOK_FAILURE_LOG_INTERVAL_MS, ...(deps.nowMs ? { nowMs: deps.nowMs } : {}) });
  function logFailure(fields: { hook: HookName; reason: HookFailure; status?: number | null; ms?: number }): void {
    const suppressed = logThrottle.take(`${fields.hook}:${fields.reason}`);
    if (suppressed !== undefined) deps.log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, 'hook failed');
  }
  return {
    async call(hook, url, payload) {
      const body = JSON.stringify(payload);
      const started = performance.now();
      let reason: HookFailure;
      let status: number | undefined;
      try {
        const response = await deps.http.post(url, { body, headers: { ...signer.sign(body) }, timeoutMs: deps.timeoutMs, maxResponseBytes: MAX_ANSWER_BYTES });
        status = response.status;
        if (status >= 200 && status < 300) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(response.body);
          } catch {
            parsed = undefined;
          }
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return { ok: true, body: parsed as Record<string, unknown> };
          reason = 'malformed';
        } else {
          reason = 'status';
        }
      } catch (error) {
        reason = error instanceof OutboundRefusedError ? 'refused' : error instanceof OutboundTimeoutError ? 'timeout' : 'network';
      }
      return fail(hook, reason, status, started);
    },
    reportMalformed(hook, reason = 'malformed') {
      deps.failed(hook, reason);
      logFailure({ hook, reason });
    },
  };

  function fail(hook: HookName, reason: HookFailure, status: number | undefined, started: number): HookResult {
    deps.failed(hook, reason);
    logFailure({ hook, reason, status: status ?? null, ms: Math.round(performance.now() - started) });
    return { ok: false, reason };
  }
}
