// Issue 8 (faults and restarts): the timeouts and shutdown settings, and which database errors
// mean "unavailable" (503) rather than a bug (500).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { isDatabaseUnavailable } from '../../src/plugins/error-handler.ts';

describe('operations settings', () => {
  it('defaults: 5 s statements, 5 s connects (as before), connections replaced after 10 minutes, a 25 s grace period with a 5 s drain', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.equal(config.databaseStatementTimeoutMs, 5_000);
    assert.equal(config.databaseConnectTimeoutMs, 5_000);
    assert.equal(config.databaseConnectionMaxLifetimeSeconds, 600);
    assert.equal(config.shutdownGraceSeconds, 25);
    assert.equal(config.shutdownDrainSeconds, 5);
  });

  it('refuses a drain that does not fit in the grace period', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'test', SHUTDOWN_GRACE_SECONDS: '10', SHUTDOWN_DRAIN_SECONDS: '10' }), /SHUTDOWN_DRAIN_SECONDS/);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', DATABASE_STATEMENT_TIMEOUT_MS: '10' }), /DATABASE_STATEMENT_TIMEOUT_MS/);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', DATABASE_CONNECTION_MAX_LIFETIME_SECONDS: '-1' }), /DATABASE_CONNECTION_MAX_LIFETIME_SECONDS/);
  });

  it('a connection lifetime of 0 keeps connections for as long as they work', () => {
    assert.equal(loadConfig({ NODE_ENV: 'test', DATABASE_CONNECTION_MAX_LIFETIME_SECONDS: '0' }).databaseConnectionMaxLifetimeSeconds, 0);
  });
});

describe('database errors that mean unavailable', () => {
  it('recognises timeouts and connection failures, also wrapped as causes (Prisma)', () => {
    assert.ok(isDatabaseUnavailable(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })));
    assert.ok(isDatabaseUnavailable(new Error('Query read timeout')));
    assert.ok(isDatabaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })));
    assert.ok(isDatabaseUnavailable(Object.assign(new Error('adapter'), { cause: { originalCode: '57P01', message: 'terminating connection due to administrator command' } })));
  });

  it('leaves real bugs and constraint violations as they are', () => {
    assert.ok(!isDatabaseUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' })));
    assert.ok(!isDatabaseUnavailable(new TypeError('x is undefined')));
    assert.ok(!isDatabaseUnavailable(undefined));
  });
});
