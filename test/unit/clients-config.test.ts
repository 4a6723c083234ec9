// DEFAULT_CLIENT_ID, ALLOWED_ORIGINS and CLIENT_RELOAD_INTERVAL: parsed once, every problem reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { configProblems } from '../helpers/config-problems.ts';

describe('clients configuration', () => {
  it('defaults to the client sesame, no extra origins, a 10 s reload, and JWT_CLIENT_ID following DEFAULT_CLIENT_ID', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.equal(config.defaultClientId, 'sesame');
    assert.deepEqual(config.allowedOrigins, []);
    assert.equal(config.clientReloadIntervalSeconds, 10);
    assert.equal(loadConfig({ NODE_ENV: 'test', DEFAULT_CLIENT_ID: 'web' }).jwtClientId, 'web');
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173' }).allowedOrigins, ['https://app.example.com', 'http://localhost:5173']);
  });

  it('reports a bad client id, each bad origin and a bad interval (S39)', () => {
    assert.deepEqual(configProblems({ DEFAULT_CLIENT_ID: 'My App', ALLOWED_ORIGINS: 'https://app.example.com/,https://*.example.com', CLIENT_RELOAD_INTERVAL: '-1' }), [
      'DEFAULT_CLIENT_ID: "My App" is not a client id (1 to 64 characters of a-z, 0-9, _ and -)',
      'ALLOWED_ORIGINS: "https://app.example.com/" is not an origin (scheme://host[:port], no path, no wildcard)',
      'ALLOWED_ORIGINS: "https://*.example.com": wildcards are not allowed in an origin',
      'CLIENT_RELOAD_INTERVAL: must be between 0 and 3600',
    ]);
  });

  it('refuses plain-HTTP origins in production (S36, S39)', () => {
    const problems = configProblems({ NODE_ENV: 'production', ALLOWED_ORIGINS: 'http://localhost:5173,https://app.example.com' });
    assert.ok(problems.includes('ALLOWED_ORIGINS: "http://localhost:5173" is not https://; plain-HTTP origins are for development'), problems.join('\n'));
    assert.ok(!problems.some((problem) => problem.includes('https://app.example.com')));
  });
});
