// Normalization of the identifiers people sign in with (S14, S15).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeEmail, normalizePhone } from '../../src/lib/identifiers.ts';

describe('normalizeEmail (S14)', () => {
  it('trims and lower-cases one address', () => {
    assert.equal(normalizeEmail('  Ada.Lovelace+tag@Example.COM '), 'ada.lovelace+tag@example.com');
  });

  for (const [label, input] of [
    ['a comma-separated list', 'a@example.com,b@example.com'],
    ['a semicolon list', 'a@example.com;b@example.com'],
    ['a display name', 'Ada <ada@example.com>'],
    ['angle brackets', '<ada@example.com>'],
    ['CR/LF header injection', 'ada@example.com\r\nBcc: eve@example.com'],
    ['a NUL byte', 'ada@example.com\u0000'],
    ['two @', 'ada@home@example.com'],
    ['no domain dot', 'ada@localhost'],
    ['a numeric top-level domain', 'ada@127.0.0.1'],
    ['an empty local part', '@example.com'],
    ['a leading dot', '.ada@example.com'],
    ['consecutive dots', 'ada..l@example.com'],
    ['quotes', '"ada"@example.com'],
    ['a space inside', 'ada lovelace@example.com'],
    ['a label starting with a hyphen', 'ada@-example.com'],
    ['255 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`],
  ] as const) {
    it(`refuses ${label}`, () => assert.equal(normalizeEmail(input), undefined));
  }

  it('folds Unicode compatibility characters (NFKC) before comparing: the Kelvin sign is k (S14)', () => {
    // U+212A KELVIN SIGN, fullwidth letters, a ligature, a superscript digit: one account each.
    assert.equal(normalizeEmail('\u212Aelvin@example.com'), 'kelvin@example.com');
    assert.equal(normalizeEmail('\u212aelvin@example.com'), normalizeEmail('kelvin@example.com'));
    assert.equal(normalizeEmail('\uFF4B\uFF45\uFF4C\uFF56\uFF49\uFF4E@example.com'), 'kelvin@example.com');
    assert.equal(normalizeEmail('KELVIN@EXAMPLE\uFF0ECOM'), 'kelvin@example.com');
    assert.equal(normalizeEmail('\uFB00@example.com'), 'ff@example.com');
    assert.equal(normalizeEmail('ada\u00B2@example.com'), 'ada2@example.com');
    // What does not fold to ASCII is refused, not guessed at: ü, dotless ı, Turkish İ, Cyrillic а.
    for (const input of ['m\u00FCller@example.com', 'k\u0131lic@example.com', '\u0130lker@example.com', '\u0430da@example.com', 'ada@m\u00FCnchen.de']) {
      assert.equal(normalizeEmail(input), undefined, input);
    }
    // Folding cannot smuggle a separator or control character in: U+FF20 (fullwidth @) folds to
    // @ and is then held to the one-@ rule like any other.
    assert.equal(normalizeEmail('ada\uFF20evil.com@example.com'), undefined);
    assert.equal(normalizeEmail('ada\uFF20example.com'), 'ada@example.com');
  });

  it('accepts 254 characters and a 64-character local part', () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    assert.equal(email.length, 254);
    assert.equal(normalizeEmail(email), email);
    assert.equal(normalizeEmail(`${'a'.repeat(65)}@example.com`), undefined);
  });
});

describe('normalizePhone (S15)', () => {
  it('returns E.164 for every spelling of one international number', () => {
    for (const input of ['+14155550123', '+1 (415) 555-0123', '+1 415.555.0123', ' +1-415-555-0123 ']) {
      assert.equal(normalizePhone(input, undefined), '+14155550123');
    }
  });

  it('accepts national formats only with a default region', () => {
    assert.equal(normalizePhone('(415) 555-0123', undefined), undefined);
    assert.equal(normalizePhone('(415) 555-0123', 'US'), '+14155550123');
    assert.equal(normalizePhone('0151 23456789', 'DE'), '+4915123456789');
  });

  it('refuses numbers that cannot receive SMS', () => {
    assert.equal(normalizePhone('+4930123456', undefined), undefined); // Berlin landline
    assert.equal(normalizePhone('+18005550199', undefined), undefined); // toll-free
  });

  it('refuses invalid numbers, letters and control characters', () => {
    for (const input of ['+1', '+999123456789', '+1415555012a', '+14155550123\n', 'call me', '']) {
      assert.equal(normalizePhone(input, 'US'), undefined, JSON.stringify(input));
    }
  });
});
