/**
 * Prometheus text exposition of the in-process counters (rate limits, SMS blocks, audit drops).
 * Counters only, no identifiers; served on the admin listener only, never on the public port.
 */
import type { FastifyPluginAsync } from 'fastify';

export const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(app.metrics.render()));
};
