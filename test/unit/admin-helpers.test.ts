// The admin API's pure parts: key format and hashing, scope parsing, authentication against a
// fake repository (S41), opaque cursors, and the metadata limit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.ts';
import { decodeCursor, encodeCursor } from '../../src/lib/page-cursor.ts';
import { cryptoRandom } from '../../src/lib/random.ts';
import { ADMIN_SCOPES, createAdminKeyService, hashAdminKey, parseAdminScopes, type AdminKeyRecord, type AdminKeyRepository } from '../../src/services/admin/admin-keys.ts';
import { checkMetadata, MAX_METADATA_BYTES } from '../../src/services/metadata.ts';

function fakeKeys(): AdminKeyRepository & { rows: (AdminKeyRecord & { keyHash: Buffer })[]; touched: string[] } {
  const rows: (AdminKeyRecord & { keyHash: Buffer })[] = [];
  const touched: string[] = [];
  return {
    rows,
    touched,
    async insert(key) {
      const row = { id: `00000000-0000-4000-8000-${String(rows.length).padStart(12, '0')}`, name: key.name, scopes: key.scopes, createdAt: key.createdAt, lastUsedAt: null, revokedAt: null, keyHash: key.keyHash };
      rows.push(row);
      return row;
    },
    async list() { return rows; },
    async revoke(id, at) {
      const row = rows.find((candidate) => candidate.id === id && candidate.revokedAt === null);
      if (row) row.revokedAt = at;
      return row !== undefined;
    },
    async findByHash(hash) { return rows.find((row) => row.keyHash.equals(hash)) ?? null; },
    async touch(id) { touched.push(id); },
  };
}

const clock = { now: () => new Date('2026-11-30T00:00:00Z') };

describe('admin keys', () => {
  it('makes sak_ keys of 32 random bytes, stores only their SHA-256, and authenticates them (S41)', async () => {
    const keys = fakeKeys();
    const service = createAdminKeyService({ keys, clock, random: cryptoRandom });
    const { id, key } = await service.create(' ops ');
    assert.match(key, /^sak_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(key.slice(4), 'base64url').length, 32);
    assert.deepEqual(keys.rows[0]!.keyHash, createHash('sha256').update(key).digest());
    assert.deepEqual(keys.rows[0]!.keyHash, hashAdminKey(key));
    assert.equal(keys.rows[0]!.name, 'ops');
    assert.deepEqual(keys.rows[0]!.scopes, [...ADMIN_SCOPES]);
    assert.deepEqual(await service.authenticate(key), { keyId: id, name: 'ops', scopes: [...ADMIN_SCOPES] });
    assert.deepEqual(keys.touched, [id]);
  });

  it('refuses malformed, unknown and revoked keys without touching them', async () => {
    const keys = fakeKeys();
    const service = createAdminKeyService({ keys, clock, random: cryptoRandom });
    const { id, key } = await service.create('x', ['audit:read']);
    for (const presented of ['', 'sak_', `${key}A`, key.toUpperCase(), `sak_${'A'.repeat(43)}`, key.replace('sak_', 'sk_')]) {
      assert.equal(await service.authenticate(presented), null, presented);
    }
    assert.equal(await service.revoke(id.toUpperCase()), true, 'ids are compared in lower case');
    assert.equal(await service.authenticate(key), null);
    assert.equal(await service.revoke(id), false, 'already revoked');
    assert.equal(await service.revoke('not-a-uuid'), false);
    assert.deepEqual(keys.touched, []);
  });

  it('refuses empty, overlong and control-character names', async () => {
    const service = createAdminKeyService({ keys: fakeKeys(), clock, random: cryptoRandom });
    for (const name of ['', '   ', 'x'.repeat(101), 'line\nbreak']) await assert.rejects(service.create(name), /the name must be/);
  });

  it('parses scope lists: known scopes only, duplicates folded, none is an error', () => {
    assert.deepEqual(parseAdminScopes('users:read, audit:read,users:read'), ['users:read', 'audit:read']);
    assert.throws(() => parseAdminScopes('users:read,admin'), /unknown scope "admin"/);
    assert.throws(() => parseAdminScopes(' , '), /no scopes given/);
    assert.deepEqual(ADMIN_SCOPES, ['users:read', 'users:write', 'sessions:write', 'audit:read', 'keys:write', 'clients:write', 'webhooks:write']);
  });
});

describe('page cursors', () => {
  it('round-trip a sort key and refuse anything else', () => {
    const cursor = encodeCursor(['2026-11-30T00:00:00.000Z', 'abc']);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor, 2), ['2026-11-30T00:00:00.000Z', 'abc']);
    assert.equal(decodeCursor(cursor, 1), undefined, 'wrong arity');
    for (const bad of ['', '!!!', 'a'.repeat(513), Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url'), Buffer.from('not json').toString('base64url')]) {
      assert.equal(decodeCursor(bad, 2), undefined, bad);
    }
  });
});

describe('metadata', () => {
  it('accepts JSON objects up to 4 KB of UTF-8 and refuses the rest with invalid_metadata', () => {
    const exact = { v: 'x'.repeat(MAX_METADATA_BYTES - JSON.stringify({ v: '' }).length) };
    assert.equal(Buffer.byteLength(JSON.stringify(exact)), 4096);
    assert.equal(checkMetadata(exact), exact);
    assert.deepEqual(checkMetadata({}), {});
    for (const bad of [{ v: `${exact.v}x` }, { v: 'é'.repeat(2100) }, [], null, 'text', 42]) {
      assert.throws(() => checkMetadata(bad), (error) => error instanceof AppError && error.code === 'invalid_metadata');
    }
  });
});
