/**
 * The key store: which key signs, which keys are published, and the maintenance that moves
 * keys through their states (see key-lifecycle.ts). Keys live in the database with their
 * private part encrypted under a subkey of SESAME_SECRET (S27); replicas agree through the
 * database, never through memory alone: each one reloads the key set every KEY_RELOAD_INTERVAL
 * (workers/key-maintenance.ts) and state changes run under an advisory lock. An operator-managed key (JWT_PRIVATE_KEY)
 * replaces all of this with one fixed key.
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { JwtAlg } from '../config/index.ts';
import type { Clock } from '../lib/clock.ts';
import { deriveSubkey } from '../lib/secret-keys.ts';
import type { KeyState, SigningKeyRepository } from '../repositories/signing-key-repository.ts';
import type { Logger } from '../services/types.ts';
import { planMaintenance, type LifecyclePolicy, type MaintenancePlan } from './key-lifecycle.ts';
import { generateStoredKey, publicJwkOf, publicKeyOf, unseal } from './key-material.ts';
import type { OperatorKey } from './operator-key.ts';

export interface SigningKey {
  kid: string;
  alg: JwtAlg;
  privateKey: KeyObject;
  /** When the key was generated; unknown for an operator's key (JWT_PRIVATE_KEY). */
  createdAt?: Date;
}

export interface PublishedKey {
  kid: string;
  alg: JwtAlg;
  state: KeyState;
  publicKey: KeyObject;
}

export interface MaintenanceReport extends MaintenancePlan {
  /** The kid created as next, when one was. */
  created: string | undefined;
}

export interface KeyStore {
  /** The key that signs now; always one of the published keys. */
  signingKey(): SigningKey;
  /** The JWKS document, serialized once per change of the key set. */
  jwksJson(): string;
  /** A published key by kid, for local verification. */
  publishedKey(kid: string): PublishedKey | undefined;
  /** The algorithms of the published keys: the only ones a token may carry (S28). */
  algorithms(): JwtAlg[];
  /** Reads the published keys and the current key from the database. */
  reload(): Promise<void>;
  /** One lifecycle step under the lock, then a reload. `rotateNow` starts a rotation off schedule. */
  maintain(options?: { rotateNow?: boolean }): Promise<MaintenanceReport>;
}

interface KeyStoreDeps {
  keys: SigningKeyRepository;
  secrets: readonly Buffer[];
  alg: JwtAlg;
  clock: Clock;
  policy: LifecyclePolicy;
  log: Logger;
  operatorKey?: OperatorKey | undefined;
}

const ALGORITHMS: readonly JwtAlg[] = ['ES256', 'EdDSA', 'RS256'];

/** Loads the key store, bootstrapping a current key when none fits JWT_ALG. */
export async function loadKeyStore(deps: KeyStoreDeps): Promise<KeyStore> {
  if (deps.operatorKey !== undefined) return operatorKeyStore(deps.operatorKey);
  const encryptionKeys = deps.secrets.map((secret) => deriveSubkey(secret, 'key-encryption'));

  await deps.keys.withLock(async (tx) => {
    const [existing] = await tx.findByState('current');
    if (existing && existing.alg === deps.alg) return;
    const now = deps.clock.now();
    // First start, or JWT_ALG changed: the operator asked for it, so the new key signs at once.
    // The old one stays published until its tokens have expired; a waiting next key of the
    // old algorithm never signed anything and is dropped.
    if (existing) await tx.retire(existing.kid, now);
    for (const next of await tx.findByState('next')) if (next.alg !== deps.alg) await tx.remove(next.kid);
    await tx.insert(await generateStoredKey(deps.alg, 'current', encryptionKeys[0]!, now));
  });

  let signing: SigningKey | undefined;
  let published = new Map<string, PublishedKey>();
  let jwksJson = '';

  async function reload(): Promise<void> {
    const stored = await deps.keys.listPublished();
    const current = stored.find((key) => key.state === 'current');
    if (current === undefined) throw new Error('no current signing key in the database');
    // Decrypt only when the current key changed; reloads are otherwise one cheap query.
    const nextSigning = signing?.kid === current.kid
      ? signing
      : { kid: current.kid, alg: current.alg as JwtAlg, privateKey: unseal(current, encryptionKeys), createdAt: current.createdAt };
    const ordered = [...stored].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.createdAt.getTime() - a.createdAt.getTime());
    const fingerprint = ordered.map((key) => `${key.kid}:${key.state}`).join(',');
    if (fingerprint !== fingerprintOf(published)) {
      const jwks: JWK[] = ordered.map((key) => publicJwkOf(key.kid, key.alg, key.publicJwk));
      published = new Map(ordered.map((key, index) => [key.kid, { kid: key.kid, alg: key.alg as JwtAlg, state: key.state, publicKey: publicKeyOf(jwks[index]!) }]));
      jwksJson = JSON.stringify({ keys: jwks });
    }
    signing = nextSigning;
  }

  async function maintain(options: { rotateNow?: boolean } = {}): Promise<MaintenanceReport> {
    const report = await deps.keys.withLock(async (tx) => {
      const now = deps.clock.now();
      const plan = planMaintenance(await tx.listAll(), now, deps.policy, options.rotateNow ?? false);
      for (const kid of plan.remove) {
        await tx.remove(kid);
        deps.log.info({ kid }, 'signing key removed after its retention');
      }
      if (plan.promote !== undefined) {
        for (const current of await tx.findByState('current')) await tx.retire(current.kid, now);
        await tx.activate(plan.promote, now);
        deps.log.info({ kid: plan.promote }, 'signing key promoted to current');
      }
      let created: string | undefined;
      if (plan.createNext) {
        const key = await generateStoredKey(deps.alg, 'next', encryptionKeys[0]!, now);
        await tx.insert(key);
        created = key.kid;
        deps.log.info({ kid: key.kid, promotableAt: plan.promotableAt }, 'signing key created as next');
      }
      return { ...plan, created };
    });
    await reload();
    return report;
  }

  await reload();
  return {
    signingKey: () => signing!,
    jwksJson: () => jwksJson,
    publishedKey: (kid) => published.get(kid),
    algorithms: () => ALGORITHMS.filter((alg) => [...published.values()].some((key) => key.alg === alg)),
    reload,
    maintain,
  };
}

const STATE_ORDER: Record<KeyState, number> = { current: 0, next: 1, retired: 2 };

function fingerprintOf(published: Map<string, PublishedKey>): string {
  return [...published.values()].map((key) => `${key.kid}:${key.state}`).join(',');
}

/** One fixed key from the operator: nothing is generated, rotated or read from the database. */
function operatorKeyStore(key: OperatorKey): KeyStore {
  const jwk = publicJwkOf(key.kid, key.alg, key.publicJwk);
  const published: PublishedKey = { kid: key.kid, alg: key.alg, state: 'current', publicKey: publicKeyOf(jwk) };
  const jwksJson = JSON.stringify({ keys: [jwk] });
  const signing: SigningKey = { kid: key.kid, alg: key.alg, privateKey: key.privateKey };
  return {
    signingKey: () => signing,
    jwksJson: () => jwksJson,
    publishedKey: (kid) => (kid === key.kid ? published : undefined),
    algorithms: () => [key.alg],
    async reload() {},
    async maintain() {
      throw new Error('signing keys are managed by the operator (JWT_PRIVATE_KEY); rotate them there');
    },
  };
}
