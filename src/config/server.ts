/** The HTTP listener, logging, and which peers may speak for clients (S20). */
import { isIP } from 'node:net';
import type { EnvReader } from './reader.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  nodeEnv: string;
  /** NODE_ENV=production: development conveniences are refused (see validate.ts). */
  production: boolean;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** IPs / CIDRs (or proxy-addr names such as `loopback`) whose X-Forwarded-For is believed (S20). */
  trustedProxies: string[];
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function parseServer(read: EnvReader, problems: string[]): ServerConfig {
  const nodeEnv = read.string('NODE_ENV', 'development');
  const trustedProxies = read.list('TRUSTED_PROXIES', []);
  for (const entry of trustedProxies) {
    if (!isProxyEntry(entry)) problems.push(`TRUSTED_PROXIES: "${entry}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`);
  }
  return {
    nodeEnv,
    production: nodeEnv === 'production',
    host: read.string('HOST', '0.0.0.0'),
    port: read.int('PORT', 3000, 0, 65535),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    trustedProxies,
  };
}

function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry) || isIP(entry) !== 0) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return false;
  const address = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}
