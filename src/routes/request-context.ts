/** Extracts the service-level RequestContext from a Fastify request. */
import type { FastifyRequest } from 'fastify';
import { clientIp } from '../plugins/client-ip.ts';
import type { RequestContext } from '../services/types.ts';

// Headers are bounded so a hostile client cannot make us store kilobytes per row.
const MAX_HEADER_CHARS = 512;

export function requestContext(request: FastifyRequest): RequestContext {
  return {
    ip: clientIp(request),
    userAgent: request.headers['user-agent']?.slice(0, MAX_HEADER_CHARS),
    acceptLanguage: request.headers['accept-language']?.slice(0, MAX_HEADER_CHARS),
  };
}
