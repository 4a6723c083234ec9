/**
 * The one table of error codes. Services throw `new AppError('code')`; the error handler
 * renders RFC 9457 problem+json from this table. Public messages never carry secrets or say
 * which of several failure reasons applied where that would enumerate accounts (S17, S18).
 */
export const ERRORS = {
  invalid_request: { status: 400, title: 'Invalid request', detail: 'The request body is not valid.' },
  invalid_email: { status: 400, title: 'Invalid email', detail: 'Provide exactly one valid email address.' },
  invalid_phone_number: {
    status: 400,
    title: 'Invalid phone number',
    detail: 'Provide one valid mobile number in international format (+15551234567).',
  },
  invalid_locale: { status: 400, title: 'Invalid locale', detail: 'Give the locale as a language tag such as en or pt-BR.' },
  invalid_client: { status: 400, title: 'Invalid client', detail: 'The client_id is not a known client.' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed', detail: 'This client does not accept requests from this origin.' },
  method_not_allowed: { status: 400, title: 'Method not allowed', detail: 'This sign-in method is not enabled.' },
  invalid_token: { status: 400, title: 'Invalid token', detail: 'The token is invalid or expired.' },
  invalid_access_token: { status: 401, title: 'Unauthorized', detail: 'A valid access token is required.' },
  reauthentication_required: {
    status: 401,
    title: 'Reauthentication required',
    detail: 'This change needs a recent sign-in; sign in again and retry.',
  },
  last_sign_in_method: {
    status: 400,
    title: 'Last sign-in method',
    detail: 'This is the account\'s last way to sign in; add a verified identifier or a passkey first.',
  },
  invalid_api_key: { status: 401, title: 'Unauthorized', detail: 'A valid admin API key is required.' },
  invalid_metrics_token: { status: 401, title: 'Unauthorized', detail: 'A valid metrics token is required.' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', detail: 'This admin API key lacks the scope this call needs.' },
  keys_managed_by_operator: {
    status: 409,
    title: 'Keys managed by the operator',
    detail: 'JWT_PRIVATE_KEY is set: the signing key is managed outside Sesame; rotate it there.',
  },
  invalid_query: { status: 400, title: 'Invalid query', detail: 'The query parameters are not valid.' },
  invalid_cursor: { status: 400, title: 'Invalid cursor', detail: 'Pass back a next_cursor exactly as a previous page returned it.' },
  invalid_metadata: { status: 400, title: 'Invalid metadata', detail: 'Metadata must be a JSON object of at most 4 KB.' },
  identifier_required: { status: 400, title: 'Identifier required', detail: 'A user needs an email address or a phone number.' },
  user_exists: { status: 409, title: 'User exists', detail: 'Another user already has this email address or phone number.' },
  invalid_client_settings: { status: 400, title: 'Invalid client settings', detail: 'One or more client settings are not valid; see errors.' },
  client_exists: { status: 409, title: 'Client exists', detail: 'A client with this client_id already exists.' },
  user_disabled: { status: 409, title: 'User disabled', detail: 'The user is disabled; enable the user first.' },
  invalid_passkey: { status: 400, title: 'Invalid passkey', detail: 'The passkey could not be verified.' },
  throttled: { status: 429, title: 'Too many requests', detail: 'A code was sent recently; wait before asking again.' },
  rate_limited: { status: 429, title: 'Too many requests', detail: 'Too many requests from this client; retry later.' },
  not_found: { status: 404, title: 'Not found', detail: 'No such resource.' },
  payload_too_large: { status: 413, title: 'Payload too large', detail: 'The request body is too large.' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', detail: 'Send the body as application/json.' },
  // Expected under overload: admission control counts these and logs them once a second (S48).
  overloaded: { status: 503, title: 'Overloaded', detail: 'Codes cannot be delivered in time right now; retry later.', loggedElsewhere: true },
  service_unavailable: { status: 503, title: 'Service unavailable', detail: 'The service cannot answer right now; retry later.' },
  invalid_webhook_url: {
    status: 400,
    title: 'Invalid webhook URL',
    detail: 'The URL must be https (http only to a loopback host where private networks are allowed) and carry no credentials.',
  },
  invalid_webhook_events: { status: 400, title: 'Invalid webhook events', detail: 'List one or more known event types.' },
  webhook_not_found: { status: 404, title: 'Not found', detail: 'No such webhook.' },
  webhook_delivery_not_found: { status: 404, title: 'Not found', detail: 'No such webhook delivery.' },
  // The hook client has counted and logged the failure (once a second per hook and reason, S43).
  hook_unavailable: { status: 503, title: 'Hook unavailable', detail: 'A required hook did not answer in time or answered badly; retry later.', loggedElsewhere: true },
  internal_error: { status: 500, title: 'Internal error', detail: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; title: string; detail: string; loggedElsewhere?: true }>;

export type ErrorCode = keyof typeof ERRORS;

/** A failure with a stable public code; `headers` lets a service ask for e.g. Retry-After. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(ERRORS[code].detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.headers = options.headers ?? {};
  }
}
