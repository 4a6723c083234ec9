/**
 * The contract check: every response a test app sends is validated against the app's own
 * OpenAPI document (status, media type, body, and the headers the document describes: a
 * Set-Cookie, Retry-After or WWW-Authenticate it does not describe for that response, or a
 * required one missing, is a mismatch), so the document cannot drift from the code. The
 * test fixture (app.ts) installs it on every app it starts; a mismatch fails the test when the
 * app closes. Validators are compiled once per process, per document and response.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/** One response as the server sent it. */
export interface ObservedResponse {
  method: string;
  /** The matched route's path as registered (`/me/sessions/:id`), or undefined when no route matched. */
  route: string | undefined;
  status: number;
  contentType: string | undefined;
  body: string | undefined;
  /** The response's headers (lower-case names); only CHECKED_HEADERS are looked at. */
  headers?: Record<string, unknown>;
}

/** Headers the document must describe wherever they are sent (CORS and the like need not be). */
export const CHECKED_HEADERS = ['set-cookie', 'retry-after', 'www-authenticate'] as const;

interface MediaType { schema?: unknown }
interface ResponseObject { content?: Record<string, MediaType>; headers?: Record<string, { required?: boolean }> }
interface Operation { responses?: Record<string, ResponseObject> }
interface OpenApiDocument { paths?: Record<string, Record<string, Operation>> }

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const DOCUMENT_ID = 'openapi.json';

function pointer(...segments: string[]): string {
  return `${DOCUMENT_ID}#/${segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

export interface ContractChecker {
  /** The problems with one response; empty when it matches the document. */
  check(response: ObservedResponse): string[];
}

const checkers = new Map<string, ContractChecker>();

/** A checker for `document`; the same document (by content) gets the same compiled checker. */
export function contractChecker(document: unknown): ContractChecker {
  const key = JSON.stringify(document);
  let checker = checkers.get(key);
  if (checker === undefined) {
    checker = createChecker(JSON.parse(key) as OpenApiDocument);
    checkers.set(key, checker);
  }
  return checker;
}

function createChecker(document: OpenApiDocument): ContractChecker {
  const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, DOCUMENT_ID);
  const validators = new Map<string, ValidateFunction>();
  const validator = (ref: string): ValidateFunction => {
    let validate = validators.get(ref);
    if (validate === undefined) {
      validate = ajv.compile({ $ref: ref });
      validators.set(ref, validate);
    }
    return validate;
  };

  return {
    check(response) {
      const { method, status } = response;
      const where = `${method} ${response.route ?? '(no route)'} → ${status}`;
      // A CORS preflight is answered by the CORS plugin, before any route.
      if (method === 'OPTIONS') return [];
      let ref: string;
      let content: Record<string, MediaType> | undefined;
      if (response.route === undefined) {
        // Unmatched paths: the not-found problem, described once in components.
        if (status !== 404) return [`${where}: no route matched, yet the status is not 404`];
        ref = pointer('components', 'schemas', 'Problem404');
        content = { 'application/problem+json': { schema: {} } };
      } else {
        const path = response.route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const operationMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
        const operation = document.paths?.[path]?.[operationMethod];
        if (operation === undefined) return [`${where}: the route is not in the OpenAPI document`];
        const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => operation.responses?.[candidate] !== undefined);
        if (statusKey === undefined) return [`${where}: status ${status} is not documented for this route`];
        content = operation.responses![statusKey]!.content;
        const headerProblems = checkHeaders(where, operation.responses![statusKey]!.headers ?? {}, response.headers ?? {});
        if (headerProblems.length > 0) return headerProblems;
        ref = '';
        if (content !== undefined) {
          const mediaType = response.contentType?.split(';')[0]?.trim().toLowerCase();
          if (mediaType === undefined || content[mediaType] === undefined) {
            return [`${where}: content type ${response.contentType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`];
          }
          ref = pointer('paths', path, operationMethod, 'responses', statusKey, 'content', mediaType, 'schema');
        }
      }
      const body = response.body ?? '';
      // 204 and 304 have no body on the wire whatever the handler passed; HEAD neither.
      if (status === 204 || status === 304 || method === 'HEAD') return [];
      if (content === undefined) return body === '' ? [] : [`${where}: the document describes no body, yet one was sent`];
      const mediaType = response.contentType!.split(';')[0]!.trim().toLowerCase();
      let value: unknown = body;
      if (mediaType.endsWith('json')) {
        try {
          value = JSON.parse(body);
        } catch {
          return [`${where}: the body is not JSON`];
        }
      }
      const validate = validator(ref);
      if (validate(value)) return [];
      return (validate.errors ?? []).map((error) => `${where}: body${error.instancePath} ${error.message ?? 'is invalid'}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
    },
  };
}

/** The checked headers sent that the response does not describe, and the required ones it describes that were not sent. */
function checkHeaders(where: string, documented: Record<string, { required?: boolean }>, sent: Record<string, unknown>): string[] {
  const described = new Map(Object.entries(documented).map(([name, header]) => [name.toLowerCase(), header]));
  const problems: string[] = [];
  for (const name of CHECKED_HEADERS) {
    const present = sent[name] !== undefined;
    if (present && !described.has(name)) problems.push(`${where}: header ${name} is sent but not documented for this response`);
    if (!present && described.get(name)?.required === true) problems.push(`${where}: header ${name} is documented as required but not sent`);
  }
  return problems;
}

/** Whether a route asked to be left out of the document (the reference's static pages). */
function hidden(schema: unknown): boolean {
  return (schema as { hide?: boolean } | undefined)?.hide === true;
}

/**
 * Validates every response `app` sends against the document it serves (app.swagger()), adding
 * each mismatch to `violations`. Call before the app is ready.
 */
export function checkResponsesAgainstDocument(app: FastifyInstance, violations: string[]): void {
  let checker: ContractChecker | undefined;
  app.addHook('onSend', async (request, reply, payload) => {
    if (hidden(request.routeOptions.schema)) return payload;
    checker ??= contractChecker(app.swagger());
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload == null ? undefined : null;
    // Streams are only sent by the reference's static files, which are hidden.
    if (body === null) {
      violations.push(`${request.method} ${request.routeOptions.url ?? '(no route)'}: a streamed body cannot be checked`);
      return payload;
    }
    const contentType = reply.getHeader('content-type');
    violations.push(...checker.check({
      method: request.method,
      route: request.routeOptions.url,
      status: reply.statusCode,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      body,
      headers: Object.fromEntries(CHECKED_HEADERS.map((name) => [name, reply.getHeader(name)])),
    }));
    return payload;
  });
}
