/** Liveness and readiness probes. Readiness fails when PostgreSQL does not answer (S22). */
import type { FastifyPluginAsync } from 'fastify';
import { sendProblem } from '../plugins/error-handler.ts';

export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    (await app.db.ping()) ? { status: 'ready' } : sendProblem(reply, 'service_unavailable'));
};
