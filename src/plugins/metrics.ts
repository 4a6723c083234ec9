/** Decorates `metrics`: the process's counters (see src/lib/metrics.ts), served by routes/metrics.ts. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from '../lib/metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export const metricsPlugin = fp(async (app: FastifyInstance) => {
  app.decorate('metrics', createMetrics());
}, { name: 'metrics' });
