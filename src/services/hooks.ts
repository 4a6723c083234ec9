/**
 * The synchronous hooks' rules (S43). Custom claims: what the hook may add to an access token
 * and what a failure means. Before-user-created: whether an unknown identifier may register,
 * with SIGNUP_ALLOWED_EMAIL_DOMAINS as the same rule without a hook. A hook that fails answers
 * `503 hook_unavailable` under `deny` (the default) and is skipped under `allow`.
 */
import type { HookFailureMode } from '../config/hooks.ts';
import type { HookClient } from '../delivery/hook-client.ts';
import { AppError } from '../errors.ts';
import type { AccessTokenSubject, CustomClaimsHook } from '../keys/access-token-signer.ts';
import type { Channel } from './types.ts';


export function createCustomClaimsHook(deps: { client: HookClient; url: string; onFailure: HookFailureMode }): CustomClaimsHook {
  const { client, url, onFailure } = deps;
  function failed(): Record<string, unknown> {
    if (onFailure === 'deny') throw new AppError('hook_unavailable');
    return {};
  }
  return {
    async claimsFor(input: { user: AccessTokenSubject; clientId: string; claims: Record<string, unknown> }) {
      const { user } = input;
      const result = await client.call('custom_claims', url, {
        user: { id: user.id, email: user.email, phone_number: user.phoneNumber, app_metadata: user.appMetadata ?? {} },
        client_id: input.clientId,
        claims: input.claims,
      });
      if (!result.ok) return failed();
      const claims = result.body.claims;
      if (claims === undefined) return {};
      if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
        client.reportMalformed('custom_claims');
        return failed();
      }
      return claims as Record<string, unknown>;
    },
    tooLarge() {
      client.reportMalformed('custom_claims', 'too_large');
      failed();
    },
  };
}

export interface SignupGate {
  /**
   * Whether an unknown identifier may be registered now. Throws `hook_unavailable` when the
   * hook failed under `deny`.
   */
  mayRegister(channel: Channel, destination: string, clientId: string | null): Promise<boolean>;
}

export function createSignupGate(deps: {
  allowedEmailDomains: readonly string[];
  hook?: { client: HookClient; url: string; onFailure: HookFailureMode };
}): SignupGate {
  const domains = new Set(deps.allowedEmailDomains);
  return {
    async mayRegister(channel, destination, clientId) {
      if (channel === 'email' && domains.size > 0 && !domains.has(destination.slice(destination.lastIndexOf('@') + 1))) return false;
      if (deps.hook === undefined) return true;
      const { client, url, onFailure } = deps.hook;
      const result = await client.call('before_user_created', url, {
        ...(channel === 'email' ? { email: destination } : { phone_number: destination }),
        client_id: clientId,
      });
      if (result.ok && typeof result.body.allow === 'boolean') return result.body.allow;
      if (result.ok) client.reportMalformed('before_user_created');
      if (onFailure === 'deny') throw new AppError('hook_unavailable');
      return true;
    },
  };
}
