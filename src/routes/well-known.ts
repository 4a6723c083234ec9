/** Public keys for offline verification by sibling services (S25), and OIDC discovery. */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { PUBLIC_CORS } from '../plugins/cors.ts';

// Documentation only: both documents are sent as prepared strings, never serialized.
const JwksReply = Type.Object({ keys: Type.Array(Type.Object({ kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() }, { additionalProperties: true })) });
const DiscoveryReply = Type.Object({
  issuer: Type.String(), jwks_uri: Type.String(), token_endpoint: Type.String(), revocation_endpoint: Type.String(),
}, { additionalProperties: true });

export const wellKnownRoutes: FastifyPluginAsync<{ jwksMaxAgeSeconds: number; issuer: string; algorithms: string[] }> = async (app, options) => {
  const { keys } = app.services;
  const cacheControl = `public, max-age=${options.jwksMaxAgeSeconds}`;
  // The key store swaps this string when the key set changes; serving it costs nothing.
  // Public documents: any origin may read them (Access-Control-Allow-Origin: *, no credentials).
  app.get('/.well-known/jwks.json', {
    config: PUBLIC_CORS,
    schema: { summary: 'The public signing keys (JWKS), for verifying access tokens offline', produces: ['application/jwk-set+json'], response: { 200: JwksReply } },
  }, async (_request, reply) =>
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
  app.get('/.well-known/openid-configuration', {
    config: PUBLIC_CORS,
    schema: { summary: 'OpenID Connect discovery metadata', response: { 200: DiscoveryReply } },
  }, async (_request, reply) =>
    reply.header('cache-control', cacheControl).type('application/json').send(discovery));
};
