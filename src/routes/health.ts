/**
 * Liveness and readiness probes, exempt from rate limits (a throttled probe would get a healthy
 * replica killed). Readiness fails when PostgreSQL or the configured Redis does not answer (S22), and from
 * the moment a SIGTERM arrives (issue 8: graceful shutdown).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { sendProblem } from '../plugins/error-handler.ts';
import { ProblemReply } from '../schemas/passwordless.ts';

export const healthRoutes: FastifyPluginAsync = async (app) => {
  const config = { rateLimitFamily: 'none' as const };
  app.get('/healthz', { config, schema: { summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' }));
  // A draining replica (SIGTERM received) is unready at once, without asking the database.
  app.get('/readyz', {
    config,
    schema: { summary: 'Readiness: PostgreSQL and the rate-limit store answer, and no SIGTERM arrived', response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ProblemReply } },
  }, async (_request, reply) =>
    !app.lifecycle.draining && (await app.db.ping()) && (await app.rateLimits.ping()) ? { status: 'ready' } : sendProblem(reply, 'service_unavailable'));
};
