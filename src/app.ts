/**
 * buildApp: the table of contents. Infrastructure plugins first, then the composition root and
 * the workers it built (started once the app is ready), then routes. Nothing here reads the environment; `config` arrives parsed.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config/index.ts';
import { bearerAuthPlugin } from './plugins/bearer-auth.ts';
import { clientGuardPlugin } from './plugins/client-guard.ts';
import { corsPlugin } from './plugins/cors.ts';
import { databasePlugin } from './plugins/database.ts';
import { errorHandlerPlugin } from './plugins/error-handler.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { openApiPlugin } from './plugins/openapi.ts';
import { servicesPlugin } from './plugins/services.ts';
import { workersPlugin } from './plugins/workers.ts';
import { compose, type Substitutes } from './composition.ts';
import type { Worker } from './workers/worker.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { rateLimitPlugin } from './plugins/rate-limit.ts';
import { healthRoutes } from './routes/health.ts';
import { passwordlessRoutes } from './routes/passwordless.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { wellKnownRoutes } from './routes/well-known.ts';
import { accountRoutes } from './routes/account.ts';
import { passkeyRoutes } from './routes/passkeys.ts';
import { buildAdminApp } from './admin-app.ts';
import { traceRequests } from './telemetry.ts';
import { logDestination } from './lib/log-destination.ts';

/** Request bodies are a few hundred bytes; anything near this is abuse. */
const BODY_LIMIT_BYTES = 64 * 1024;
/** Node's default, stated: a request's headers fit in 16 KiB. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Headers per request; Node allows 2,000. */
const MAX_HEADERS_COUNT = 100;

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the SIGTERM handler (server.ts): /readyz answers 503 and every reply closes its connection. */
    lifecycle: { draining: boolean };
    /** The admin listener built beside this app (ADMIN_PORT), or null when ADMIN_PORT=0. Listen on it after this app. */
    adminApp: FastifyInstance | null;
  }
}

const PUBLIC_API_DESCRIPTION = 'Passwordless sign-in by one-time code, magic link or passkey; sessions with rotating refresh tokens; '
  + 'RS256/ES256 access tokens verifiable offline through the JWKS. Every error is an RFC 9457 problem document with a stable `code`.';

/** How an embedder or a test builds the app differently from `npm start`. */
export interface BuildOptions {
  substitutes?: Substitutes;
  /** Where log lines go instead of stdout (tests read them to prove no secret is logged). */
  logStream?: { write(line: string): void };
  /** Which workers this process runs; default all (a test leaves out the dispatcher to act as a process that stops before sending). */
  runsWorker?: (worker: Worker) => boolean;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { logStream, substitutes, runsWorker = () => true } = options;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Asynchronous, buffered stdout (src/lib/log-destination.ts): lines go out in chunks of
      // up to 8 KiB or every 250 ms, and pino writes what is left on exit.
      stream: logStream ?? logDestination(),
      // Nothing that authenticates a request is ever logged (S34).
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // S47: a slowly trickled request line, header block or body is cut off (Node answers 408).
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    connectionTimeout: config.http.connectionTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      maxHeaderSize: MAX_HEADER_BYTES,
      // Node checks the header and request deadlines on this interval (default 30 s, which
      // would let a slow client stay well past them).
      connectionsCheckingInterval: Math.min(1_000, Math.floor(config.http.headersTimeoutMs / 2)),
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Wrong types are errors, not something to coerce: {"token": 123456} is not a code.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true } },
    logController: new LogController({ disableRequestLogging: true }),
    // S20: X-Forwarded-For is believed only when the peer is one of these proxies.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.server.maxHeadersCount = MAX_HEADERS_COUNT;
  // A span per request when traces are on (a no-op otherwise).
  traceRequests(app);

  // Draining after SIGTERM: load balancers see /readyz fail at once, and keep-alive clients are
  // told to reconnect (to another replica) after the reply they are waiting for.
  app.decorate('lifecycle', { draining: false });
  // Hooks on every request take a callback rather than returning a promise: no promise and no
  // extra microtask per request for work that never waits.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (app.lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  });

  // One access line per request, after the reply; bodies are never logged.
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    done();
  });

  await app.register(errorHandlerPlugin);
  await app.register(securityHeadersPlugin);
  await app.register(metricsPlugin);
  await app.register(rateLimitPlugin, { config });
  await app.register(databasePlugin, { config });
  // A start that fails here (a broken template, no AWS region) closes what is already open.
  const composition = await compose(config, { db: app.db, metrics: app.metrics, log: app.log }, substitutes)
    .catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  await app.register(servicesPlugin, { composition });
  await app.register(workersPlugin, { workers: composition.workers.filter(runsWorker) });
  await app.register(bearerAuthPlugin, { verifier: app.services.accessTokens });
  // Browser apps: CORS for the origins clients allow, the client of each request, and the
  // refresh cookie of cookie mode (S39, S40).
  await app.register(corsPlugin, { clients: app.services.clients });
  await app.register(clientGuardPlugin, { clients: app.services.clients });
  await app.register(cookie);
  // Before the routes: it describes every route registered after it.
  await app.register(openApiPlugin, {
    title: 'Sesame', description: PUBLIC_API_DESCRIPTION, rateLimited: true, serveDocument: config.docsEnabled, serveReference: config.docsEnabled,
    bearer: { format: 'JWT', description: 'The access token from an exchange or a refresh.' },
  });

  await app.register(healthRoutes);
  await app.register(wellKnownRoutes, { jwksMaxAgeSeconds: config.jwksMaxAgeSeconds, issuer: config.jwtIssuer, algorithms: [config.jwtAlg] });
  await app.register(passwordlessRoutes);
  await app.register(sessionRoutes);
  await app.register(accountRoutes);
  await app.register(passkeyRoutes);
  // Only for operators who cannot reach the admin listener, and only with the token (S37).
  if (config.metricsToken !== undefined) await app.register(metricsRoutes, { token: config.metricsToken });

  // The admin listener shares this app's services and closes first, while they are still open.
  const adminApp = config.adminPort === 0 ? null : await buildAdminApp(config, app);
  app.decorate('adminApp', adminApp);
  if (adminApp) app.addHook('preClose', async () => { await adminApp.close(); });
  return app;
}
