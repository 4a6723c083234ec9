/**
 * Liveness and readiness probes, exempt from rate limits (a throttled probe would get a healthy
 * replica killed). Readiness fails when PostgreSQL or the configured Redis does not answer (S22), and from
 * the moment a SIGTERM arrives (graceful shutdown).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { sendProblem } from '../plugins/error-handler.ts';
import { ProblemReply } from '../schemas/passwordless.ts';

/**
 * How long one answer of the dependencies stands. /readyz is public and unlimited, so without it
 * every probe, or a flood of them, would be a database round trip; probes come seconds apart, so
 * an outage is still seen within a second.
 */
export const READINESS_CACHE_MS = 1_000;

export const healthRoutes: FastifyPluginAsync = async (app) => {
  const config = { rateLimitFamily: 'none' as const };
  // One check at a time: concurrent probes share the one in flight, then its answer for a second.
  let check: { ready: Promise<boolean>; until: number } | undefined;
  const dependenciesReady = (): Promise<boolean> => {
    if (check !== undefined && performance.now() < check.until) return check.ready;
    const current: { ready: Promise<boolean>; until: number } = {
      ready: (async () => (await app.db.ping()) && (await app.rateLimits.ping()))().catch(() => false),
      until: Number.POSITIVE_INFINITY,
    };
    void current.ready.then(() => { current.until = performance.now() + READINESS_CACHE_MS; });
    check = current;
    return current.ready;
  };

  app.get('/healthz', { config, schema: { summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' }));
  // A draining replica (SIGTERM received) is unready at once, without asking the database.
  app.get('/readyz', {
    config,
    schema: { summary: 'Readiness: PostgreSQL and the rate-limit store answer, and no SIGTERM arrived', response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ProblemReply } },
  }, async (_request, reply) =>
    !app.lifecycle.draining && (await dependenciesReady()) ? { status: 'ready' } : sendProblem(reply, 'service_unavailable'));
};
