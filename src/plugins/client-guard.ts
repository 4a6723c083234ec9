/**
 * Which client (application) a request acts for, and whether its origin may act for it (S39).
 * Routes that take a `client_id` use `app.requireClient` as a preHandler: an unknown client is
 * `400 invalid_client`; a request carrying an `Origin` that client does not allow is
 * `403 origin_not_allowed`. Both are refused before the handler, so nothing is written or sent.
 * A request without `Origin` (a server, a mobile app, curl) is not a browser's and passes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import type { Client, ClientRegistry } from '../services/client-registry.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireClient`: the named client, or the default one. */
    client: Client | null;
  }
  interface FastifyInstance {
    /** preHandler: resolves the body's `client_id` (or the default client) and checks the Origin. */
    requireClient(request: FastifyRequest): Promise<void>;
  }
}

/** Whether the request's Origin, when it has one, is one the client allows. */
export function originAllowed(request: FastifyRequest, client: Client): boolean {
  const origin = request.headers.origin;
  return origin === undefined || client.allowsOrigin(origin);
}

export const clientGuardPlugin = fp(async (app: FastifyInstance, options: { clients: Pick<ClientRegistry, 'find'> }) => {
  const { clients } = options;
  app.decorateRequest('client', null);
  app.decorate('requireClient', async (request: FastifyRequest) => {
    const named = (request.body as { client_id?: unknown } | null | undefined)?.client_id;
    const client = clients.find(typeof named === 'string' ? named : undefined);
    if (client === undefined) throw new AppError('invalid_client');
    if (!originAllowed(request, client)) throw new AppError('origin_not_allowed');
    request.client = client;
  });
}, { name: 'client-guard', dependencies: ['services'] });
