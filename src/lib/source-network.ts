/**
 * The source network of a client address: IPv4 by /24, IPv6 by /64 (IPv4-mapped IPv6 as IPv4).
 * Budgets that one party must not exhaust for others (guesses at a destination, a share of the
 * SMS caps) are counted per network rather than per address, because anyone holding one
 * address of a /24 or a /64 usually holds the rest of it (S38).
 */
import { isIPv4 } from 'node:net';
import { normalizeIP } from '@fastify/rate-limit';

export function sourceNetwork(ip: string): string {
  const address = normalizeIP(ip, 64);
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  return `${address}/64`;
}
