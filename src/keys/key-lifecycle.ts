/**
 * The key lifecycle as a pure decision: given the stored keys and the time, what one
 * maintenance step does. next (published, not signing) → current (signing) → retired
 * (published until its tokens expired) → removed (S26).
 *
 * Timing, with R the reload interval of replicas and M the JWKS cache max-age:
 *  - a next key is promoted only after it has been in the database for M + R: every replica
 *    has reloaded and published it, and every cached JWKS fetched before that has expired;
 *  - a retired key stays published for T + M + R (T the access-token lifetime): a replica that
 *    has not reloaded yet may still sign with it for up to R, its tokens live T, caches M.
 */
import type { StoredSigningKey } from '../repositories/signing-key-repository.ts';

export interface LifecyclePolicy {
  accessTokenTtlSeconds: number;
  jwksMaxAgeSeconds: number;
  keyReloadIntervalSeconds: number;
  /** 0: no automatic rotation. */
  keyRotationIntervalSeconds: number;
}

export interface MaintenancePlan {
  /** Create a next key. */
  createNext: boolean;
  /** Promote this next key to current and retire the current one. */
  promote: string | undefined;
  /** Retired keys whose retention has passed. */
  remove: string[];
  /** When the waiting next key may be promoted, if one is waiting. */
  promotableAt: Date | undefined;
}

export function publishDelaySeconds(policy: LifecyclePolicy): number {
  return policy.jwksMaxAgeSeconds + policy.keyReloadIntervalSeconds;
}

export function retentionSeconds(policy: LifecyclePolicy): number {
  return policy.accessTokenTtlSeconds + policy.jwksMaxAgeSeconds + policy.keyReloadIntervalSeconds;
}

/** One step. `rotateNow` asks for a rotation regardless of the schedule (the CLI). */
export function planMaintenance(keys: readonly StoredSigningKey[], now: Date, policy: LifecyclePolicy, rotateNow = false): MaintenancePlan {
  const at = now.getTime();
  const delayMs = publishDelaySeconds(policy) * 1000;
  const current = keys.find((key) => key.state === 'current');
  const next = keys.find((key) => key.state === 'next');
  const remove = keys
    .filter((key) => key.state === 'retired' && key.retiredAt !== null && at >= key.retiredAt.getTime() + retentionSeconds(policy) * 1000)
    .map((key) => key.kid);

  if (next !== undefined) {
    const promotableAt = new Date(next.createdAt.getTime() + delayMs);
    const ready = at >= promotableAt.getTime();
    return { createNext: false, promote: ready ? next.kid : undefined, remove, promotableAt: ready ? undefined : promotableAt };
  }
  // The schedule starts the next key early enough that it can take over when the interval ends.
  const activatedAt = current?.activatedAt ?? current?.createdAt;
  const due = policy.keyRotationIntervalSeconds > 0 && activatedAt !== undefined &&
    at >= activatedAt.getTime() + policy.keyRotationIntervalSeconds * 1000 - delayMs;
  const createNext = current !== undefined && (rotateNow || due);
  return { createNext, promote: undefined, remove, promotableAt: createNext ? new Date(at + delayMs) : undefined };
}
