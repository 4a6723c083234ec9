/**
 * Delivery providers beyond AWS: an SMTP relay (EMAIL_PROVIDER=smtp) and the send hook, an
 * HTTP endpoint of the operator's own (EMAIL_PROVIDER=http, SMS_PROVIDER=http). The SMTP URL
 * carries a password, so no problem message ever quotes it whole (S34): see maskSmtpUrl.
 */
import { checkOutboundUrl, OutboundRefusedError } from '../delivery/outbound-http.ts';
import { isWebhookSecret } from '../lib/standard-webhooks.ts';
import type { EnvReader } from './reader.ts';

export interface SmtpUrl {
  secure: boolean;
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
}

export interface ProvidersConfig {
  /** Parsed SMTP_URL: `smtps://` is TLS from the first byte, `smtp://` must upgrade with STARTTLS. */
  smtp: SmtpUrl | undefined;
  /** `smtp://` without STARTTLS (a local mail catcher such as Mailpit). Refused in production. */
  smtpAllowInsecure: boolean;
  /** PEM file of the certificate authorities the SMTP server's certificate must chain to, instead of the system ones. */
  smtpCaFile: string | undefined;
  /** Pooled SMTP connections kept open at most. */
  smtpMaxConnections: number;
  /** Where EMAIL_PROVIDER=http and SMS_PROVIDER=http POST the rendered message (S42: https, or http to loopback in development). */
  sendHookUrl: string | undefined;
  /** Standard Webhooks secret (`whsec_...`) the send hook's requests are signed with. */
  sendHookSecret: string | undefined;
}

const DEFAULT_PORTS = { 'smtp:': 587, 'smtps:': 465 } as const;

/** The URL with its password replaced by `***`, for messages and logs; unparseable input says nothing of itself. */
export function maskSmtpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(not a URL)';
  }
  if (url.password !== '') url.password = '***';
  return url.toString();
}

export function parseSmtpUrl(value: string): SmtpUrl | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL; use smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465';
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') return `${maskSmtpUrl(value)}: the scheme must be smtp:// (with STARTTLS) or smtps://`;
  if (url.hostname === '') return `${maskSmtpUrl(value)}: no host`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return `${maskSmtpUrl(value)}: only user, password, host and port are read; remove the path and query`;
  }
  const decode = (part: string) => (part === '' ? undefined : decodeURIComponent(part));
  let user: string | undefined;
  let password: string | undefined;
  try {
    user = decode(url.username);
    password = decode(url.password);
  } catch {
    return `${maskSmtpUrl(value)}: the user or password has a malformed %-escape; percent-encode reserved characters (@ is %40, % is %25)`;
  }
  return {
    secure: url.protocol === 'smtps:',
    // WHATWG URL keeps IPv6 literals bracketed; sockets want them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port),
    user,
    password,
  };
}

export function parseProviders(
  read: EnvReader,
  problems: string[],
  context: { emailProvider: string; smsProvider: string; allowPrivateNetworks: boolean },
): ProvidersConfig {
  const delivery = context;
  const smtpUrl = read.optional('SMTP_URL');
  let smtp: SmtpUrl | undefined;
  if (smtpUrl !== undefined) {
    const parsed = parseSmtpUrl(smtpUrl);
    if (typeof parsed === 'string') problems.push(`SMTP_URL: ${parsed}`);
    else smtp = parsed;
  } else if (delivery.emailProvider === 'smtp') {
    problems.push('SMTP_URL: required when EMAIL_PROVIDER=smtp');
  }
  const usesSendHook = context.emailProvider === 'http' || context.smsProvider === 'http';
  const sendHookUrl = read.optional('SEND_HOOK_URL');
  if (sendHookUrl !== undefined) {
    try {
      checkOutboundUrl(sendHookUrl, { allowPrivateNetworks: context.allowPrivateNetworks });
    } catch (error) {
      const reason = error instanceof OutboundRefusedError ? error.reason : 'invalid_url';
      problems.push(`SEND_HOOK_URL: refused (${reason}): https only, or http to a loopback host with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`);
    }
  } else if (usesSendHook) {
    problems.push('SEND_HOOK_URL: required when EMAIL_PROVIDER or SMS_PROVIDER is http');
  }
  const sendHookSecret = read.optional('SEND_HOOK_SECRET');
  if (sendHookSecret !== undefined && !isWebhookSecret(sendHookSecret)) {
    problems.push('SEND_HOOK_SECRET: must be whsec_ followed by base64 of 24 to 64 random bytes');
  } else if (sendHookSecret === undefined && usesSendHook) {
    problems.push('SEND_HOOK_SECRET: required when EMAIL_PROVIDER or SMS_PROVIDER is http (the send hook is always signed)');
  }
  return {
    sendHookUrl,
    sendHookSecret,
    smtp,
    smtpAllowInsecure: read.bool('SMTP_ALLOW_INSECURE', false),
    smtpCaFile: read.optional('SMTP_CA_FILE'),
    smtpMaxConnections: read.int('SMTP_MAX_CONNECTIONS', 5, 1, 100),
  };
}
