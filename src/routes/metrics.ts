/**
 * Prometheus text exposition of the in-process counters (rate limits, SMS blocks, audit drops).
 * Counters only, no identifiers; served on the admin listener only, never on the public port.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';

export const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', {
    schema: { summary: 'Prometheus counters', produces: ['text/plain'], response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) } },
  }, async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(app.metrics.render()));
};
