/**
 * Liveness and readiness probes, exempt from rate limits (a throttled probe would get a healthy
 * replica killed). Readiness fails when PostgreSQL or the configured Redis does not answer (S22), and from
 * the moment a SIGTERM arrives (issue 8: graceful shutdown).
 */
import type { FastifyPluginAsync } from 'fastify';
import { sendProblem } from '../plugins/error-handler.ts';

export const healthRoutes: FastifyPluginAsync = async (app) => {
  const exempt = { config: { rateLimitFamily: 'none' as const } };
  app.get('/healthz', exempt, async () => ({ status: 'ok' }));
  // A draining replica (SIGTERM received) is unready at once, without asking the database.
  app.get('/readyz', exempt, async (_request, reply) =>
    !app.lifecycle.draining && (await app.db.ping()) && (await app.rateLimits.ping()) ? { status: 'ready' } : sendProblem(reply, 'service_unavailable'));
};
