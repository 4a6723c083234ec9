// Refresh-token material (S29) and the new settings, without I/O.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { childRefreshToken, hashPresentedRefreshToken, newRefreshToken } from '../../src/lib/refresh-tokens.ts';
import { cryptoRandom } from '../../src/lib/random.ts';

describe('refresh tokens', () => {
  it('are 256-bit base64url strings whose stored form is their SHA-256', () => {
    const { token, hash } = newRefreshToken(cryptoRandom);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.deepEqual(hashPresentedRefreshToken(token), hash);
    assert.equal(hash.length, 32);
  });

  it('derive the same child from the same parent and key, and a different one under another key', () => {
    const parent = newRefreshToken(cryptoRandom).token;
    const key = Buffer.alloc(32, 1);
    const child = childRefreshToken(key, parent);
    assert.deepEqual(childRefreshToken(key, parent), child);
    assert.notEqual(childRefreshToken(Buffer.alloc(32, 2), parent).token, child.token);
    assert.notEqual(child.token, parent);
    assert.match(child.token, /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuse to hash anything that cannot be one of ours', () => {
    for (const presented of ['', 'short', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`]) {
      assert.equal(hashPresentedRefreshToken(presented), undefined, presented);
    }
  });
});

describe('session and key settings', () => {
  const base = { NODE_ENV: 'test' };

  it('default to 30 days absolute, 7 days idle, a 10 s grace for parallel tabs, rotation every 30 days', () => {
    const config = loadConfig(base);
    assert.equal(config.refreshTokenTtlSeconds, 30 * 86_400);
    assert.equal(config.refreshTokenIdleTtlSeconds, 7 * 86_400);
    assert.equal(config.refreshReuseGraceSeconds, 10);
    assert.equal(config.keyRotationIntervalSeconds, 30 * 86_400);
    assert.equal(config.keyReloadIntervalSeconds, 60);
    assert.equal(config.operatorKey, undefined);
  });

  it('refuse a rotation interval too short to publish a key before it signs', () => {
    assert.throws(() => loadConfig({ ...base, KEY_ROTATION_INTERVAL: '700' }), /KEY_ROTATION_INTERVAL: must be 0 \(off\) or at least twice/);
    assert.equal(loadConfig({ ...base, KEY_ROTATION_INTERVAL: '0' }).keyRotationIntervalSeconds, 0);
    assert.equal(loadConfig({ ...base, KEY_ROTATION_INTERVAL: '720' }).keyRotationIntervalSeconds, 720);
  });

  it('bound the grace period', () => {
    assert.throws(() => loadConfig({ ...base, REFRESH_REUSE_GRACE_SECONDS: '301' }), /REFRESH_REUSE_GRACE_SECONDS: must be between 0 and 300/);
  });
});
