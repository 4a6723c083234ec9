// Keyed hashes, subkeys, sealing of private keys and code generation (S1, S8, S9, S27).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandAlphabet } from '../../src/lib/alphabet.ts';
import { createCodeHasher } from '../../src/lib/code-hasher.ts';
import { maskEmail, maskPhone } from '../../src/lib/mask.ts';
import { cryptoRandom, randomString } from '../../src/lib/random.ts';
import { decrypt, deriveSubkey, encrypt, keyedHash, secretsEqual } from '../../src/lib/secret-keys.ts';

const SECRET = Buffer.from('unit-test-secret-0123456789-abcdefghijklmnop');
const OLD_SECRET = Buffer.from('unit-test-old-secret-0123456789-abcdefghijkl');

describe('subkeys and keyed hashes', () => {
  it('derives a different 32-byte key per purpose', () => {
    const a = deriveSubkey(SECRET, 'code-hash');
    const b = deriveSubkey(SECRET, 'key-encryption');
    assert.equal(a.length, 32);
    assert.notDeepEqual(a, b);
    assert.deepEqual(deriveSubkey(SECRET, 'code-hash'), a);
  });

  it('separates parts so that moving a boundary changes the hash', () => {
    const key = deriveSubkey(SECRET, 'code-hash');
    assert.notDeepEqual(keyedHash(key, ['ab', 'c']), keyedHash(key, ['a', 'bc']));
  });

  it('binds a short code to its channel and destination (S8, S10)', () => {
    const hasher = createCodeHasher([SECRET]);
    const hash = hasher.short('email', 'a@example.com', '123456');
    assert.notDeepEqual(hash, hasher.short('email', 'b@example.com', '123456'));
    assert.notDeepEqual(hash, hasher.short('mobile', 'a@example.com', '123456'));
    assert.notDeepEqual(hash, hasher.short('email', 'a@example.com', '123457'));
    assert.ok(!hash.includes(Buffer.from('123456')));
  });

  it('keeps codes hashed under a previous secret verifiable during a rotation', () => {
    const before = createCodeHasher([OLD_SECRET]);
    const after = createCodeHasher([SECRET, OLD_SECRET]);
    const stored = before.short('email', 'a@example.com', '123456');
    const candidates = after.shortCandidates('email', 'a@example.com', '123456');
    assert.equal(candidates.length, 2);
    assert.ok(candidates.some((candidate) => secretsEqual(candidate, stored)));
    assert.deepEqual(after.short('email', 'a@example.com', '123456'), candidates[0]);
  });

  it('compares secrets of unequal length as unequal without throwing (S9)', () => {
    assert.equal(secretsEqual(Buffer.from('abc'), Buffer.from('abcd')), false);
    assert.equal(secretsEqual(Buffer.from('abc'), Buffer.from('abc')), true);
  });
});

describe('sealing (S27)', () => {
  const key = deriveSubkey(SECRET, 'key-encryption');

  it('round-trips and never contains the plaintext', () => {
    const plaintext = Buffer.from('private key bytes');
    const sealed = encrypt(key, plaintext, 'signing-key:abc');
    assert.ok(!sealed.includes(plaintext));
    assert.deepEqual(decrypt(key, sealed, 'signing-key:abc'), plaintext);
  });

  it('refuses another key, another context and a flipped bit', () => {
    const sealed = encrypt(key, Buffer.from('x'), 'signing-key:abc');
    assert.throws(() => decrypt(deriveSubkey(OLD_SECRET, 'key-encryption'), sealed, 'signing-key:abc'));
    assert.throws(() => decrypt(key, sealed, 'signing-key:other'));
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    assert.throws(() => decrypt(key, tampered, 'signing-key:abc'));
  });

  it('never uses an IV twice, across the blocks it draws them in, and each sealing opens', () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const plaintext = Buffer.from(`payload ${i}`);
      const sealed = encrypt(key, plaintext, 'outbox');
      ivs.add(sealed.subarray(1, 13).toString('hex'));
      assert.deepEqual(decrypt(key, sealed, 'outbox'), plaintext);
    }
    assert.equal(ivs.size, 1_000);
    assert.ok(!ivs.has('00'.repeat(12)));
  });
});

describe('codes (S1)', () => {
  it('expands alphabet specs and refuses unsafe ones', () => {
    assert.equal(expandAlphabet('0-9'), '0123456789');
    assert.equal(expandAlphabet('a-f0-3'), 'abcdef0123');
    assert.equal(expandAlphabet('ABC'), 'ABC');
    assert.equal(typeof expandAlphabet('a-9'), 'object');
    assert.equal(typeof expandAlphabet('<>'), 'object');
    assert.equal(typeof expandAlphabet('aaaa'), 'object');
  });

  it('draws every character of the alphabet with roughly equal frequency', () => {
    const counts = new Map<string, number>();
    const code = randomString(cryptoRandom, '0123456789', 60_000);
    for (const char of code) counts.set(char, (counts.get(char) ?? 0) + 1);
    assert.equal(counts.size, 10);
    for (const count of counts.values()) assert.ok(count > 5_400 && count < 6_600, `count ${count}`);
  });
});

describe('masking (S34)', () => {
  it('keeps enough to correlate and never the whole identifier', () => {
    assert.equal(maskEmail('jane@example.com'), 'j***@example.com');
    assert.equal(maskPhone('+14155550123'), '+1******0123');
    assert.equal(maskPhone('+123'), '***');
  });
});
