/**
 * Webhook signing secrets at rest: AES-256-GCM under the 'webhook-secret' subkey of
 * SESAME_SECRET. They must be read back to sign every delivery, so they are encrypted rather
 * than hashed; the operator sees one only once, when the webhook is created.
 */
import { decrypt, deriveSubkey, encrypt } from './secret-keys.ts';

const CONTEXT = 'sesame/webhook-secret/v1';

export interface WebhookSecretBox {
  seal(secret: string): Buffer;
  /** Throws when no configured secret opens it. */
  open(sealed: Buffer): string;
}

/** Seals with the current SESAME_SECRET's subkey; opens with the current or any previous one. */
export function createWebhookSecretBox(secrets: readonly Buffer[]): WebhookSecretBox {
  const keys = secrets.map((secret) => deriveSubkey(secret, 'webhook-secret'));
  return {
    seal: (secret) => encrypt(keys[0]!, Buffer.from(secret, 'utf8'), CONTEXT),
    open(sealed) {
      for (const key of keys) {
        try {
          return decrypt(key, sealed, CONTEXT).toString('utf8');
        } catch {
          continue;
        }
      }
      throw new Error('the webhook secret cannot be opened with any configured secret');
    },
  };
}
