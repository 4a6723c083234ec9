/** One interface for every delivery provider; adding one means a new file and a factory case. */

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SmsMessage {
  to: string;
  text: string;
}

export interface SendResult {
  /** The provider's id for the message, when it gives one. */
  messageId: string | undefined;
}

export interface SendOptions {
  /** Aborts the provider call; the dispatcher uses it as the send timeout. */
  signal?: AbortSignal;
}

export interface MessageSender<M> {
  /** Provider name for logs. */
  readonly provider: string;
  send(message: M, options?: SendOptions): Promise<SendResult>;
}
