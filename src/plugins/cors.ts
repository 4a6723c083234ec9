/**
 * CORS for browser apps (S39), with @fastify/cors. An `Origin` that some client allows gets
 * itself back in `Access-Control-Allow-Origin` (never `*`), with credentials allowed, so a
 * same-site app can send the refresh cookie (S40); any other origin gets no CORS headers, and
 * its preflight is answered 404. Responses vary by Origin. Whether a request may act for its
 * client is the client guard's decision (plugins/client-guard.ts), not this plugin's.
 * Public documents (the JWKS, OIDC discovery) opt out per route with `config.cors`: any origin, `*`.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ClientRegistry } from '../services/client-registry.ts';

/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Route config for documents anyone may read from any origin, without credentials. */
export const PUBLIC_CORS = { cors: { origin: '*', credentials: false } } as const;

export const corsPlugin = fp(async (app: FastifyInstance, options: { clients: Pick<ClientRegistry, 'allowsOrigin'> }) => {
  const { clients } = options;
  await app.register(cors, {
    // Read per request: a client added on any replica is allowed after its next reload.
    origin: (origin, callback) => callback(null, origin !== undefined && clients.allowsOrigin(origin)),
    credentials: true,
    // Every method a browser app calls: PATCH renames a passkey or edits /me, DELETE ends a session.
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}, { name: 'cors', dependencies: ['services'] });
