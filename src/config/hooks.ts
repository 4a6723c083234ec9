/**
 * Outbound calls an operator configures: the request forgery rule shared by webhooks, hooks and
 * the send hook (S42), and the synchronous hooks with their deadline and failure modes (S43).
 * Called once from loadConfig.
 */
import { checkOutboundUrl, OutboundRefusedError } from '../delivery/outbound-http.ts';
import { isWebhookSecret } from '../lib/standard-webhooks.ts';
import type { EnvReader } from './reader.ts';

export type HookFailureMode = 'deny' | 'allow';

export interface HooksConfig {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: private addresses, and `http` to loopback, are allowed (development only). */
  webhookAllowPrivateNetworks: boolean;
  /** Standard Webhooks secret (`whsec_...`) the hooks are signed with; required when a hook is set. */
  hookSecret: string | undefined;
  hookCustomClaimsUrl: string | undefined;
  hookBeforeUserCreatedUrl: string | undefined;
  hookTimeoutMs: number;
  hookCustomClaimsOnFailure: HookFailureMode;
  hookBeforeUserCreatedOnFailure: HookFailureMode;
  /** Lower-case domains an unknown email may register with; empty: any. */
  signupAllowedEmailDomains: string[];
}

const FAILURE_MODES = ['deny', 'allow'] as const;

export function parseHooks(read: EnvReader, problems: string[], context: { production: boolean }): HooksConfig {
  const webhookAllowPrivateNetworks = read.bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS', false);
  if (webhookAllowPrivateNetworks && context.production) {
    problems.push('WEBHOOK_ALLOW_PRIVATE_NETWORKS: is for development and tests; production calls public https URLs only (S42)');
  }
  const policy = { allowPrivateNetworks: webhookAllowPrivateNetworks };
  const url = (name: string): string | undefined => {
    const value = read.optional(name);
    if (value === undefined) return undefined;
    try {
      checkOutboundUrl(value, policy);
    } catch (error) {
      const reason = error instanceof OutboundRefusedError ? error.reason : 'invalid_url';
      problems.push(`${name}: refused (${reason}): https only, or http to a loopback host with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`);
    }
    return value;
  };
  const hookCustomClaimsUrl = url('HOOK_CUSTOM_CLAIMS_URL');
  const hookBeforeUserCreatedUrl = url('HOOK_BEFORE_USER_CREATED_URL');
  const hookSecret = read.optional('HOOK_SECRET');
  if (hookSecret !== undefined && !isWebhookSecret(hookSecret)) {
    problems.push('HOOK_SECRET: must be whsec_ followed by base64 of 24 to 64 random bytes');
  }
  if (hookSecret === undefined && (hookCustomClaimsUrl !== undefined || hookBeforeUserCreatedUrl !== undefined)) {
    problems.push('HOOK_SECRET: required when HOOK_CUSTOM_CLAIMS_URL or HOOK_BEFORE_USER_CREATED_URL is set (hooks are always signed)');
  }
  const domains = read.list('SIGNUP_ALLOWED_EMAIL_DOMAINS', []).map((domain) => domain.toLowerCase().replace(/^@/, ''));
  for (const domain of domains) {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)) problems.push(`SIGNUP_ALLOWED_EMAIL_DOMAINS: "${domain}" is not a domain name`);
  }
  return {
    webhookAllowPrivateNetworks,
    hookSecret,
    hookCustomClaimsUrl,
    hookBeforeUserCreatedUrl,
    hookTimeoutMs: read.int('HOOK_TIMEOUT_MS', 2000, 100, 30_000),
    hookCustomClaimsOnFailure: read.oneOf('HOOK_CUSTOM_CLAIMS_ON_FAILURE', FAILURE_MODES, 'deny'),
    hookBeforeUserCreatedOnFailure: read.oneOf('HOOK_BEFORE_USER_CREATED_ON_FAILURE', FAILURE_MODES, 'deny'),
    signupAllowedEmailDomains: domains,
  };
}
