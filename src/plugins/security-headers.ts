/**
 * Headers every response carries (S13, S35). This is an API: nothing it serves should be
 * framed, sniffed, cached or leak a Referer. Routes that may be cached (the JWKS) set their own
 * Cache-Control, which is kept.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-site',
};

export const securityHeadersPlugin = fp(async (app: FastifyInstance) => {
  // A callback hook: no promise per request.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(HEADERS);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}, { name: 'security-headers' });
