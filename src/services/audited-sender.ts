/**
 * Wraps a message provider so each send attempt's result is audited: `code.delivered` with the
 * provider's message id, or `code.failed` with the provider's error name (never its message,
 * which can quote the address, S34).
 */
import { describeProviderError } from '../delivery/background-delivery.ts';
import type { MessageSender } from '../delivery/message-sender.ts';
import type { AuditLog } from './audit-log.ts';
import type { Channel } from './types.ts';

export function createAuditedSender<M extends { to: string }>(channel: Channel, sender: MessageSender<M>, audit: AuditLog): MessageSender<M> {
  return {
    provider: sender.provider,
    async send(message) {
      const to = { channel, destination: message.to };
      try {
        const result = await sender.send(message);
        audit.record({ event: 'code.delivered', outcome: 'delivered', to, detail: { provider: sender.provider, messageId: result.messageId ?? null } });
        return result;
      } catch (error) {
        const described = describeProviderError(error);
        audit.record({ event: 'code.failed', outcome: 'failed', to, reason: described.name, detail: { provider: sender.provider, status: described.status ?? null } });
        throw error;
      }
    },
  };
}
