// Adaptive concurrency (AIMD) for the outbox dispatcher: in-flight codes halve when the provider
// throttles, fails or times out, hold while it is slow, and grow back by one bulk call a second of
// quick answers; with a frozen clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COOLDOWN_MS, createAdaptiveConcurrency, INCREASE_INTERVAL_MS, SLOW_CALL_MS } from '../../src/delivery/adaptive-concurrency.ts';
import { isOverloadSignal } from '../../src/delivery/provider-errors.ts';

describe('adaptive concurrency', () => {
  it('starts at the ceiling, halves on throttling at most once per cooldown, never below one bulk call', () => {
    let now = 0;
    const limit = createAdaptiveConcurrency({ max: 512, step: 50, now: () => now });
    assert.equal(limit.current, 512);
    limit.answered(30);
    assert.equal(limit.current, 512, 'never above DELIVERY_MAX_CONCURRENCY');
    limit.overloaded();
    assert.equal(limit.current, 256);
    // The same bad round: the other calls' throttling does not halve it again.
    limit.overloaded();
    limit.overloaded();
    assert.equal(limit.current, 256);
    now += COOLDOWN_MS;
    limit.overloaded();
    assert.equal(limit.current, 128);
    for (let i = 0; i < 10; i++) { now += COOLDOWN_MS; limit.overloaded(); }
    assert.equal(limit.current, 50, 'the floor: one bulk call');
  });

  it('grows back by one bulk call a second of quick answers, however many calls answer, and not during the cooldown', () => {
    let now = 0;
    const limit = createAdaptiveConcurrency({ max: 200, step: 50, now: () => now });
    limit.overloaded();
    assert.equal(limit.current, 100);
    // Quick answers right after the decrease belong to the round that was throttled.
    for (let i = 0; i < 100; i++) limit.answered(30);
    assert.equal(limit.current, 100);
    now += COOLDOWN_MS;
    for (let i = 0; i < 100; i++) limit.answered(30);
    assert.equal(limit.current, 150, 'one step, not one per call');
    now += INCREASE_INTERVAL_MS;
    limit.answered(30);
    assert.equal(limit.current, 200);
    now += INCREASE_INTERVAL_MS;
    limit.answered(30);
    assert.equal(limit.current, 200, 'never above the ceiling');
  });

  it('holds the limit while answers are slow (latency is not overload), and a ceiling below one bulk call stays put', () => {
    let now = 0;
    const limit = createAdaptiveConcurrency({ max: 400, step: 50, now: () => now });
    limit.answered(SLOW_CALL_MS + 4_000);
    assert.equal(limit.current, 400, 'a slow answer does not halve the limit');
    limit.overloaded();
    assert.equal(limit.current, 200);
    now += COOLDOWN_MS + INCREASE_INTERVAL_MS;
    limit.answered(SLOW_CALL_MS + 1);
    assert.equal(limit.current, 200, 'nor does it grow it');
    limit.answered(SLOW_CALL_MS);
    assert.equal(limit.current, 250, 'exactly SLOW_CALL_MS is not slow');
    const tiny = createAdaptiveConcurrency({ max: 4, step: 50, now: () => now });
    tiny.overloaded();
    assert.equal(tiny.current, 4);
  });

  it('counts throttling, 429, 5xx and timeouts as overload, and not a rejected address or bad credentials', () => {
    for (const summary of [{ name: 'TooManyRequestsException', status: 429 }, { name: 'ThrottlingException', status: 400 }, { name: 'ACCOUNT_THROTTLED' }, { name: 'InternalFailure', status: 500 }, { name: 'ServiceUnavailable', status: 503 }, { name: 'AbortError' }, { name: 'TimeoutError' }]) {
      assert.equal(isOverloadSignal(summary), true, summary.name);
    }
    for (const summary of [{ name: 'MessageRejected', status: 400 }, { name: 'ExpiredTokenException', status: 403 }, { name: 'MAIL_FROM_DOMAIN_NOT_VERIFIED' }, { name: 'NotFoundException', status: 404 }]) {
      assert.equal(isOverloadSignal(summary), false, summary.name);
    }
  });
});
