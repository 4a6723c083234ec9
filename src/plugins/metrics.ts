/**
 * Decorates `metrics`: the process's metrics (see src/lib/metrics.ts), served by
 * routes/metrics.ts on the admin listener. Times every public request by its route pattern
 * (`/passwordless/request/:method`, never the raw URL, which could carry an identifier) and status.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, LATENCY_BUCKETS, type Metrics } from '../lib/metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export const metricsPlugin = fp(async (app: FastifyInstance) => {
  const metrics = createMetrics();
  app.decorate('metrics', metrics);
  const duration = metrics.histogram('http_request_duration_seconds', 'Public HTTP requests, from the first byte to the reply written, by method, route pattern and status.', {
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
  });
  // A callback hook: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}, { name: 'metrics' });
