import nodemailer from 'nodemailer';
import type { SmtpUrl } from '../config/providers.ts';
import type { EmailMessage, MessageSender } from './message-sender.ts';
import { ProviderError } from './provider-errors.ts';

export interface SmtpSenderOptions {
  /** EMAIL_FROM: the From of every message that does not bring its own. */
  from: string;
  server: SmtpUrl;
  /** Allow `smtp://` without STARTTLS (local mail catchers only; production refuses it). */
  allowInsecure: boolean;
  /** PEM certificate authorities to trust instead of the system ones (a private relay). */
  ca?: string | undefined;
  /** Pooled connections open at most; as many messages are in the server's hands at once. */
  maxConnections: number;
  /** Connection, greeting and socket inactivity limit, in milliseconds. */
  timeoutMs: number;
}

/**
 * Email through any SMTP relay with nodemailer, over pooled connections. `smtps://` is TLS from
 * the first byte; `smtp://` must upgrade with STARTTLS (a server that does not offer it fails
 * the send) unless SMTP_ALLOW_INSECURE is set. Certificates are always verified.
 *
 * A message waits for a free connection here rather than in nodemailer's own queue: a send that
 * times out while waiting is then dropped before the server ever saw it, so the dispatcher's
 * retry cannot deliver the same code twice. The relay has no bulk call; the dispatcher sends one
 * message per job, and the pool keeps `maxConnections` of them in flight.
 */
export function createSmtpEmailSender(options: SmtpSenderOptions): MessageSender<EmailMessage> & { close(): void } {
  const { server } = options;
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: options.maxConnections,
    host: server.host,
    port: server.port,
    secure: server.secure,
    requireTLS: !server.secure && !options.allowInsecure,
    ...(server.user !== undefined ? { auth: { user: server.user, pass: server.password ?? '' } } : {}),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    tls: { minVersion: 'TLSv1.2', ...(options.ca !== undefined ? { ca: options.ca } : {}) },
    // Messages are our own templates: nothing to read from disk or fetch, nothing to log (S34).
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });
  // A pooled connection that fails between sends is reported on the transport: without a
  // listener that would crash the process. Each send reports its own failure to the dispatcher,
  // and the error's text (which can quote the server or an address) is not logged (S34).
  transport.on('error', () => {});
  const slots = createSlots(options.maxConnections);
  return {
    provider: 'smtp',
    async send(message, sendOptions) {
      const signal = sendOptions?.signal;
      await slots.acquire(signal);
      try {
        const sending = transport.sendMail({
          from: message.from ?? options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        const info = await untilAborted(sending, signal);
        return { messageId: info.messageId };
      } catch (error) {
        throw classifySmtpError(error);
      } finally {
        slots.release();
      }
    },
    close: () => transport.close(),
  };
}

const AUTHENTICATION_REPLIES = new Set([530, 534, 535, 538]);

/**
 * What an SMTP failure means for the outbox: a 4xx reply is temporary by the protocol's own
 * definition (greylisting, a full queue, rate limits), a 5xx reply is permanent (unknown
 * mailbox, refused sender, policy), and no reply at all (connection, DNS, TLS, timeout) is
 * retried like a network failure. Refused credentials are retried too, as with AWS: the
 * recipient is not at fault and an operator can fix them while the code is still valid. The
 * server's reply text is dropped: it can quote the address (S34).
 */
export function classifySmtpError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const status = typeof responseCode === 'number' ? responseCode : undefined;
  // STARTTLS refused or the certificate not trusted: the relay's setup, not the recipient (the
  // refusal comes as a 5xx reply to STARTTLS, which is no verdict on the message).
  if (code === 'ETLS') return new ProviderError('SmtpTlsFailed', { status, transient: true });
  // 530 (authentication or STARTTLS required), 534, 535 and 538 answer the relay's own
  // settings, not the recipient: whatever command they come back on, they are credentials.
  if (code === 'EAUTH' || code === 'ENOAUTH' || (status !== undefined && AUTHENTICATION_REPLIES.has(status))) {
    return new ProviderError('SmtpAuthenticationFailed', { status, transient: true });
  }
  if (status !== undefined && status >= 400 && status < 500) return new ProviderError('SmtpTemporaryFailure', { status, transient: true });
  if (status !== undefined && status >= 500 && status < 600) return new ProviderError('SmtpPermanentFailure', { status, transient: false });
  switch (code) {
    case 'ETIMEDOUT': return new ProviderError('SmtpTimeout', { transient: true });
    // A recipient or sender nodemailer itself found unusable: asking again changes nothing.
    case 'EENVELOPE': return new ProviderError('SmtpInvalidEnvelope', { transient: false });
    default: return new ProviderError('SmtpConnectionFailed', { transient: true });
  }
}

/** The send's result, or a timeout error as soon as the signal fires (the send itself may still finish). */
function untilAborted<T>(sending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return sending;
  // The send can settle after we stopped waiting; its outcome is then nobody's to report.
  sending.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ProviderError('SmtpTimeout', { transient: true }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    sending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** At most `limit` holders at once; a waiter whose signal fires leaves the queue with a timeout error. */
function createSlots(limit: number): { acquire(signal: AbortSignal | undefined): Promise<void>; release(): void } {
  let held = 0;
  const waiting: { grant(): void }[] = [];
  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(new ProviderError('SmtpTimeout', { transient: true }));
      if (held < limit) {
        held += 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            held += 1;
            resolve();
          },
        };
        const onAbort = () => {
          const index = waiting.indexOf(waiter);
          if (index >= 0) waiting.splice(index, 1);
          reject(new ProviderError('SmtpTimeout', { transient: true }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.push(waiter);
      });
    },
    release() {
      held -= 1;
      waiting.shift()?.grant();
    },
  };
}
