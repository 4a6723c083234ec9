// Named parameters: compiled once to positional ones; a call must name exactly the statement's parameters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statement } from '../../src/repositories/sql.ts';

describe('named-parameter statements', () => {
  it('compile :names to $n in order of first use, one number per name, and leave ::casts alone', () => {
    const query = statement<{ key: Buffer; now: Date; seconds: number }>('probe', `
SELECT 1 FROM t WHERE key = :key AND at <= :now::timestamptz - make_interval(secs => :seconds::int) AND :now > at`);
    assert.equal(query.text, `
SELECT 1 FROM t WHERE key = $1 AND at <= $2::timestamptz - make_interval(secs => $3::int) AND $2 > at`);
    assert.deepEqual(query.parameters, ['key', 'now', 'seconds']);
  });

  it('bind the values by name, whatever order the caller writes them in, and keep the statement name', () => {
    const query = statement<{ a: boolean; b: boolean }>('two_flags', 'SELECT :a::boolean AND NOT :b::boolean');
    assert.deepEqual(query.bind({ b: false, a: true }), { name: 'two_flags', text: 'SELECT $1::boolean AND NOT $2::boolean', values: [true, false] });
  });

  it('leave the name out of the query when the statement is planned per call, naming it in a comment instead', () => {
    const query = statement<{ limit: number }>('claim', '\nSELECT 1 LIMIT :limit', { prepared: false });
    assert.deepEqual(query.bind({ limit: 16 }), { text: '/* claim */ SELECT 1 LIMIT $1', values: [16] });
  });

  it('refuse a missing or an unknown name at the call, and positional parameters at compile time', () => {
    const query = statement<{ a: number; b: number }>('sum', 'SELECT :a + :b');
    assert.throws(() => query.bind({ a: 1 } as never), /^Error: sum: missing :b$/);
    assert.throws(() => query.bind({ a: 1, b: 2, c: 3 } as never), /^Error: sum: unknown :c$/);
    assert.throws(() => query.bind({ a: 1, c: 3 } as never), /^Error: sum: missing :b, unknown :c$/);
    assert.throws(() => statement('old', 'SELECT $1'), /old: use :named parameters/);
  });
});
