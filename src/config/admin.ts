/**
 * The admin listener's settings: a second HTTP listener for operators (the admin API and the
 * metrics), never reachable through the public port (S41). Called once from loadConfig.
 */
import type { EnvReader } from './reader.ts';

export interface AdminConfig {
  /** Interface the admin listener binds; defaults to HOST. */
  adminHost: string;
  /** 0 turns the admin listener off. */
  adminPort: number;
}

export function parseAdmin(read: EnvReader, problems: string[], context: { host: string; port: number }): AdminConfig {
  const adminHost = read.string('ADMIN_HOST', context.host);
  const adminPort = read.int('ADMIN_PORT', 3001, 0, 65535);
  // Two listeners on one fixed port cannot both bind; port 0 (any free port) is only meaningful for PORT.
  if (adminPort !== 0 && adminPort === context.port) problems.push('ADMIN_PORT: must differ from PORT (or be 0 to turn the admin listener off)');
  return { adminHost, adminPort };
}
