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
