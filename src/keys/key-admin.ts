/**
 * The signing-key operations an operator runs: list the stored keys, and one lifecycle step now
 * (`rotate`). Shared by `npm run keys` and the admin API, so both follow the same rules.
 */
import type { KeyStore, MaintenanceReport } from './key-store.ts';
import type { KeyState, SigningKeyRepository } from '../repositories/signing-key-repository.ts';

export interface SigningKeyView {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

const STATE_ORDER: Record<KeyState, number> = { current: 0, next: 1, retired: 2 };

/** The stored keys, current first, then next, then retired; public facts only. */
export async function listSigningKeys(repository: Pick<SigningKeyRepository, 'withLock'>): Promise<SigningKeyView[]> {
  const stored = await repository.withLock((tx) => tx.listAll());
  return stored
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state])
    .map(({ kid, alg, state, createdAt, activatedAt, retiredAt }) => ({ kid, alg, state, createdAt, activatedAt, retiredAt }));
}

/**
 * One lifecycle step now: creates a next key when none is waiting; promotes the waiting one
 * once it has been published long enough (JWKS_MAX_AGE + KEY_RELOAD_INTERVAL, S26); removes
 * retired keys past their retention.
 */
export function rotateSigningKeys(keys: Pick<KeyStore, 'maintain'>): Promise<MaintenanceReport> {
  return keys.maintain({ rotateNow: true });
}
