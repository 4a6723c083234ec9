/** Who carries the messages (SES, SNS, SMTP, the send hook or the console) and how the outbox dispatcher sends them. */
import type { EnvReader } from './reader.ts';

export interface DeliveryConfig {
  emailProvider: 'ses' | 'smtp' | 'http' | 'console';
  smsProvider: 'sns' | 'http' | 'console';
  emailFrom: string | undefined;
  sesConfigurationSet: string | undefined;
  smsSenderId: string | undefined;
  deliveryPollIntervalMs: number;
  deliveryMaxConcurrency: number;
  deliveryLeaseSeconds: number;
  deliverySendTimeoutMs: number;
  deliveryRetryBaseMs: number;
  deliveryRetryMaxMs: number;
  /** Admission control (issue 9, S48): refuse new code requests while the oldest pending job is older than this. */
  deliveryMaxLagSeconds: number;
  /** Admission control: refuse new code requests while more jobs than this are pending. */
  deliveryMaxPending: number;
}

export function parseDelivery(read: EnvReader, problems: string[]): DeliveryConfig {
  const emailProvider = read.oneOf('EMAIL_PROVIDER', ['ses', 'smtp', 'http', 'console'] as const, 'console');
  const smsProvider = read.oneOf('SMS_PROVIDER', ['sns', 'http', 'console'] as const, 'console');
  const emailFrom = read.optional('EMAIL_FROM');
  if ((emailProvider === 'ses' || emailProvider === 'smtp') && emailFrom === undefined) problems.push(`EMAIL_FROM: required when EMAIL_PROVIDER=${emailProvider}`);

  const deliveryLeaseSeconds = read.int('DELIVERY_LEASE_SECONDS', 60, 5, 3600);
  const deliverySendTimeoutMs = read.int('DELIVERY_SEND_TIMEOUT_MS', 10_000, 100, 600_000);
  // A send that outlives its lease could be claimed and sent again by another replica.
  if (deliverySendTimeoutMs >= deliveryLeaseSeconds * 1000) problems.push('DELIVERY_SEND_TIMEOUT_MS: must be shorter than DELIVERY_LEASE_SECONDS');
  const deliveryRetryBaseMs = read.int('DELIVERY_RETRY_BASE_MS', 1000, 1, 600_000);
  const deliveryRetryMaxMs = read.int('DELIVERY_RETRY_MAX_MS', 60_000, 1, 3_600_000);
  if (deliveryRetryMaxMs < deliveryRetryBaseMs) problems.push('DELIVERY_RETRY_MAX_MS: must be at least DELIVERY_RETRY_BASE_MS');

  return {
    emailProvider,
    smsProvider,
    emailFrom,
    sesConfigurationSet: read.optional('SES_CONFIGURATION_SET'),
    smsSenderId: read.optional('SMS_SENDER_ID'),
    deliveryPollIntervalMs: read.int('DELIVERY_POLL_INTERVAL_MS', 1000, 10, 60_000),
    deliveryMaxConcurrency: read.int('DELIVERY_MAX_CONCURRENCY', 512, 1, 10_000),
    deliveryLeaseSeconds,
    deliverySendTimeoutMs,
    deliveryRetryBaseMs,
    deliveryRetryMaxMs,
    // Must be shorter than TOKEN_LIFETIME (validate.ts), or a code could expire before its send.
    deliveryMaxLagSeconds: read.int('DELIVERY_MAX_LAG_SECONDS', 10, 1, 3600),
    deliveryMaxPending: read.int('DELIVERY_MAX_PENDING', 20_000, 1, 10_000_000),
  };
}
