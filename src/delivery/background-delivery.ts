/**
 * Sends messages after the HTTP reply, so a slow provider never slows the request and the
 * response cannot reveal whether anything was sent (S17). Failures are logged with masked
 * destinations and the provider's error name only: provider messages can quote the address (S34).
 * In-flight sends are tracked so shutdown can wait for them.
 */
import { maskEmail, maskPhone } from '../lib/mask.ts';
import type { Logger } from '../services/types.ts';
import type { EmailMessage, MessageSender, SmsMessage } from './message-sender.ts';

export type OutboundMessage = ({ channel: 'email' } & EmailMessage) | ({ channel: 'mobile' } & SmsMessage);

export interface MessageDispatcher {
  /** Starts sending and returns at once. */
  dispatch(message: OutboundMessage): void;
  /** Resolves when every send started so far has settled. */
  drain(): Promise<void>;
}

export function createBackgroundDelivery(deps: {
  email: MessageSender<EmailMessage>;
  sms: MessageSender<SmsMessage>;
  log: Logger;
}): MessageDispatcher {
  const inFlight = new Set<Promise<void>>();

  async function send(message: OutboundMessage): Promise<void> {
    const sender = message.channel === 'email' ? deps.email : deps.sms;
    const to = message.channel === 'email' ? maskEmail(message.to) : maskPhone(message.to);
    try {
      const { messageId } = message.channel === 'email' ? await deps.email.send(message) : await deps.sms.send(message);
      deps.log.info({ channel: message.channel, provider: sender.provider, to, messageId }, 'code delivered');
    } catch (error) {
      deps.log.error({ channel: message.channel, provider: sender.provider, to, error: describeProviderError(error) }, 'code delivery failed');
    }
  }

  return {
    dispatch(message) {
      const pending = send(message).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** The error's name and HTTP status, never its message. */
export function describeProviderError(error: unknown): { name: string; status?: number } {
  if (error instanceof Error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return status === undefined ? { name: error.name } : { name: error.name, status };
  }
  return { name: 'UnknownError' };
}
