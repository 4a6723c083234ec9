/**
 * Admin API keys (S41): `sak_` and 256 random bits, shown once; only the SHA-256 is stored, so a
 * database leak gives no usable key. A key carries scopes; a call needing a scope the key lacks
 * is refused. No HTTP and no SQL here.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import type { RandomSource } from '../../lib/random.ts';
import { secretsEqual } from '../../lib/secret-keys.ts';

/** Every scope an admin key can hold; a key created without a list holds them all. */
export const ADMIN_SCOPES = ['users:read', 'users:write', 'sessions:write', 'audit:read', 'keys:write', 'clients:write', 'webhooks:write'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

export interface AdminKeyRecord {
  id: string;
  name: string;
  scopes: AdminScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The key an admin request authenticated with: its id goes into the audit trail, never the key. */
export interface AdminPrincipal {
  keyId: string;
  name: string;
  scopes: readonly AdminScope[];
}

export interface AdminKeyRepository {
  insert(key: { name: string; keyHash: Buffer; scopes: AdminScope[]; createdAt: Date }): Promise<AdminKeyRecord>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<AdminKeyRecord[]>;
  /** Marks a live key revoked; false when there is no such live key. */
  revoke(id: string, at: Date): Promise<boolean>;
  findByHash(keyHash: Buffer): Promise<(AdminKeyRecord & { keyHash: Buffer }) | null>;
  /** Records use, at most once a minute per key (a write per request would be wasted). */
  touch(id: string, at: Date): Promise<void>;
}

export interface AdminKeyService {
  /** Creates a key; the only time the key itself exists outside the caller's hands. */
  create(name: string, scopes?: readonly AdminScope[]): Promise<{ id: string; key: string }>;
  list(): Promise<AdminKeyRecord[]>;
  revoke(id: string): Promise<boolean>;
  /** The live key `presented` is, or null (unknown, malformed or revoked). */
  authenticate(presented: string): Promise<AdminPrincipal | null>;
}

const KEY_PREFIX = 'sak_';
/** 32 bytes: 256 bits of randomness, base64url (43 characters). */
const KEY_BYTES = 32;
const KEY_SHAPE = /^sak_[A-Za-z0-9_-]{43}$/;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_NAME = 100;

/** SHA-256 of a presented key; a fast hash is right here because the key has 256 bits of entropy. */
export function hashAdminKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Parses a comma-separated scope list (`users:read,audit:read`); throws naming the first unknown scope. */
export function parseAdminScopes(text: string): AdminScope[] {
  const scopes = text.split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
  if (scopes.length === 0) throw new Error('no scopes given');
  for (const scope of scopes) {
    if (!(ADMIN_SCOPES as readonly string[]).includes(scope)) throw new Error(`unknown scope "${scope}" (known: ${ADMIN_SCOPES.join(', ')})`);
  }
  return [...new Set(scopes as AdminScope[])];
}

export function createAdminKeyService(deps: { keys: AdminKeyRepository; clock: Clock; random: RandomSource }): AdminKeyService {
  const { keys, clock, random } = deps;
  return {
    async create(name, scopes = ADMIN_SCOPES) {
      const trimmed = name.trim();
      if (trimmed === '' || trimmed.length > MAX_NAME || /[\p{Cc}]/u.test(trimmed)) throw new Error(`the name must be 1 to ${MAX_NAME} printable characters`);
      const key = KEY_PREFIX + random.bytes(KEY_BYTES).toString('base64url');
      const record = await keys.insert({ name: trimmed, keyHash: hashAdminKey(key), scopes: [...scopes], createdAt: clock.now() });
      return { id: record.id, key };
    },

    list: () => keys.list(),

    async revoke(id) {
      if (!UUID_SHAPE.test(id)) return false;
      return keys.revoke(id.toLowerCase(), clock.now());
    },

    async authenticate(presented) {
      if (!KEY_SHAPE.test(presented)) return null;
      const hash = hashAdminKey(presented);
      const found = await keys.findByHash(hash);
      // The lookup is by hash, which reveals nothing of the key; the constant-time check is a
      // second guard that the row really is this key's (S9).
      if (found === null || !secretsEqual(found.keyHash, hash) || found.revokedAt !== null) return null;
      await keys.touch(found.id, clock.now());
      return { keyId: found.id, name: found.name, scopes: found.scopes };
    },
  };
}
