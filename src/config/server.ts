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
    else if (isOverBroadProxyRange(entry)) problems.push(`TRUSTED_PROXIES: "${entry}" trusts far too much of the internet: every client could choose its own address (list your proxies' addresses or subnets)`);
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

/**
 * Shortest prefixes a proxy range may have: anything wider takes in most of the internet, and
 * `0.0.0.0/0` or `::/0` would let every client write its own address (S20). The IPv6 floor
 * still admits fc00::/7 (unique local addresses).
 */
const MIN_PROXY_PREFIX = { 4: 8, 6: 7 } as const;

function isOverBroadProxyRange(entry: string): boolean {
  const slash = entry.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(entry.slice(0, slash));
  return (family === 4 || family === 6) && Number(entry.slice(slash + 1)) < MIN_PROXY_PREFIX[family];
}
