/** One interface for every delivery provider; adding one means a new file and a factory case. */

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A From for this message (a client's own sender); the provider's configured EMAIL_FROM otherwise. */
  from?: string | undefined;
  /** The language the message was rendered in (the send hook passes it on). */
  locale?: string | undefined;
}

export interface SmsMessage {
  to: string;
  text: string;
  /** The language the message was rendered in (the send hook passes it on). */
  locale?: string | undefined;
}

export interface SendResult {
  /** The provider's id for the message, when it gives one. */
  messageId: string | undefined;
}

export interface SendOptions {
  /** Aborts the provider call; the dispatcher uses it as the send timeout. */
  signal?: AbortSignal;
  /** The same for every attempt at one message (the delivery job's id), for providers that let the receiver drop duplicates. */
  idempotencyKey?: string;
}

export interface MessageSender<M> {
  /** Provider name for logs. */
  readonly provider: string;
  send(message: M, options?: SendOptions): Promise<SendResult>;
}

/**
 * One email template sent to many destinations in one provider call (SES v2 `SendBulkEmail`):
 * the parts hold `{{name}}` placeholders the provider fills from each entry's values by plain
 * substitution, without escaping. Values for the HTML part are therefore escaped by the caller.
 */
export interface BulkEmail {
  template: { subject: string; text: string; html: string };
  /** The sender of every entry; absent: the provider's configured one. */
  from?: string | undefined;
  entries: { to: string; values: Record<string, string> }[];
}

/** Per entry, in order: accepted with the provider's id, or refused with its status name. */
export type BulkEntryResult = { ok: true; messageId: string | undefined } | { ok: false; error: { name: string; transient: boolean } };

export interface BulkEmailSender extends MessageSender<EmailMessage> {
  /** At most this many entries per call (SES: 50). */
  readonly maxBulkEntries: number;
  /** One call for every entry; throws when the call as a whole fails (throttling, network, 5xx). */
  sendBulk(email: BulkEmail, options?: SendOptions): Promise<BulkEntryResult[]>;
}

export function canSendBulk(sender: MessageSender<EmailMessage>): sender is BulkEmailSender {
  return typeof (sender as Partial<BulkEmailSender>).sendBulk === 'function';
}
