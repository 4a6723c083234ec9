/** The HTTP listener, logging, and which peers may speak for clients (S20). */
import { isIP } from 'node:net';
import type { EnvReader } from './reader.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  nodeEnv: string;
  /**
   * Production unless NODE_ENV is `development` or `test` (or unset under `npm run dev`): the
   * guards are the default, so a typo such as `prod` or `staging` cannot switch them off (S36).
   */
  production: boolean;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** IPs / CIDRs (or proxy-addr names such as `loopback`) whose X-Forwarded-For is believed (S20). */
  trustedProxies: string[];
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** The only NODE_ENV values that allow development defaults; any other value is production. */
const DEVELOPMENT_ENVIRONMENTS = new Set(['development', 'test']);

/**
 * NODE_ENV, or when it is unset: `development` under `npm run dev` (npm names the running script
 * in npm_lifecycle_event), so the README's quick start needs no configuration, and `production`
 * everywhere else (a bare `npm start`, `node dist/server.js`, the container).
 */
function environmentOf(read: EnvReader): string {
  const explicit = read.optional('NODE_ENV');
  if (explicit !== undefined) return explicit;
  return read.optional('npm_lifecycle_event') === 'dev' ? 'development' : 'production';
}

export function parseServer(read: EnvReader, problems: string[]): ServerConfig {
  const nodeEnv = environmentOf(read);
  const trustedProxies = read.list('TRUSTED_PROXIES', []);
  for (const entry of trustedProxies) {
    if (!isProxyEntry(entry)) problems.push(`TRUSTED_PROXIES: "${entry}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`);
    else if (isOverBroadProxyRange(entry)) problems.push(`TRUSTED_PROXIES: "${entry}" trusts far too much of the internet: every client could choose its own address (list your proxies' addresses or subnets)`);
  }
  return {
    nodeEnv,
    production: !DEVELOPMENT_ENVIRONMENTS.has(nodeEnv),
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
