// The log's once-per-interval rule for failures that can repeat on every request (a hook that is
// down): the first occurrence is logged, the rest of the interval counted, and the next line
// says how many were left out; keys are independent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogThrottle } from '../../src/lib/log-throttle.ts';

describe('log throttle', () => {
  it('logs the first occurrence at once, leaves out the rest of the interval, and reports them on the next line', () => {
    let now = 10_000;
    const throttle = createLogThrottle({ intervalMs: 1_000, nowMs: () => now });
    assert.equal(throttle.take('hook:status'), 0);
    for (let i = 0; i < 5; i += 1) {
      now += 100;
      assert.equal(throttle.take('hook:status'), undefined);
    }
    now = 11_000; // a full interval after the logged line
    assert.equal(throttle.take('hook:status'), 5);
    now += 999;
    assert.equal(throttle.take('hook:status'), undefined);
    now += 1;
    assert.equal(throttle.take('hook:status'), 1);
    now += 60_000; // quiet for a minute: logged at once, nothing left out
    assert.equal(throttle.take('hook:status'), 0);
  });

  it('keeps each key apart', () => {
    const throttle = createLogThrottle({ intervalMs: 1_000, nowMs: () => 0 });
    assert.equal(throttle.take('custom_claims:timeout'), 0);
    assert.equal(throttle.take('custom_claims:status'), 0);
    assert.equal(throttle.take('before_user_created:timeout'), 0);
    assert.equal(throttle.take('custom_claims:timeout'), undefined);
  });
});
