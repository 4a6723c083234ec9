// Configuration of outbound calls: the private-network switch (S42) and the hooks (S43).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { newWebhookSecret } from '../../src/lib/standard-webhooks.ts';
import { configProblems } from '../helpers/config-problems.ts';

const BASE = { NODE_ENV: 'test' };

describe('hooks configuration', () => {
  it('defaults: no hooks, deny on failure, 2 s deadline, public https only, any email domain', () => {
    const config = loadConfig(BASE);
    assert.equal(config.webhookAllowPrivateNetworks, false);
    assert.equal(config.hookCustomClaimsUrl, undefined);
    assert.equal(config.hookBeforeUserCreatedUrl, undefined);
    assert.equal(config.hookTimeoutMs, 2000);
    assert.equal(config.hookCustomClaimsOnFailure, 'deny');
    assert.equal(config.hookBeforeUserCreatedOnFailure, 'deny');
    assert.deepEqual(config.signupAllowedEmailDomains, []);
  });

  it('needs a whsec_ HOOK_SECRET when a hook is set', () => {
    assert.deepEqual(configProblems({ ...BASE, HOOK_CUSTOM_CLAIMS_URL: 'https://backend.example.com/claims' }), [
      'HOOK_SECRET: required when HOOK_CUSTOM_CLAIMS_URL or HOOK_BEFORE_USER_CREATED_URL is set (hooks are always signed)',
    ]);
    assert.deepEqual(configProblems({ ...BASE, HOOK_SECRET: 'not-a-secret' }), ['HOOK_SECRET: must be whsec_ followed by base64 of 24 to 64 random bytes']);
    const secret = newWebhookSecret();
    assert.equal(loadConfig({ ...BASE, HOOK_SECRET: secret, HOOK_BEFORE_USER_CREATED_URL: 'https://backend.example.com/b' }).hookSecret, secret);
  });

  it('refuses http hook URLs unless private networks are allowed, and then only to loopback (S42)', () => {
    const secret = newWebhookSecret();
    assert.deepEqual(configProblems({ ...BASE, HOOK_SECRET: secret, HOOK_CUSTOM_CLAIMS_URL: 'http://backend.example.com/claims' }), [
      'HOOK_CUSTOM_CLAIMS_URL: refused (scheme_not_allowed): https only, or http to a loopback host with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true',
    ]);
    assert.deepEqual(configProblems({ ...BASE, HOOK_SECRET: secret, HOOK_CUSTOM_CLAIMS_URL: 'http://127.0.0.1:9000/claims', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }), []);
  });

  it('refuses WEBHOOK_ALLOW_PRIVATE_NETWORKS in production', () => {
    const problems = configProblems({ NODE_ENV: 'production', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    assert.ok(problems.includes('WEBHOOK_ALLOW_PRIVATE_NETWORKS: is for development and tests; production calls public https URLs only (S42)'), problems.join('\n'));
  });

  it('reads failure modes, the deadline and email domains', () => {
    const config = loadConfig({ ...BASE, HOOK_TIMEOUT_MS: '500', HOOK_CUSTOM_CLAIMS_ON_FAILURE: 'allow', HOOK_BEFORE_USER_CREATED_ON_FAILURE: 'allow', SIGNUP_ALLOWED_EMAIL_DOMAINS: 'Example.com, @corp.example.org' });
    assert.equal(config.hookTimeoutMs, 500);
    assert.equal(config.hookCustomClaimsOnFailure, 'allow');
    assert.equal(config.hookBeforeUserCreatedOnFailure, 'allow');
    assert.deepEqual(config.signupAllowedEmailDomains, ['example.com', 'corp.example.org']);
    assert.deepEqual(configProblems({ ...BASE, HOOK_CUSTOM_CLAIMS_ON_FAILURE: 'maybe' }), ['HOOK_CUSTOM_CLAIMS_ON_FAILURE: "maybe" is not one of deny, allow']);
    assert.deepEqual(configProblems({ ...BASE, SIGNUP_ALLOWED_EMAIL_DOMAINS: 'localhost' }), ['SIGNUP_ALLOWED_EMAIL_DOMAINS: "localhost" is not a domain name']);
  });
});
