/**
 * buildAdminApp: the operators' listener (ADMIN_PORT). A second Fastify instance sharing the
 * public app's database, services and metrics, so one process serves both with one pool and
 * one set of workers; it carries none of the public routes, and the public listener carries
 * none of these (S41). Bind it to an internal interface; its routes are never rate-limited by
 * client IP because every call is authenticated by an admin key.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config/index.ts';
import { errorHandlerPlugin } from './plugins/error-handler.ts';
import { openApiPlugin } from './plugins/openapi.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { adminAuthPlugin } from './plugins/admin-auth.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { adminSigningKeyRoutes } from './routes/admin/signing-keys.ts';
import { adminUserRoutes } from './routes/admin/users.ts';
import { adminAuditRoutes } from './routes/admin/audit-events.ts';
import { adminClientRoutes } from './routes/admin/clients.ts';
import { adminWebhookRoutes } from './routes/admin/webhooks.ts';
import { traceRequests } from './telemetry.ts';

/** Admin bodies (a user with two 4 KB metadata objects) stay far below this. */
const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the admin listener over `shared`'s decorations; it does not listen yet. */
export async function buildAdminApp(config: Config, shared: FastifyInstance): Promise<FastifyInstance> {
  const admin = Fastify({
    loggerInstance: shared.log.child({ listener: 'admin' }),
    bodyLimit: ADMIN_BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true } },
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // A span per admin request when traces are on (a no-op otherwise).
  traceRequests(admin);

  admin.decorate('db', shared.db);
  admin.decorate('metrics', shared.metrics);
  admin.decorate('services', shared.services);

  // One access line per request, after the reply; bodies and the Authorization header never.
  admin.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });

  await admin.register(errorHandlerPlugin);
  await admin.register(securityHeadersPlugin);
  // Its own document (GET /openapi.json on this listener), so the public one never lists admin routes.
  await admin.register(openApiPlugin, {
    title: 'Sesame admin API', description: 'The operators\' listener (ADMIN_PORT): metrics and administration. Never exposed on the public port.',
    rateLimited: false, serveDocument: config.docsEnabled, serveReference: false,
    bearer: { format: 'sak_…', description: 'An admin API key, sak_… (see docs/admin.md).', scoped: true },
  });

  await admin.register(adminAuthPlugin, { keys: shared.services.adminKeys });

  await admin.register(metricsRoutes);
  // The admin API: every route declares its scope with onRequest: admin.requireAdminScope(...).
  await admin.register(adminSigningKeyRoutes);
  await admin.register(adminUserRoutes);
  await admin.register(adminAuditRoutes);
  await admin.register(adminClientRoutes);
  await admin.register(adminWebhookRoutes);
  return admin;
}
