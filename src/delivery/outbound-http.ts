/**
 * Outbound HTTP to URLs an operator configured (webhooks, hooks, the send hook), with the
 * server-side request forgery rules of S42:
 * - `https` only; `http` only to a loopback host, and only when private networks are allowed
 *   (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, for local development and tests);
 * - the host is resolved at send time and every address it resolves to is checked: private,
 *   loopback, link-local, CGNAT, unique-local, multicast, reserved and cloud metadata ranges are
 *   refused unless private networks are allowed;
 * - the connection goes to the address that was checked (the resolver's answer is handed to the
 *   socket), so a second DNS answer cannot swap it (DNS rebinding); TLS still verifies the name;
 * - redirects are never followed (a 3xx is an answer like any other, and not a success);
 * - a deadline covers the whole exchange, and the answer's body is read up to a size limit.
 * No Fastify, no database: a small client on node:http and node:https.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { deadline } from '../lib/deadline.ts';

/** Why a URL or an address was refused; the name a delivery records. */
export type OutboundRefusal = 'invalid_url' | 'scheme_not_allowed' | 'credentials_in_url' | 'private_address' | 'unresolvable';

/** Thrown before anything is sent: the URL or its address breaks the rules. Permanent. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefused';
  constructor(readonly reason: OutboundRefusal) {
    super(`outbound request refused: ${reason}`);
  }
}

/** No answer within the deadline. Transient. */
export class OutboundTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor() {
    super('outbound request timed out');
  }
}

/** The answer was larger than the caller accepts. */
export class OutboundResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLarge';
  constructor() {
    super('outbound response body too large');
  }
}

export interface OutboundPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: private addresses allowed, and `http` to loopback hosts. */
  allowPrivateNetworks: boolean;
}

/** Resolves a host name to its addresses (injectable: tests point a name at a private address). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface OutboundRequest {
  /** Sent as is; the caller signs exactly these bytes. */
  body: string;
  headers: Record<string, string>;
  /** Deadline for the whole exchange: resolution, connection, answer and body. */
  timeoutMs: number;
  /** The answer's body is read up to this many bytes; beyond it the call fails (default 64 KiB). */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  /** The answer's body as text (up to maxResponseBytes). */
  body: string;
  durationMs: number;
}

export interface OutboundHttp {
  /** POSTs `body` to `url` under the rules above; throws OutboundRefusedError before sending when they refuse it. */
  post(url: string, request: OutboundRequest): Promise<OutboundResponse>;
}

