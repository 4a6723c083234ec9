// The key lifecycle decision, with a frozen clock: when a next key is created, when it may be
// promoted, when a retired key is removed (S26).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planMaintenance, type LifecyclePolicy } from '../../src/keys/key-lifecycle.ts';
import type { KeyState, StoredSigningKey } from '../../src/repositories/signing-key-repository.ts';

const POLICY: LifecyclePolicy = { accessTokenTtlSeconds: 900, jwksMaxAgeSeconds: 300, keyReloadIntervalSeconds: 60, keyRotationIntervalSeconds: 86_400 };
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function key(kid: string, state: KeyState, createdAt: Date, extra: { activatedAt?: Date; retiredAt?: Date } = {}): StoredSigningKey {
  return { kid, alg: 'ES256', state, publicJwk: {}, privateKeyEnc: Buffer.alloc(0), createdAt, activatedAt: extra.activatedAt ?? null, retiredAt: extra.retiredAt ?? null };
}

describe('key lifecycle', () => {
  const current = key('a', 'current', T0, { activatedAt: T0 });

  it('does nothing before the schedule asks for a new key', () => {
    assert.deepEqual(planMaintenance([current], at(3600), POLICY), { createNext: false, promote: undefined, remove: [], promotableAt: undefined });
  });

  it('creates the next key early enough to take over when the interval ends', () => {
    // The next key needs JWKS_MAX_AGE + KEY_RELOAD_INTERVAL = 360 s of publication.
    assert.equal(planMaintenance([current], at(86_400 - 361), POLICY).createNext, false);
    const plan = planMaintenance([current], at(86_400 - 360), POLICY);
    assert.equal(plan.createNext, true);
    assert.deepEqual(plan.promotableAt, at(86_400));
  });

  it('creates a next key on request, whatever the schedule, and with rotation off', () => {
    assert.equal(planMaintenance([current], at(10), { ...POLICY, keyRotationIntervalSeconds: 0 }, true).createNext, true);
    assert.equal(planMaintenance([current], at(10 * 86_400), { ...POLICY, keyRotationIntervalSeconds: 0 }).createNext, false);
  });

  it('promotes a next key only after it has been published for max-age plus the reload interval', () => {
    const next = key('b', 'next', at(1000));
    const early = planMaintenance([next, current], at(1359), POLICY, true);
    assert.equal(early.promote, undefined);
    assert.equal(early.createNext, false, 'one next key at a time');
    assert.deepEqual(early.promotableAt, at(1360));
    assert.equal(planMaintenance([next, current], at(1360), POLICY).promote, 'b');
  });

  it('removes a retired key once access-token TTL + max-age + reload interval have passed', () => {
    const retired = key('old', 'retired', at(-5000), { activatedAt: at(-5000), retiredAt: at(0) });
    assert.deepEqual(planMaintenance([current, retired], at(900 + 300 + 60 - 1), POLICY).remove, []);
    assert.deepEqual(planMaintenance([current, retired], at(900 + 300 + 60), POLICY).remove, ['old']);
  });
});
