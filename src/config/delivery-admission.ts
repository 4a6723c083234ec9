/**
 * Admission control for code requests (issue 9): when delivery falls behind, new requests are
 * refused with 503 overloaded instead of accepting codes that would arrive late or expire.
 */
import type { AbuseEnvReader } from '../abuse-config.ts';

export interface DeliveryAdmissionConfig {
  /** Refuse new code requests while the oldest pending delivery job is older than this. */
  deliveryMaxLagSeconds: number;
  /** Refuse new code requests while the outbox holds more pending jobs than this. */
  deliveryMaxPending: number;
}

export function parseDeliveryAdmission(read: Pick<AbuseEnvReader, 'int'>, problems: string[], context: { tokenLifetimeSeconds: number }): DeliveryAdmissionConfig {
  const deliveryMaxLagSeconds = read.int('DELIVERY_MAX_LAG_SECONDS', 10, 1, 3600);
  const deliveryMaxPending = read.int('DELIVERY_MAX_PENDING', 20_000, 1, 10_000_000);
  // A code accepted just under the limit waits about that long for its send: it must still be
  // valid when it arrives.
  if (deliveryMaxLagSeconds >= context.tokenLifetimeSeconds) {
    problems.push('DELIVERY_MAX_LAG_SECONDS: must be shorter than TOKEN_LIFETIME, or codes could be accepted that expire before they are sent');
  }
  return { deliveryMaxLagSeconds, deliveryMaxPending };
}
