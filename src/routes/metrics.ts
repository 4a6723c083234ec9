/**
 * Prometheus text exposition of the process's metrics. Served on the admin listener; on the
 * public port only when METRICS_TOKEN is set, and then only to requests bearing it (S37): the
 * counters tell known accounts from unknown ones, so they are never public.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.ts';
import { ProblemReply } from '../schemas/passwordless.ts';

const BEARER = /^Bearer +(\S+) *$/i;

export const metricsRoutes: FastifyPluginAsync<{ token?: string }> = async (app, options) => {
  const expected = options.token === undefined ? undefined : digest(options.token);
  const requireToken = async (request: FastifyRequest): Promise<void> => {
    if (expected === undefined) return;
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    // Digests of equal length: the comparison takes the same time whatever was presented.
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      throw new AppError('invalid_metrics_token', { headers: { 'www-authenticate': 'Bearer' } });
    }
  };
  // A preHandler: the public port's rate limit (onRequest) is counted first.
  const response = {
    200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }),
    ...(expected === undefined ? {} : { 401: ProblemReply }),
  };
  app.get('/metrics', { preHandler: requireToken, schema: { summary: 'Prometheus metrics', produces: ['text/plain'], response } }, async (_request, reply) =>
    reply.type(app.metrics.contentType).send(await app.metrics.render()));
};

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
