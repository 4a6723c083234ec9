/**
 * Renders every error as RFC 9457 problem+json from the one error table. Validation errors map
 * to the code the route declares for the offending field; 5xx details never reach the client,
 * and are logged without values that could carry identifiers (S34).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, ERRORS, type ErrorCode } from '../errors.ts';
import { createLogThrottle } from '../lib/log-throttle.ts';

/** Per-route mapping of invalid input to public error codes. */
export interface InputErrorCodes {
  /** Code for a malformed body (not JSON, not an object, unknown field problems). */
  body: ErrorCode;
  /** Code for a problem with a named field, e.g. `{ email: 'invalid_email' }`. */
  fields?: Record<string, ErrorCode>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    inputErrors?: InputErrorCodes;
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

// 57014: statement_timeout fired (DATABASE_STATEMENT_TIMEOUT_MS); 57P0x: the server is shutting
// down or starting; 08xxx: connection failures; 53300: too many connections.
const DATABASE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57014', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300']);
const DATABASE_DOWN_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Query read timeout|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery)/i;

/** An outage's 503s are logged at most this often per cause. */
export const OUTAGE_LOG_INTERVAL_MS = 1_000;

export const errorHandlerPlugin = fp(async (app: FastifyInstance) => {
  const outages = createLogThrottle({ intervalMs: OUTAGE_LOG_INTERVAL_MS });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const code = classify(error, request);
    const entry = ERRORS[code];
    // A 5xx is logged here unless the table says its owner logs it (admission control's
    // refusals and a failing hook's answers are counted and logged once a second, never once
    // per request). An outage (PostgreSQL or Redis unreachable) fails every request alike, so
    // its 503s are logged once a second per cause, the line saying how many it left out; the
    // request metric counts them all.
    const suppressed = code === 'service_unavailable' ? outages.take(`${error.name}:${error.code ?? ''}`) : 0;
    if (entry.status >= 500 && !('loggedElsewhere' in entry) && suppressed !== undefined) {
      // Name, code and message only: driver errors carry a `detail` that can quote row values.
      request.log.error({ err: { type: error.name, code: error.code, message: error.message, stack: error.stack }, ...(suppressed > 0 ? { suppressed } : {}) }, 'request failed');
    }
    if (error instanceof AppError) reply.headers(error.headers);
    return sendProblem(reply, code);
  });

  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 'not_found'));
}, { name: 'error-handler' });

/** Writes the problem document for `code`. */
export function sendProblem(reply: FastifyReply, code: ErrorCode): FastifyReply {
  const entry = ERRORS[code];
  return reply
    .code(entry.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ type: 'about:blank', title: entry.title, status: entry.status, detail: entry.detail, code }));
}

function classify(error: FastifyError, request: FastifyRequest): ErrorCode {
  if (error instanceof AppError) return error.code;
  const inputErrors = request.routeOptions.config.inputErrors ?? { body: 'invalid_request' };
  if (error.validation) {
    for (const issue of error.validation) {
      const field = issue.instancePath.split('/')[1] || (issue.params as { missingProperty?: string }).missingProperty;
      const mapped = field === undefined ? undefined : inputErrors.fields?.[field];
      if (mapped) return mapped;
    }
    return inputErrors.body;
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'payload_too_large';
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'unsupported_media_type';
  if (isDatabaseUnavailable(error)) return 'service_unavailable';
  // Unparseable JSON and other client errors Fastify raises before the handler.
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return inputErrors.body;
  return 'internal_error';
}

/**
 * Connection-level failures of PostgreSQL, and statements cut off by DATABASE_STATEMENT_TIMEOUT_MS:
 * answer 503 rather than 500 (fail closed, S22). Prisma wraps driver errors, so causes are followed.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Object && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const { code, message, originalCode } = current as { code?: unknown; message?: unknown; originalCode?: unknown };
    if (typeof code === 'string' && DATABASE_DOWN_CODES.has(code)) return true;
    if (typeof originalCode === 'string' && DATABASE_DOWN_CODES.has(originalCode)) return true;
    if (typeof message === 'string' && DATABASE_DOWN_MESSAGE.test(message)) return true;
  }
  return false;
}
