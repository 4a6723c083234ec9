/**
 * The production rules (S36), which span sections. They read the parsed configuration only,
 * never the environment, so they see exactly what the service will run with: a blank variable
 * is unset here as everywhere else.
 */
import type { Config } from './index.ts';
import { isLoopbackHost } from '../lib/loopback-host.ts';
import { secretWeakness } from '../lib/secret-strength.ts';
import { secretName } from './secrets.ts';

/** Returns the problems of a production configuration; none outside production. */
export function validate(config: Config): string[] {
  // In every environment: a code accepted just under the admission limit waits about that long
  // for its send (S48), so the limit must leave it valid when it arrives.
  const lagProblems = config.deliveryMaxLagSeconds >= config.tokenLifetimeSeconds
    ? ['DELIVERY_MAX_LAG_SECONDS: must be shorter than TOKEN_LIFETIME, or codes could be accepted that expire before they are sent']
    : [];
  if (!config.production) return lagProblems;
  const problems: string[] = [...lagProblems];
  if (config.secrets === undefined) {
    problems.push('SESAME_SECRET: required in production (at least 32 random bytes)');
  } else {
    // Only the current secret: a weak previous one must stay accepted while it is rotated away.
    const weakness = secretWeakness(config.secrets[0]!.toString('utf8'));
    if (weakness !== undefined) problems.push(`${secretName(0)}: ${weakness}`);
  }
  if (config.databaseUrl === undefined) problems.push('DATABASE_URL: required in production (the embedded PostgreSQL is for development)');
  if (config.emailProvider === 'console' && config.allowedMethods.includes('email')) {
    problems.push('EMAIL_PROVIDER: "console" is for development; use "ses", "smtp" or "http" in production');
  }
  // Codes would cross the network in clear, readable and alterable on the way.
  if (config.smtpAllowInsecure) {
    problems.push('SMTP_ALLOW_INSECURE: refused in production (SMTP without TLS is for local mail catchers); use smtps:// or an smtp:// server with STARTTLS');
  }
  if (config.smsProvider === 'console' && config.allowedMethods.includes('mobile')) {
    problems.push('SMS_PROVIDER: "console" is for development; use "sns" or "http" in production');
  }
  if (config.jwtIssuer === '') problems.push('JWT_ISSUER: required in production (the public base URL of this service)');
  else if (issuerHost(config.jwtIssuer) !== undefined && isLoopbackHost(issuerHost(config.jwtIssuer)!)) {
    problems.push(`JWT_ISSUER: "${config.jwtIssuer}" is this machine; in production it is the public base URL siblings see in "iss"`);
  }
  if (!config.rateLimitEnabled) problems.push('RATE_LIMIT_ENABLED: the rate limits cannot be switched off in production (S19)');
  if (config.emailLoginUrl !== undefined) {
    const url = urlOf(config.emailLoginUrl);
    if (url?.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      problems.push('PASSWORDLESS_EMAIL_LOGIN_URL: plain http is only for localhost; use https in production (the link carries a sign-in token)');
    }
  }
  // A fixed code is a development and review convenience.
  if (config.demoUsers.length > 0 && !config.allowDemoUsersInProduction) {
    problems.push('DEMO_USERS: refused in production unless ALLOW_DEMO_USERS_IN_PRODUCTION=true');
  }
  return problems;
}

function urlOf(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function issuerHost(issuer: string): string | undefined {
  return urlOf(issuer)?.hostname;
}