// Every range that is not the public internet (IANA special-purpose registries), plus the cloud
// metadata addresses, which sit inside link-local (169.254.169.254, fd00:ec2::254).
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, `::10.0.0.1`) is judged as the IPv4 address. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^::(?:ffff:(?:0:)?)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (match) return match[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** True when the address is on the public internet (not private, loopback, link-local, CGNAT, metadata, reserved). */
export function isPublicAddress(address: string): boolean {
  const unbracketed = address.replace(/^\[|\]$/g, '');
  if (isIP(unbracketed) === 0) return false;
  const v4 = isIP(unbracketed) === 6 ? embeddedIpv4(unbracketed) : undefined;
  if (v4 !== undefined) return isPublicAddress(v4);
  return !NON_PUBLIC.check(unbracketed, family(unbracketed));
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopbackAddress(address: string): boolean {
  const unbracketed = address.replace(/^\[|\]$/g, '');
  if (isIP(unbracketed) === 0) return false;
  const v4 = isIP(unbracketed) === 6 ? embeddedIpv4(unbracketed) : undefined;
  if (v4 !== undefined) return isLoopbackAddress(v4);
  return LOOPBACK.check(unbracketed, family(unbracketed));
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || isLoopbackAddress(host);
}

/**
 * Checks a URL before it is stored or used: parseable, `https` (or `http` to a loopback host
 * when private networks are allowed), no user name or password in it. Addresses are checked at
 * send time, not here. Throws OutboundRefusedError.
 */
export function checkOutboundUrl(raw: string, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('invalid_url');
  }
  if (url.username !== '' || url.password !== '') throw new OutboundRefusedError('credentials_in_url');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && policy.allowPrivateNetworks && isLoopbackHost(url.hostname)) return url;
  throw new OutboundRefusedError('scheme_not_allowed');
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The client; `resolve` defaults to the system resolver (getaddrinfo, as Node itself uses). */
export function createOutboundHttp(policy: OutboundPolicy & { resolve?: Resolver }): OutboundHttp {
  const resolve = policy.resolve ?? systemResolver;

  /** The one address the socket will use, after every resolved address passed the rules. */
  async function pickAddress(hostname: string): Promise<{ address: string; family: number }> {
    const host = hostname.replace(/^\[|\]$/g, '');
    let addresses: { address: string; family: number }[];
    if (isIP(host) !== 0) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      try {
        addresses = await resolve(host);
      } catch {
        throw new OutboundRefusedError('unresolvable');
      }
    }
    if (addresses.length === 0) throw new OutboundRefusedError('unresolvable');
    // Every answer must pass, not just the first: a name that resolves to one public and one
    // private address could otherwise be steered to the private one.
    if (!policy.allowPrivateNetworks && addresses.some((entry) => !isPublicAddress(entry.address))) {
      throw new OutboundRefusedError('private_address');
    }
    return addresses[0]!;
  }

  return {
    async post(rawUrl, request) {
      const url = checkOutboundUrl(rawUrl, policy);
      const started = performance.now();
      const maxBytes = request.maxResponseBytes ?? 64 * 1024;
      // The call's own timeout, or the caller's signal (a lost lease, the caller's deadline):
      // src/lib/deadline.ts, not AbortSignal.any over AbortSignal.timeout.
      const limit = deadline(request.timeoutMs, request.signal);
      const { signal } = limit;
      const timedOut = (): Error => (limit.expired() ? new OutboundTimeoutError() : (signal.reason as Error));
      try {
        const pinned = await Promise.race([
          pickAddress(url.hostname),
          new Promise<never>((_, reject) => {
            if (signal.aborted) reject(timedOut());
            signal.addEventListener('abort', () => reject(timedOut()), { once: true });
          }),
        ]);
        // The socket connects to the address checked above, whatever DNS says now.
        const lookup: LookupFunction = (_hostname, options, callback) => {
          if ((options as { all?: boolean }).all) callback(null, [pinned] as never);
          else callback(null, pinned.address, pinned.family);
        };
        const transport = url.protocol === 'https:' ? https : http;
        return await new Promise<OutboundResponse>((resolvePromise, reject) => {
          const req = transport.request(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': 'Sesame', ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
            lookup,
            // No connection reuse: every request resolves and checks its address afresh.
            agent: false,
            signal,
          });
          req.on('error', (error) => reject(signal.aborted ? timedOut() : error));
          req.on('response', (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > maxBytes) {
                res.destroy();
                reject(new OutboundResponseTooLargeError());
                return;
              }
              chunks.push(chunk);
            });
            res.on('error', (error) => reject(signal.aborted ? timedOut() : error));
            res.on('end', () => resolvePromise({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              durationMs: Math.round(performance.now() - started),
            }));
          });
          req.end(request.body);
        });
      } finally {
        limit.clear();
      }
    },
  };
}

/** Whether a failed outbound call is worth retrying: timeouts, network errors, 429 and 5xx are; refusals and other answers are not. */
export function isTransientOutboundFailure(failure: { error?: unknown; status?: number }): boolean {
  if (failure.status !== undefined) return failure.status === 429 || failure.status >= 500;
  return !(failure.error instanceof OutboundRefusedError) && !(failure.error instanceof OutboundResponseTooLargeError);
}
