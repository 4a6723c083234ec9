/** Public keys for offline verification by sibling services (S25), and OIDC discovery. */
import type { FastifyPluginAsync } from 'fastify';
import { PUBLIC_CORS } from '../plugins/cors.ts';

export const wellKnownRoutes: FastifyPluginAsync<{ jwksMaxAgeSeconds: number; issuer: string; algorithms: string[] }> = async (app, options) => {
  const { keys } = app.services;
  const cacheControl = `public, max-age=${options.jwksMaxAgeSeconds}`;
  // The key store swaps this string when the key set changes; serving it costs nothing.
  // Public documents: any origin may read them (Access-Control-Allow-Origin: *, no credentials).
  app.get('/.well-known/jwks.json', { config: PUBLIC_CORS }, async (_request, reply) =>
    reply.header('cache-control', cacheControl).type('application/jwk-set+json').send(keys.jwksJson()));

  const base = options.issuer.replace(/\/+$/, '');
  const discovery = JSON.stringify({
    issuer: options.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/token/refresh`,
    revocation_endpoint: `${base}/token/revoke`,
    grant_types_supported: ['refresh_token'],
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: ['none'],
    id_token_signing_alg_values_supported: options.algorithms,
  });
  app.get('/.well-known/openid-configuration', { config: PUBLIC_CORS }, async (_request, reply) =>
    reply.header('cache-control', cacheControl).type('application/json').send(discovery));
};
