import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProviderError, formatProviderError, isTransientProviderError } from '../../src/delivery/provider-errors.ts';
import { retryDelayMs } from '../../src/delivery/retry-backoff.ts';
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
