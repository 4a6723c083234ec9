/**
 * The OpenAPI 3.1 document, built by @fastify/swagger from the routes' TypeBox schemas, and the
 * interactive reference (@fastify/swagger-ui, served from the package's own files: no CDN).
 * Register it before the routes: it collects every route registered after it. Each route is
 * described with its declared responses plus the statuses the shared plugins can give it, and
 * every problem response points at the problem schema of its status, whose `code` enum comes
 * from src/errors.ts (see openapi/responses.ts). Every operation has an operationId derived from
 * its method and path (operationIdOf), and the headers the API sets are documented: Set-Cookie
 * where a route declares `config.refreshCookie`, WWW-Authenticate on 401 (and on the admin
 * listener's 403), Retry-After on 429 and 503. A route opts out with `schema: { hide: true }`.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { ErrorCode } from '../errors.ts';
import { ERRORS } from '../errors.ts';
import { impliedStatuses, operationIdOf, PROBLEM_MEDIA_TYPE, problemSchemaName, problemSchemas, responseHeaders, type RefreshCookieUse } from '../openapi/responses.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Statuses at which the route sets the refresh cookie (cookie mode, S40) or clears it; documented as Set-Cookie. */
    refreshCookie?: Readonly<Partial<Record<number, RefreshCookieUse>>>;
  }
}

export interface OpenApiOptions {
  title: string;
  description: string;
  /** False on a listener without rate limits: its routes never answer 429. */
  rateLimited: boolean;
  /** Serve the document at GET /openapi.json. */
  serveDocument: boolean;
  /** Serve the interactive reference at GET /docs. */
  serveReference: boolean;
  /**
   * What the bearer credential of this listener's authenticated routes is; `scoped`: a credential
   * without the route's scope answers 403 with a WWW-Authenticate challenge (admin keys).
   */
  bearer: { format: string; description: string; scoped?: boolean };
}

/** The document's version: the service's package version. */
const API_VERSION = '0.1.0';

// The first path segment names the tag, so new routes are grouped without a list to keep.
const TAG_BY_SEGMENT: Record<string, string> = {
  '.well-known': 'discovery', healthz: 'health', readyz: 'health', token: 'sessions', logout: 'sessions', 'openapi.json': 'docs',
};

type Responses = Record<string, unknown>;
interface DescribedSchema extends FastifySchema { response?: Responses; operationId?: string }

/** Carries a route's refresh-cookie statuses from describeRoute to finishDocument, which removes it. */
const REFRESH_COOKIE_EXTENSION = 'x-sesame-refresh-cookie';

function describeRoute(schema: DescribedSchema | undefined, route: RouteOptions, options: OpenApiOptions): DescribedSchema {
  const config = (route.config ?? {}) as { inputErrors?: { body: ErrorCode }; rateLimitFamily?: string; refreshCookie?: Record<string, RefreshCookieUse> };
  const response: Responses = { ...schema?.response };
  for (const [status, reply] of Object.entries(response)) {
    // @fastify/swagger drops the content of a `null` reply; on any status but 204 the JSON `null` is sent.
    if (status !== '204' && (reply as { type?: unknown }).type === 'null') {
      response[status] = { description: 'The JSON value null', content: { 'application/json': { schema: { type: 'null' } } } };
    }
  }
  for (const status of impliedStatuses({ method: route.method, bodyErrorCode: config.inputErrors?.body, rateLimitFamily: config.rateLimitFamily, rateLimited: options.rateLimited })) {
    response[String(status)] ??= { type: 'object' };
  }
  const segment = route.url.split('/')[1] ?? '';
  return {
    ...schema,
    // Stable: it changes only when the route's method or path does.
    ...(schema?.operationId === undefined && typeof route.method === 'string' ? { operationId: operationIdOf(route.method, route.url) } : {}),
    ...(config.refreshCookie === undefined ? {} : { [REFRESH_COOKIE_EXTENSION]: config.refreshCookie }),
    response,
    tags: schema?.tags ?? [TAG_BY_SEGMENT[segment] ?? segment],
    // Routes behind the bearer check (an access token, or an admin key) declare their 401.
    ...(schema?.security === undefined && '401' in response ? { security: [{ bearerAuth: [] }] } : {}),
  };
}

interface OpenApiObject {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, {
    responses?: Record<string, { description?: string; content?: unknown; headers?: Record<string, unknown> }>;
    [REFRESH_COOKIE_EXTENSION]?: Record<string, RefreshCookieUse>;
  }>>;
}

/** Points every 4xx/5xx response at the problem schema of its status, and documents the headers each response may carry. */
function finishDocument(document: OpenApiObject, options: OpenApiOptions): OpenApiObject {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const refreshCookie = operation[REFRESH_COOKIE_EXTENSION] ?? {};
      delete operation[REFRESH_COOKIE_EXTENSION];
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const headers = responseHeaders(Number(status), { refreshCookie: refreshCookie[status], scopedBearer: options.bearer.scoped === true });
        if (Object.keys(headers).length > 0) response.headers = { ...response.headers, ...headers };
        if (Number(status) < 400) continue;
        const codes = (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === Number(status));
        response.description = codes.map((code) => ERRORS[code].title).filter((title, index, all) => all.indexOf(title) === index).join(' / ');
        response.content = { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${problemSchemaName(Number(status))}` } } };
      }
    }
  }
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...problemSchemas() } };
  return document;
}

// The API routes keep their `default-src 'none'` policy (plugins/security-headers.ts); only the
// reference's own pages get one that lets its bundled script and styles run, and they may not
// be framed either.
function referencePolicy(header: string): string {
  return header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, '').replace(' validator.swagger.io', '').replaceAll(' https:', '');
}

export const openApiPlugin = fp(async (app: FastifyInstance, options: OpenApiOptions) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: API_VERSION },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: options.bearer.format, description: options.bearer.description } } },
    },
    transform: ({ schema, url, route }) => ({ schema: describeRoute(schema as DescribedSchema | undefined, route, options) as never, url }),
    transformObject: (({ openapiObject }: { openapiObject: OpenApiObject }) => finishDocument(openapiObject, options)) as never,
  });

  if (options.serveDocument) {
    let document: string | undefined;
    app.get('/openapi.json', {
      schema: { summary: 'This OpenAPI 3.1 document', response: { 200: { type: 'object', additionalProperties: true } } },
    }, async (_request, reply) => reply.type('application/json').send(document ??= JSON.stringify(app.swagger())));
  }
  if (options.serveReference) {
    // Loaded only when the reference is served (DOCS_ENABLED).
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: referencePolicy, uiConfig: { deepLinking: false } });
  }
}, { name: 'openapi' });
