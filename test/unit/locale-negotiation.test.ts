import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocaleResolver, parseAcceptLanguage } from '../../src/delivery/locale-negotiation.ts';

describe('Accept-Language parsing', () => {
  it('orders tags by q-value, keeping the header order for equal weights', () => {
    assert.deepEqual(parseAcceptLanguage('fr;q=0.5, de-CH, en;q=0.9, es'), ['de-CH', 'es', 'en', 'fr']);
  });

  it('drops q=0, the wildcard, malformed tags and malformed q-values', () => {
    assert.deepEqual(parseAcceptLanguage('de;q=0, *;q=0.9, en_US, fr;q=1.5, es;q=abc, pt ; q = 0.3, it;q=0.001'), ['pt', 'it']);
    assert.deepEqual(parseAcceptLanguage(undefined), []);
    assert.deepEqual(parseAcceptLanguage(''), []);
  });

  it('reads at most 20 entries of a hostile list', () => {
    const header = [...Array.from({ length: 25 }, () => 'xx'), 'de'].join(',');
    assert.deepEqual(parseAcceptLanguage(header).length, 20);
  });
});

describe('locale resolution', () => {
  const resolver = createLocaleResolver(['en', 'de', 'fr', 'es', 'pt', 'pt-br'], 'en');

  it('prefers the request locale, matching case-insensitively and by primary subtag', () => {
    assert.equal(resolver.resolve('DE-at', 'fr'), 'de');
    assert.equal(resolver.resolve('pt-BR', undefined), 'pt-br');
    assert.equal(resolver.resolve('pt-PT', undefined), 'pt');
  });

  it('falls through an unsupported request locale to Accept-Language, then to the default', () => {
    assert.equal(resolver.resolve('it', 'it-IT, es;q=0.8'), 'es');
    assert.equal(resolver.resolve('it', 'nl, sv;q=0.5'), 'en');
    assert.equal(resolver.resolve(undefined, undefined), 'en');
  });
});
