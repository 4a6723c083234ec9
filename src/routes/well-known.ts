/** Public keys for offline verification by sibling services (S25). */
import type { FastifyPluginAsync } from 'fastify';

export const wellKnownRoutes: FastifyPluginAsync<{ jwksMaxAgeSeconds: number }> = async (app, options) => {
  const { jwksJson } = app.services.keys;
  const cacheControl = `public, max-age=${options.jwksMaxAgeSeconds}`;
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('cache-control', cacheControl).type('application/jwk-set+json').send(jwksJson));
};
