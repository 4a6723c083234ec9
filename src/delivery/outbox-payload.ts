/**
 * What a delivery job needs to render and send its message, sealed with AES-256-GCM under the
 * 'outbox' subkey of SESAME_SECRET. Codes and links are never at rest in clear (S8): the
 * database holds only this ciphertext, and only until the job ends.
 */
import { decrypt, deriveSubkey, encrypt } from '../lib/secret-keys.ts';
import type { Channel } from '../services/types.ts';

/**
 * Which message: a sign-in code (the default, also for payloads sealed before kinds existed),
 * a code confirming an address for an account, or a notice without a code: the address is
 * held by another account (someone tried to add it), or the account's address was changed.
 */
export type MessageKind = 'sign_in' | 'verify' | 'notice_taken' | 'notice_changed';

export interface DeliveryPayload {
  kind?: MessageKind | undefined;
  channel: Channel;
  /** Normalized destination: an email address or an E.164 number. */
  to: string;
  code: string;
  /** Magic link, for email when PASSWORDLESS_EMAIL_LOGIN_URL is set. */
  link?: string | undefined;
  /** The resolved message language. */
  locale: string;
  /** The name of the client (application) the code was requested for ({{appName}}); absent: APP_NAME. */
  appName?: string | undefined;
  /** The client's sender address; absent: EMAIL_FROM. */
  from?: string | undefined;
  /** The client the code was requested for; absent: sealed before clients, or not for a client. */
  clientId?: string | undefined;
}

export interface PayloadSealer {
  seal(payload: DeliveryPayload): Buffer;
  /** Throws when no configured secret opens it (for example, its secret was rotated out). */
  open(sealed: Buffer): DeliveryPayload;
}

// Bound as associated data, so a sealed payload cannot be passed off as another kind of secret.
const CONTEXT = 'sesame/outbox/v1';

/** Seals with the current secret's subkey; opens with the current or any previous one. */
export function createPayloadSealer(secrets: readonly Buffer[]): PayloadSealer {
  const keys = secrets.map((secret) => deriveSubkey(secret, 'outbox'));
  return {
    seal(payload) {
      const { kind, channel, to, code, link, locale, appName, from, clientId } = payload;
      return encrypt(keys[0]!, Buffer.from(JSON.stringify({ kind, channel, to, code, link, locale, appName, from, clientId }), 'utf8'), CONTEXT);
    },
    open(sealed) {
      for (const key of keys) {
        let plaintext: Buffer;
        try {
          plaintext = decrypt(key, sealed, CONTEXT);
        } catch {
          continue;
        }
        return JSON.parse(plaintext.toString('utf8')) as DeliveryPayload;
      }
      throw new Error('the delivery payload cannot be opened with any configured secret');
    },
  };
}
