/**
 * What the OpenAPI document says about responses, derived from the code rather than written by
 * hand: the problem schemas come from the one error table, and every route is documented with
 * the statuses the shared plugins can give it (bad body, too large, wrong media type, rate
 * limited, store or database down) besides those it declares. A new route, or a new row in
 * src/errors.ts, is described without touching this file.
 */
import { ERRORS, type ErrorCode } from '../errors.ts';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The error codes answered with `status`, in table order. */
export function codesForStatus(status: number): ErrorCode[] {
  return (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === status);
}

/** Every status some error code answers with, ascending. */
export function problemStatuses(): number[] {
  return [...new Set(Object.values(ERRORS).map((entry) => entry.status))].sort((a, b) => a - b);
}

/** The component name of the problem document for one status. */
export function problemSchemaName(status: number): string {
  return `Problem${status}`;
}

const PROBLEM_PROPERTIES = {
  type: { type: 'string', description: 'Always `about:blank`: the `code` is the stable identifier.' },
  title: { type: 'string' },
  detail: { type: 'string', description: 'A public sentence; never carries an identifier, a code or a token.' },
  errors: {
    type: 'array',
    description: 'One entry per bad field, where a code lists them (`invalid_client_settings` of the admin API); absent otherwise.',
    items: {
      type: 'object',
      required: ['field', 'message'],
      additionalProperties: false,
      properties: { field: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

/** RFC 9457 problem documents: one schema for any code, and one per status naming its codes. */
export function problemSchemas(): Record<string, object> {
  const schemas: Record<string, object> = {
    Problem: {
      type: 'object',
      description: 'An RFC 9457 problem document. Branch on `code`; the table of codes is src/errors.ts.',
      required: ['type', 'title', 'status', 'detail', 'code'],
      additionalProperties: false,
      properties: {
        ...PROBLEM_PROPERTIES,
        status: { type: 'integer', enum: problemStatuses() },
        code: { type: 'string', enum: Object.keys(ERRORS) },
      },
    },
  };
  for (const status of problemStatuses()) {
    const codes = codesForStatus(status);
    schemas[problemSchemaName(status)] = {
      type: 'object',
      description: `A problem answered with status ${status}: ${codes.map((code) => `\`${code}\` (${ERRORS[code].title})`).join(', ')}.`,
      required: ['type', 'title', 'status', 'detail', 'code'],
      additionalProperties: false,
      properties: { ...PROBLEM_PROPERTIES, status: { type: 'integer', const: status }, code: { type: 'string', enum: codes } },
    };
  }
  return schemas;
}

/** The parts of a route's options that decide which statuses the shared plugins can give it. */
export interface RouteFacts {
  method: string | string[];
  /** The code a malformed body maps to on this route (config.inputErrors.body). */
  bodyErrorCode?: ErrorCode;
  /** config.rateLimitFamily; `none` routes are neither rate-limited nor gated by the store. */
  rateLimitFamily?: string;
  /** False on a listener without rate limits (the admin listener). */
  rateLimited: boolean;
}

/**
 * Statuses every route can give besides its declared ones: any request that carries a body can
 * be malformed (the route's body error code), too large (413) or of another media type (415);
 * a rate-limited route can answer 429, and 503 when the limit store or the database does not
 * answer; anything can fail with 500.
 */
export function impliedStatuses(route: RouteFacts): number[] {
  const statuses = new Set<number>([500]);
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  // Fastify parses a body on every method but GET and HEAD.
  if (methods.some((method) => method !== 'GET' && method !== 'HEAD')) {
    statuses.add(ERRORS[route.bodyErrorCode ?? 'invalid_request'].status);
    statuses.add(ERRORS.payload_too_large.status);
    statuses.add(ERRORS.unsupported_media_type.status);
  }
  if (route.rateLimitFamily !== 'none') {
    if (route.rateLimited) statuses.add(ERRORS.rate_limited.status);
    statuses.add(ERRORS.service_unavailable.status);
  }
  return [...statuses];
}

/**
 * The operationId of a route: its method, then each path segment capitalised, a parameter as
 * `By<Name>` (`DELETE /me/sessions/:id` is `deleteMeSessionsById`). Derived, so it is unique per
 * method and path and changes only when they do; generated clients name their calls after it.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url.split('/').filter((segment) => segment !== '')
    .flatMap((segment) => (segment.startsWith(':') ? ['by', segment.slice(1)] : [segment]))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '');
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** What a route does with the refresh cookie at one status (cookie mode, S40). */
export type RefreshCookieUse = 'set' | 'cleared';

/** An OpenAPI 3.1 Header Object. */
interface HeaderObject {
  description: string;
  required?: boolean;
  schema: Record<string, unknown>;
}

const SET_COOKIE: Record<RefreshCookieUse, HeaderObject> = {
  set: {
    description: 'For a client in cookie mode only (`refresh_token_delivery = cookie`): the refresh token, which the body then leaves out. '
      + '`__Host-sesame_refresh=<token>; Max-Age=<seconds left in the session>; Path=/; HttpOnly; Secure; SameSite=Strict`.',
    schema: { type: 'string' },
  },
  cleared: {
    description: 'Drops the refresh cookie when the call carried it or its client is in cookie mode: '
      + '`__Host-sesame_refresh=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`.',
    schema: { type: 'string' },
  },
};

const SECONDS = { type: 'integer', minimum: 1 };

/**
 * The headers a response of `status` may carry, as the API sets them: the Bearer challenge
 * (RFC 6750) with every 401, and with a 403 for a key without the route's scope where
 * credentials are scoped; Retry-After with every 429 (rate_limited, throttled) and with a 503
 * `overloaded`; Set-Cookie where the route sets or clears the refresh cookie.
 */
export function responseHeaders(status: number, facts: { refreshCookie?: RefreshCookieUse | undefined; scopedBearer: boolean }): Record<string, HeaderObject> {
  const headers: Record<string, HeaderObject> = {};
  if (status === 401) {
    headers['WWW-Authenticate'] = {
      description: 'The Bearer challenge (RFC 6750): `Bearer` when no credential was sent, else with `error="invalid_token"`, or '
        + '`error="insufficient_user_authentication"` and `max_age` when the change needs a recent sign-in.',
      required: true,
      schema: { type: 'string' },
    };
  }
  if (status === 403 && facts.scopedBearer) {
    headers['WWW-Authenticate'] = { description: 'With `insufficient_scope`: `Bearer realm=…, error="insufficient_scope", scope="<the scope the route needs>"`.', schema: { type: 'string' } };
  }
  if (status === 429) headers['Retry-After'] = { description: 'Seconds to wait before asking again.', required: true, schema: SECONDS };
  if (status === 503) headers['Retry-After'] = { description: 'With `overloaded` only: seconds to wait before asking for a code again.', schema: SECONDS };
  if (facts.refreshCookie !== undefined) headers['Set-Cookie'] = SET_COOKIE[facts.refreshCookie];
  return headers;
}
