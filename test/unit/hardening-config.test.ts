// Settings added by the hardening work: guess budgets (S6, S38), SMS shares (S21, S38).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { configProblems } from '../helpers/config-problems.ts';
import { sourceNetwork } from '../../src/lib/source-network.ts';

const problems = configProblems;

describe('hardening settings', () => {
  it('keeps the chance of guessing a 6-digit code within a day under 1 in 10,000 (S6)', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.equal(config.maxDestinationFailures, 10);
    assert.equal(config.maxDestinationFailuresPerDay, 90);
    // 90 counted failures + at most 4 concurrent overshoots, against 10^6 codes: 9.4e-5.
    assert.ok((config.maxDestinationFailuresPerDay + config.maxTokenAttempts - 1) / 1e6 < 1e-4);
    assert.deepEqual(problems({ MAX_DESTINATION_FAILURES_PER_DAY: '95' }), []);
    assert.match(problems({ MAX_DESTINATION_FAILURES_PER_DAY: '96' })[0]!, /^MAX_DESTINATION_FAILURES_PER_DAY: up to 100 guesses a day .* must stay under 1 in 10000$/);
    // Longer codes allow a higher ceiling.
    assert.deepEqual(problems({ MAX_DESTINATION_FAILURES_PER_DAY: '5000', SHORT_TOKEN_LENGTH: '8' }), []);
    assert.match(problems({ MAX_DESTINATION_FAILURES_PER_HOUR: '50', MAX_DESTINATION_FAILURES_PER_DAY: '40' })[0]!, /^MAX_DESTINATION_FAILURES_PER_HOUR: must not exceed/);
  });

  it('groups client addresses by /24 and /64 (S38)', () => {
    assert.equal(sourceNetwork('198.51.100.7'), '198.51.100.0/24');
    assert.equal(sourceNetwork('::ffff:198.51.100.7'), '198.51.100.0/24');
    assert.equal(sourceNetwork('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(sourceNetwork('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64');
  });

  it('refuses trusted proxy ranges that take in the internet (S20)', () => {
    for (const range of ['0.0.0.0/0', '::/0', '128.0.0.0/1', '::/3']) {
      assert.match(problems({ TRUSTED_PROXIES: `10.0.0.1,${range}` }).join('\n'), /^TRUSTED_PROXIES: ".*" trusts far too much of the internet/, range);
    }
    assert.deepEqual(problems({ TRUSTED_PROXIES: '10.0.0.0/8,fc00::/7,192.0.2.1,loopback' }), []);
  });

  it('orders the HTTP time limits (S47)', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'test' }).http, { requestTimeoutMs: 15_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 72_000, connectionTimeoutMs: 90_000 });
    assert.match(problems({ HEADERS_TIMEOUT_MS: '20000' })[0]!, /^HEADERS_TIMEOUT_MS: must be shorter than REQUEST_TIMEOUT_MS/);
    assert.match(problems({ CONNECTION_TIMEOUT_MS: '60000' })[0]!, /^CONNECTION_TIMEOUT_MS: must be longer than KEEP_ALIVE_TIMEOUT_MS/);
  });
});
