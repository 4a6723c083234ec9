/**
 * Standard Webhooks signing (https://www.standardwebhooks.com), through the specification's
 * reference library, so any receiver verifies our requests with that library in its language
 * (S42). Used by webhooks, the synchronous hooks and the HTTP send hook. A secret is
 * `whsec_` + base64 of at least 24 random bytes; it never appears in a log or a payload.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const SECRET_PREFIX = 'whsec_';
/** Bytes of randomness in a secret we generate (256 bits). */
const SECRET_BYTES = 32;
/** The specification asks for 24 to 64 bytes. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** The three headers of a signed request. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export interface StandardWebhookSigner {
  /**
   * Signs `body` exactly as it will be sent. `messageId` stays the same across retries of one
   * message, so a receiver can drop duplicates; the timestamp is the attempt's.
   */
  sign(body: string, options?: { messageId?: string; at?: Date }): SignedHeaders;
}

/** A new secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** A message id for the `webhook-id` header. */
export function newMessageId(): string {
  return `msg_${randomUUID()}`;
}

/** True when `secret` is `whsec_` + canonical base64 of 24 to 64 bytes. */
export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
  const bytes = Buffer.from(encoded, 'base64');
  return bytes.toString('base64') === encoded && bytes.length >= MIN_SECRET_BYTES && bytes.length <= MAX_SECRET_BYTES;
}

/** A signer for one secret; throws (without quoting it) when the secret is malformed. */
export function createWebhookSigner(secret: string): StandardWebhookSigner {
  if (!isWebhookSecret(secret)) throw new Error('a webhook secret must be whsec_ followed by base64 of 24 to 64 bytes');
  const webhook = new Webhook(secret);
  return {
    sign(body, options = {}) {
      const messageId = options.messageId ?? newMessageId();
      const at = options.at ?? new Date();
      return {
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': webhook.sign(messageId, at, body),
      };
    },
  };
}
