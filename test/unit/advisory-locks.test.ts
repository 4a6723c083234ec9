// Advisory-lock keys live in src/db/locks.ts: distinct, and no code takes a key that is not listed there.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ADVISORY_LOCKS } from '../../src/db/locks.ts';

const SRC = new URL('../../src/', import.meta.url).pathname;

describe('advisory locks', () => {
  it('have distinct keys', () => {
    const keys = Object.values(ADVISORY_LOCKS);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('are taken only with keys from src/db/locks.ts', () => {
    const registered = new Set<number>(Object.values(ADVISORY_LOCKS));
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.startsWith('generated') && file !== join('db', 'locks.ts'));
    let users = 0;
    for (const file of files) {
      const text = readFileSync(join(SRC, file), 'utf8');
      if (!/pg_(try_)?advisory_(xact_)?(un)?lock/.test(text)) continue;
      users += 1;
      assert.doesNotMatch(text, /advisory_\w*lock\(\s*\d/, `${file}: a literal key`);
      for (const [, literal] of text.matchAll(/LOCK\w*\s*=\s*(0x[\da-f_]+|[\d_]+)\b/gi)) {
        assert.ok(registered.has(Number(literal!.replace(/_/g, ''))), `${file}: ${literal} is not in src/db/locks.ts`);
      }
    }
    assert.ok(users >= 3, 'the migrator, the key store and the retention cleanup take locks');
  });
});
