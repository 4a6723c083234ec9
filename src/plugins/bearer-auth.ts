/**
 * Bearer authentication for the caller's own endpoints (/me, logout): a preHandler that
 * verifies the access token locally (S28) and sets `request.caller`. Every failure answers 401
 * with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750), whatever was wrong.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import type { AccessTokenVerifier } from '../keys/access-token-verifier.ts';
import type { Caller } from '../services/session-service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    /** preHandler: rejects the request unless it carries a valid access token. */
    requireAccessToken(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

/** The 401 every authentication failure answers. A missing token gets no error code (RFC 6750 §3.1). */
export function unauthorized(presented: boolean): AppError {
  return new AppError('invalid_access_token', { headers: { 'www-authenticate': presented ? 'Bearer error="invalid_token"' : 'Bearer' } });
}

export const bearerAuthPlugin = fp(async (app: FastifyInstance, options: { verifier: AccessTokenVerifier }) => {
  app.decorateRequest('caller', null);
  app.decorate('requireAccessToken', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw unauthorized(false);
    const token = BEARER.exec(header)?.[1];
    const verified = token === undefined ? null : await options.verifier.verify(token);
    if (verified === null) throw unauthorized(true);
    request.caller = verified;
  });
}, { name: 'bearer-auth', dependencies: ['services'] });
