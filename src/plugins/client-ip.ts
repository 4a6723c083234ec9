/**
 * The client address every part of Sesame uses (audit, sessions, rate limits, budgets).
 * Fastify takes it from X-Forwarded-For across TRUSTED_PROXIES (S20), and stops at the first
 * entry it does not trust, which may be any text a client wrote there. Only a syntactically
 * valid IP is believed; anything else falls back to the peer address, so a 2,000-character
 * header never reaches a rate-limit key or an audit row.
 */
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

export function clientIp(request: FastifyRequest): string {
  const forwarded = request.ip;
  if (isIP(forwarded) !== 0) return forwarded;
  return request.socket.remoteAddress ?? 'unknown';
}
