/**
 * Admin API authentication (S41): `Authorization: Bearer sak_...` checked against the stored
 * key hashes, then the route's scope. A route asks for its scope with
 * `onRequest: app.requireAdminScope('users:read')`; it runs before the body is parsed, so an
 * unauthenticated caller learns nothing from validation. Missing, unknown and revoked keys
 * answer 401 with `WWW-Authenticate: Bearer`; a key without the scope answers 403
 * `insufficient_scope` (RFC 6750 §3.1). The key itself is never logged (the logger redacts
 * the Authorization header) and never stored: `request.adminKey.keyId` names it.
 */
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import type { AdminKeyService, AdminPrincipal, AdminScope } from '../services/admin/admin-keys.ts';
import type { AdminActor } from '../services/admin/admin-actor.ts';
import { requestContext } from '../routes/request-context.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin key this request authenticated with (set by requireAdminScope). */
    adminKey: AdminPrincipal | null;
  }
  interface FastifyInstance {
    /** An onRequest hook: refuses the request unless it carries a live admin key holding `scope`. */
    requireAdminScope(scope: AdminScope): onRequestAsyncHookHandler;
  }
}

const BEARER = /^Bearer +(\S+) *$/i;
const REALM = 'realm="sesame-admin"';

/** Who makes this admin change, for the audit trail: the key's id and the caller's address. */
export function adminActor(request: FastifyRequest): AdminActor {
  if (request.adminKey === null) throw new Error('adminActor called on a route without requireAdminScope');
  return { keyId: request.adminKey.keyId, context: requestContext(request) };
}

export const adminAuthPlugin = fp(async (app: FastifyInstance, options: { keys: Pick<AdminKeyService, 'authenticate'> }) => {
  app.decorateRequest('adminKey', null);
  app.decorate('requireAdminScope', (scope: AdminScope): onRequestAsyncHookHandler => async (request) => {
    const header = request.headers.authorization;
    // A missing key gets no error code (RFC 6750 §3.1); a wrong one gets invalid_token.
    if (header === undefined || header === '') throw new AppError('invalid_api_key', { headers: { 'www-authenticate': `Bearer ${REALM}` } });
    const presented = BEARER.exec(header)?.[1];
    const principal = presented === undefined ? null : await options.keys.authenticate(presented);
    if (principal === null) throw new AppError('invalid_api_key', { headers: { 'www-authenticate': `Bearer ${REALM}, error="invalid_token"` } });
    if (!principal.scopes.includes(scope)) {
      throw new AppError('insufficient_scope', { headers: { 'www-authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"` } });
    }
    request.adminKey = principal;
  });
}, { name: 'admin-auth' });
