/**
 * Optional OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT set): a span per HTTP request, per
 * SQL statement and per provider call, exported over OTLP/HTTP (JSON).
 *
 * Every span is made here by hand rather than by auto-instrumentation, on purpose:
 * - load order does not matter: Fastify, pg and the AWS SDK are ES-module imports that the
 *   require hooks of auto-instrumentation would not see unless the SDK started in a `--import`
 *   loader before them; manual spans work whatever was loaded first;
 * - we choose every attribute (S34): the route pattern, never the raw URL and its query string;
 *   the statement text with its placeholders, never the parameter values; the provider's name and
 *   the outcome, never the destination, code, link or message body. The AWS SDK's own
 *   instrumentation, whose attributes can carry phone numbers, is never used.
 *
 * Off by default: then nothing from OpenTelemetry is imported (the SDK is loaded with a dynamic
 * import only when the endpoint is set; this file imports only its types, which are erased), and
 * every helper below is a no-op, so the default start-up and hot path are unchanged.
 */
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { BulkEmailSender, MessageSender } from './delivery/message-sender.ts';

type OtelApi = typeof import('@opentelemetry/api');

interface Active {
  api: OtelApi;
  tracer: Tracer;
  shutdown(): Promise<void>;
}

let active: Active | undefined;

/** Starts the SDK when an endpoint is configured; does nothing (and loads nothing) otherwise. */
export async function startTelemetry(config: { otelEndpoint: string | undefined; otelServiceName: string }): Promise<void> {
  if (config.otelEndpoint === undefined || active !== undefined) return;
  const [api, { NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName: config.otelServiceName,
    // JSON over HTTP to <endpoint>/v1/traces.
    traceExporter: new OTLPTraceExporter({ url: `${config.otelEndpoint.replace(/\/+$/, '')}/v1/traces` }),
    // No auto-instrumentation (see above) and no resource detectors: the process detector would
    // put the command line and the host's details on every span.
    instrumentations: [],
    resourceDetectors: [],
  });
  sdk.start();
  active = { api, tracer: api.trace.getTracer('sesame'), shutdown: () => sdk.shutdown() };
}

/** Flushes the spans still buffered and stops the SDK (on shutdown). */
export async function stopTelemetry(): Promise<void> {
  const current = active;
  active = undefined;
  await current?.shutdown().catch(() => undefined);
}

export function telemetryEnabled(): boolean {
  return active !== undefined;
}

function endWithError(span: Span, api: OtelApi, error: unknown): void {
  // The error's class or code only; its message can quote a destination or a value.
  const type = (error as { code?: unknown })?.code ?? (error as { name?: unknown })?.name;
  span.setAttribute('error.type', typeof type === 'string' ? type : 'error');
  span.setStatus({ code: api.SpanStatusCode.ERROR });
  span.end();
}

/**
 * A span per request, named by method and route pattern (`POST /passwordless/start`): never the
 * raw URL, whose query string can hold a code or a token. Nothing else about the caller (no
 * address, no header) is recorded.
 */
export function traceRequests(app: FastifyInstance): void {
  const current = active;
  if (current === undefined) return;
  const { api, tracer } = current;
  const spans = new WeakMap<object, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer.startSpan(`${request.method} ${route}`, {
      kind: api.SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'http.route': route },
    });
    spans.set(request, span);
    // The rest of the request (SQL, provider calls made inline) runs with this span as parent.
    api.context.with(api.trace.setSpan(api.context.active(), span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
    span.end();
  });
  app.addHook('onRequestAbort', async (request) => {
    const span = spans.get(request);
    if (span === undefined) return;
    spans.delete(request);
    endWithError(span, api, { name: 'aborted' });
  });
}

/** Literal strings in a statement become `'?'`: statements use placeholders, this is a second guard. */
function statementText(text: string): string {
  const stripped = text.replace(/'(?:[^']|'')*'/g, "'?'");
  return stripped.length > 2_000 ? `${stripped.slice(0, 2_000)}…` : stripped;
}

/**
 * A span per SQL statement on every connection of the pool (Prisma's through the adapter too):
 * the statement text with its placeholders; the parameter values are never read.
 */
export function tracePool(pool: pg.Pool): void {
  const current = active;
  if (current === undefined) return;
  const { api, tracer } = current;
  pool.on('connect', (client) => {
    const query = client.query as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = function tracedQuery(this: unknown, ...args: unknown[]) {
      const first = args[0] as { text?: unknown; submit?: unknown } | string | undefined;
      const text = typeof first === 'string' ? first : first?.text;
      // Submittable forms (cursors, streams) are passed through untraced.
      if (typeof text !== 'string' || typeof (first as { submit?: unknown }).submit === 'function') return query.apply(this, args);
      const operation = /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
      const span = tracer.startSpan(operation, {
        kind: api.SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': statementText(text) },
      });
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        // The callback form (pool.query uses it on its client).
        args[args.length - 1] = function tracedCallback(this: unknown, error: unknown, ...rest: unknown[]) {
          if (error) endWithError(span, api, error); else span.end();
          return (last as (...a: unknown[]) => unknown).call(this, error, ...rest);
        };
      }
      let result: unknown;
      try {
        result = query.apply(this, args);
      } catch (error) {
        endWithError(span, api, error);
        throw error;
      }
      if (typeof last === 'function') return result;
      if (result instanceof Promise) {
        result.then(() => span.end(), (error: unknown) => endWithError(span, api, error));
      } else {
        span.end();
      }
      return result;
    };
  });
}

/**
 * A span per provider call (send, and SES's sendBulk) carrying the channel, the provider and the
 * outcome, never the message (destination, code, link, body) nor the provider's error message.
 */
export function traceSender<S extends MessageSender<never>>(sender: S, channel: 'email' | 'sms'): S {
  const current = active;
  if (current === undefined) return sender;
  const { api, tracer } = current;
  const traced = (method: 'send' | 'sendBulk', call: (...args: unknown[]) => Promise<unknown>, extra: (args: unknown[]) => Attributes) =>
    async (...args: unknown[]) => {
      const span = tracer.startSpan(`${method === 'send' ? 'send' : 'send bulk'} ${channel} ${sender.provider}`, {
        kind: api.SpanKind.CLIENT,
        attributes: { 'sesame.channel': channel, 'sesame.provider': sender.provider, ...extra(args) },
      });
      try {
        const result = await api.context.with(api.trace.setSpan(api.context.active(), span), () => call(...args));
        if (method === 'sendBulk' && Array.isArray(result)) {
          const accepted = result.filter((entry: { ok?: boolean }) => entry.ok === true).length;
          span.setAttributes({ 'sesame.accepted': accepted, 'sesame.refused': result.length - accepted });
        }
        span.setAttribute('sesame.outcome', 'accepted');
        span.end();
        return result;
      } catch (error) {
        span.setAttribute('sesame.outcome', 'failed');
        endWithError(span, api, error);
        throw error;
      }
    };
  return new Proxy(sender, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'send' && typeof value === 'function') {
        return traced('send', (...args) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), () => ({}));
      }
      if (property === 'sendBulk' && typeof value === 'function') {
        return traced('sendBulk', (...args) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args), (args) => ({
          'sesame.entries': (args[0] as Parameters<BulkEmailSender['sendBulk']>[0]).entries.length,
        }));
      }
      return value;
    },
  });
}
