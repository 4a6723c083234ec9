/**
 * How the dispatcher reads a provider's failure: its name and HTTP status only, never its
 * message, which can quote the address (S34); and whether trying again can help.
 */

export interface ProviderErrorSummary {
  name: string;
  /** The provider's status: HTTP for SES, SNS and the send hook, the SMTP reply code for SMTP. */
  status?: number;
  /** Set by providers whose statuses do not read like HTTP's (SMTP: 4xx is temporary, 5xx permanent). */
  transient?: boolean;
}

/**
 * A failure a sender has already classified: a stable name, the provider's status, and
 * whether trying again can help. Its message is the name, so nothing the provider said (which
 * can quote the address) travels further.
 */
export class ProviderError extends Error {
  readonly status: number | undefined;
  readonly transient: boolean;
  constructor(name: string, options: { status?: number | undefined; transient: boolean }) {
    super(name);
    this.name = name;
    this.status = options.status;
    this.transient = options.transient;
  }
}

/** The error's name and status, never its message. */
export function describeProviderError(error: unknown): ProviderErrorSummary {
  if (error instanceof ProviderError) {
    return error.status === undefined ? { name: error.name, transient: error.transient } : { name: error.name, status: error.status, transient: error.transient };
  }
  if (error instanceof Error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return status === undefined ? { name: error.name } : { name: error.name, status };
  }
  return { name: 'UnknownError' };
}

/** `MessageRejected 400`: what a job row keeps of its last failure. */
export function formatProviderError(summary: ProviderErrorSummary): string {
  return summary.status === undefined ? summary.name : `${summary.name} ${summary.status}`;
}

// The provider asks us to slow down: SES v2, SNS (modelled and query-protocol names), generic AWS.
const THROTTLING = new Set([
  'TooManyRequestsException',
  'Throttling',
  'ThrottlingException',
  'Throttled',
  'ThrottledException',
  'ThrottledRequestException',
  'RequestThrottled',
  'RequestThrottledException',
  'LimitExceededException',
  'KMSThrottlingException',
  'SlowDown',
]);

// Credentials that expired or are being rotated: the recipient is not at fault and an operator
// can fix it while the code is still valid, so these are retried until the token expires.
const CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
]);

/**
 * A sender's own classification wins (see ProviderError). Otherwise, transient: throttling, any 5xx, timeouts and network errors (no HTTP answer at all), and
 * credential trouble. Everything else the provider answered with a 4xx is permanent: a rejected
 * or malformed address (SES MessageRejected, BadRequest, NotFound, MailFromDomainNotVerified,
 * AccountSuspended; SNS InvalidParameter, InvalidParameterValue, opted-out numbers) will not
 * improve by asking again.
 */
export function isTransientProviderError(summary: ProviderErrorSummary): boolean {
  if (summary.transient !== undefined) return summary.transient;
  if (THROTTLING.has(summary.name) || CREDENTIALS.has(summary.name)) return true;
  if (summary.status === undefined) return true;
  return summary.status === 429 || summary.status >= 500;
}

/**
 * The provider is overloaded or asks us to slow down: throttling (by name, 429, or a bulk entry's
 * ACCOUNT_THROTTLED), a 5xx, or no answer in time (our timeout aborts the call: AbortError).
 * Read by adaptive concurrency (adaptive-concurrency.ts); a rejected address or bad credentials
 * say nothing about load.
 */
export function isOverloadSignal(summary: ProviderErrorSummary): boolean {
  if (THROTTLING.has(summary.name) || summary.name === 'ACCOUNT_THROTTLED' || summary.name === 'TimeoutError' || summary.name === 'AbortError') return true;
  return summary.status !== undefined && (summary.status === 429 || summary.status >= 500);
}
