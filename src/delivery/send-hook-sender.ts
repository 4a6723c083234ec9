import { newMessageId, type StandardWebhookSigner } from '../lib/standard-webhooks.ts';
import type { EmailMessage, MessageSender, SendOptions, SendResult, SmsMessage } from './message-sender.ts';
import { OutboundRefusedError, OutboundResponseTooLargeError, type OutboundHttp } from './outbound-http.ts';
import { ProviderError } from './provider-errors.ts';

/** What the send hook receives: the message as rendered, ready for any carrier. */
export type SendHookPayload =
  | { channel: 'email'; to: string; from?: string; subject: string; text: string; html: string; locale: string | null }
  | { channel: 'mobile'; to: string; text: string; locale: string | null };

/**
 * The send hook (EMAIL_PROVIDER=http, SMS_PROVIDER=http): POSTs the rendered message as JSON to
 * SEND_HOOK_URL, signed per Standard Webhooks, through the guarded outbound client (S42: https,
 * resolved address checked at send time, no redirects). A team puts Postmark, Twilio, WhatsApp
 * or anything else behind its own endpoint. A 2xx answer is delivery. 429, 5xx, timeouts and
 * network failures are retried by the outbox; any other answer (4xx, and 3xx, which is never
 * followed) fails the message. Every retry of one message carries the same `webhook-id`, so the
 * endpoint can drop duplicates. The hook has no bulk call: the dispatcher sends one per job.
 */
export function createSendHookSenders(options: {
  url: string;
  signer: StandardWebhookSigner;
  http: OutboundHttp;
  /** Upper bound per call; the dispatcher's own send timeout (its signal) usually fires first. */
  timeoutMs: number;
  /** EMAIL_FROM, when set: the `from` of email that does not bring its own (a client's sender). */
  defaultFrom?: string | undefined;
}): { email: MessageSender<EmailMessage>; sms: MessageSender<SmsMessage> } {
  async function post(payload: SendHookPayload, sendOptions: SendOptions | undefined): Promise<SendResult> {
    const messageId = sendOptions?.idempotencyKey === undefined ? newMessageId() : `msg_${sendOptions.idempotencyKey}`;
    const body = JSON.stringify(payload);
    let status: number;
    try {
      ({ status } = await options.http.post(options.url, {
        body,
        headers: { ...options.signer.sign(body, { messageId }) },
        timeoutMs: options.timeoutMs,
        // The answer is not read, only its status.
        maxResponseBytes: 64 * 1024,
        ...(sendOptions?.signal !== undefined ? { signal: sendOptions.signal } : {}),
      }));
    } catch (error) {
      throw classifySendHookFailure(error);
    }
    if (status >= 200 && status < 300) return { messageId };
    if (status === 429 || status >= 500) throw new ProviderError('SendHookUnavailable', { status, transient: true });
    throw new ProviderError('SendHookRejected', { status, transient: false });
  }
  return {
    email: {
      provider: 'http',
      send: (message, sendOptions) => {
        const from = message.from ?? options.defaultFrom;
        return post({
          channel: 'email',
          to: message.to,
          ...(from !== undefined ? { from } : {}),
          subject: message.subject,
          text: message.text,
          html: message.html,
          locale: message.locale ?? null,
        }, sendOptions);
      },
    },
    sms: {
      provider: 'http',
      send: (message, sendOptions) => post({ channel: 'mobile', to: message.to, text: message.text, locale: message.locale ?? null }, sendOptions),
    },
  };
}

/**
 * A call that got no answer. Refused before sending (the URL or its resolved address breaks
 * S42) fails the message: asking again reaches the same address. A name that does not resolve
 * right now, a timeout or a broken connection is retried. Nothing the endpoint said is kept.
 */
export function classifySendHookFailure(error: unknown): ProviderError {
  if (error instanceof OutboundRefusedError) {
    return error.reason === 'unresolvable'
      ? new ProviderError('SendHookUnreachable', { transient: true })
      : new ProviderError('SendHookRefused', { transient: false });
  }
  if (error instanceof OutboundResponseTooLargeError) return new ProviderError('SendHookResponseTooLarge', { transient: false });
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return new ProviderError('SendHookTimeout', { transient: true });
  return new ProviderError('SendHookUnreachable', { transient: true });
}
