/**
 * The admin listener's settings: a second HTTP listener for operators (the admin API and the
 * metrics), never reachable through the public port (S41). Called once from loadConfig.
 */
import { secretWeakness } from '../lib/secret-strength.ts';
import type { EnvReader } from './reader.ts';

export interface AdminConfig {
  /** Interface the admin listener binds; defaults to HOST. */
  adminHost: string;
  /** 0 turns the admin listener off. */
  adminPort: number;
  /**
   * Set: /metrics is also served on the public port, to requests bearing this token (for
   * operators who can only scrape there). Unset (default): the admin listener only (S37).
   */
  metricsToken: string | undefined;
}

export function parseAdmin(read: EnvReader, problems: string[], context: { host: string; port: number; production: boolean }): AdminConfig {
  const adminHost = read.string('ADMIN_HOST', context.host);
  const adminPort = read.int('ADMIN_PORT', 3001, 0, 65535);
  // Two listeners on one fixed port cannot both bind; port 0 (any free port) is only meaningful for PORT.
  if (adminPort !== 0 && adminPort === context.port) problems.push('ADMIN_PORT: must differ from PORT (or be 0 to turn the admin listener off)');
  const metricsToken = read.optional('METRICS_TOKEN');
  // The metrics tell known accounts from unknown ones (the SMS counters move only for real
  // numbers), so the token guards them like a secret.
  if (metricsToken !== undefined && Buffer.byteLength(metricsToken) < 32) problems.push('METRICS_TOKEN: must be at least 32 bytes (e.g. openssl rand -base64 32)');
  else if (metricsToken !== undefined && context.production) {
    const weakness = secretWeakness(metricsToken);
    if (weakness !== undefined) problems.push(`METRICS_TOKEN: ${weakness}`);
  }
  return { adminHost, adminPort, metricsToken };
}
