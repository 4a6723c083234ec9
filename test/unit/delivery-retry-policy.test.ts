import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProviderError, formatProviderError, isTransientProviderError } from '../../src/delivery/provider-errors.ts';
import { retryDelayMs } from '../../src/delivery/retry-backoff.ts';
import { classifySmtpError } from '../../src/delivery/smtp-email-sender.ts';
import type { RandomSource } from '../../src/lib/random.ts';

function awsError(name: string, status?: number): Error {
  const error = new Error('Address jane@example.com is not verified');
  error.name = name;
  if (status !== undefined) Object.assign(error, { $metadata: { httpStatusCode: status } });
  return error;
}

describe('provider error classification', () => {
  it('retries throttling, 5xx, timeouts and network errors', () => {
    for (const [name, status] of [
      ['TooManyRequestsException', 429],
      ['Throttling', 400],
      ['ThrottlingException', 400],
      ['ThrottledException', 400],
      ['LimitExceededException', 400],
      ['InternalFailure', 500],
      ['ServiceUnavailable', 503],
      ['AnythingElse', 502],
      ['TimeoutError', undefined],
      ['AbortError', undefined],
      ['Error', undefined],
      ['ExpiredTokenException', 403],
    ] as const) {
      assert.equal(isTransientProviderError(describeProviderError(awsError(name, status))), true, name);
    }
  });

  it('stops at rejected addresses, bad parameters and opted-out numbers', () => {
    for (const [name, status] of [
      ['MessageRejected', 400],
      ['MailFromDomainNotVerifiedException', 400],
      ['BadRequestException', 400],
      ['NotFoundException', 404],
      ['AccountSuspendedException', 400],
      ['InvalidParameterException', 400],
      ['InvalidParameterValueException', 400],
      ['OptedOut', 400],
    ] as const) {
      assert.equal(isTransientProviderError(describeProviderError(awsError(name, status))), false, name);
    }
  });

  it('keeps the name and status only, never the message (S34)', () => {
    const summary = describeProviderError(awsError('MessageRejected', 400));
    assert.deepEqual(summary, { name: 'MessageRejected', status: 400 });
    assert.equal(formatProviderError(summary), 'MessageRejected 400');
    assert.equal(formatProviderError(describeProviderError(awsError('TimeoutError'))), 'TimeoutError');
    assert.deepEqual(describeProviderError('a string'), { name: 'UnknownError' });
  });
});

describe('retry backoff', () => {
  const settings = { baseMs: 1000, maxMs: 60_000 };
  const highest: RandomSource = { int: (max) => max - 1, bytes: (size) => Buffer.alloc(size) };
  const lowest: RandomSource = { int: () => 0, bytes: (size) => Buffer.alloc(size) };

  it('doubles the ceiling per failure up to the maximum (full jitter: anywhere from zero to it)', () => {
    assert.deepEqual([1, 2, 3, 4, 6, 7, 8, 50].map((n) => retryDelayMs(n, settings, highest)), [1000, 2000, 4000, 8000, 32_000, 60_000, 60_000, 60_000]);
    assert.equal(retryDelayMs(5, settings, lowest), 0);
  });
});

describe('SMTP failure classification', () => {
  const smtpError = (code: string, responseCode?: number) =>
    Object.assign(new Error(`${responseCode ?? ''} 5.1.1 <jane@example.com>: Recipient address rejected`), { code, responseCode });
  const verdict = (error: Error) => {
    const summary = describeProviderError(classifySmtpError(error));
    return `${formatProviderError(summary)} ${isTransientProviderError(summary) ? 'retry' : 'stop'}`;
  };

  it('retries 4xx replies, no reply at all, refused or missing credentials and TLS trouble; stops at other 5xx replies', () => {
    assert.deepEqual(
      [
        smtpError('EENVELOPE', 450), smtpError('EENVELOPE', 451), smtpError('EMESSAGE', 452), smtpError('EPROTOCOL', 421),
        smtpError('EENVELOPE', 550), smtpError('EMESSAGE', 552), smtpError('EENVELOPE', 553), smtpError('EMESSAGE', 554),
        smtpError('EAUTH', 535), smtpError('EENVELOPE', 530), smtpError('ETLS', 530), smtpError('ECONNECTION'), smtpError('ETIMEDOUT'), smtpError('ESOCKET'), smtpError('EENVELOPE'),
      ].map(verdict),
      [
        'SmtpTemporaryFailure 450 retry', 'SmtpTemporaryFailure 451 retry', 'SmtpTemporaryFailure 452 retry', 'SmtpTemporaryFailure 421 retry',
        'SmtpPermanentFailure 550 stop', 'SmtpPermanentFailure 552 stop', 'SmtpPermanentFailure 553 stop', 'SmtpPermanentFailure 554 stop',
        'SmtpAuthenticationFailed 535 retry', 'SmtpAuthenticationFailed 530 retry', 'SmtpTlsFailed 530 retry', 'SmtpConnectionFailed retry', 'SmtpTimeout retry', 'SmtpConnectionFailed retry', 'SmtpInvalidEnvelope stop',
      ],
    );
  });

  it('keeps the reply code, never the reply text (S34)', () => {
    const classified = classifySmtpError(smtpError('EENVELOPE', 550));
    assert.equal(classified.message, 'SmtpPermanentFailure');
    assert.ok(!JSON.stringify(describeProviderError(classified)).includes('jane'));
  });
});
