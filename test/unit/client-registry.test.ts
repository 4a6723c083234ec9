// The client registry over an in-memory clients table: fallbacks to the environment, the
// default client and its override, origins (S39), and the one validation the CLI and the admin
// API share. The same registry against PostgreSQL is in test/integration/clients.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientDefaults } from '../../src/composition.ts';
import { loadConfig } from '../../src/config/index.ts';
import { loginUrlProblem, originProblem } from '../../src/lib/client-fields.ts';
import type { ClientRepository, StoredClient } from '../../src/repositories/client-repository.ts';
import { createClientRegistry, validateClientInput } from '../../src/services/client-registry.ts';
import { createTestClock } from '../helpers/app.ts';

function memoryRepository(): ClientRepository & { rows: Map<string, StoredClient> } {
  const rows = new Map<string, StoredClient>();
  const empty = { name: null, allowedOrigins: null, loginUrl: null, allowedMethods: null, audience: null, accessTokenTtl: null, refreshTokenTtl: null, refreshTokenDelivery: null, emailFrom: null };
  return {
    rows,
    listAll: async () => [...rows.values()],
    find: async (id) => rows.get(id) ?? null,
    async insert(clientId, fields, now) {
      if (rows.has(clientId)) return null;
      const row = { clientId, ...empty, ...fields, createdAt: now, updatedAt: now };
      rows.set(clientId, row);
      return row;
    },
    async update(clientId, fields, now) {
      const row = rows.get(clientId);
      if (row === undefined) return null;
      Object.assign(row, fields, { updatedAt: now });
      return row;
    },
    remove: async (clientId) => rows.delete(clientId),
  };
}

const ENV = {
  NODE_ENV: 'test',
  JWT_ISSUER: 'https://auth.example.com',
  JWT_AUDIENCE: 'api',
  APP_NAME: 'Example',
  ALLOWED_ORIGINS: 'https://app.example.com',
  ALLOWED_PASSWORDLESS_METHODS: 'email,mobile',
  PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.example.com/login?token={token}',
};

function registry(env: Record<string, string> = {}) {
  const repository = memoryRepository();
  const clients = createClientRegistry({ repository, defaults: clientDefaults(loadConfig({ ...ENV, ...env })), clock: createTestClock(new Date('2031-01-01T00:00:00Z')), log: { info() {}, warn() {}, error() {} } });
  return { repository, clients };
}

describe('client registry', () => {
  it('builds the default client from the environment, with the issuer\'s origin always allowed', () => {
    const { clients } = registry();
    const client = clients.find(undefined)!;
    const { allowsOrigin, ...fields } = client;
    assert.deepEqual(fields, {
      clientId: 'sesame', name: 'Example', allowedOrigins: ['https://app.example.com', 'https://auth.example.com'],
      loginUrl: 'https://app.example.com/login?token={token}', allowedMethods: ['email', 'mobile'], audience: 'api', tokenClientId: 'sesame',
      accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 30 * 86_400, refreshTokenDelivery: 'body', emailFrom: undefined,
    });
    // The client's own check agrees with its list.
    assert.equal(allowsOrigin('https://app.example.com'), true);
    assert.equal(allowsOrigin('https://auth.example.com'), true);
    assert.equal(allowsOrigin('https://evil.example.com'), false);
    assert.equal(allowsOrigin('https://app.example.com/'), false);
    assert.equal(clients.find('sesame'), client);
    assert.equal(clients.find('other'), undefined);
    assert.equal(clients.allowsOrigin('https://app.example.com'), true);
    assert.equal(clients.allowsOrigin('https://auth.example.com'), true);
    assert.equal(clients.allowsOrigin('https://evil.example.com'), false);
  });

  it('names the default client DEFAULT_CLIENT_ID and its tokens JWT_CLIENT_ID', () => {
    assert.equal(registry({ DEFAULT_CLIENT_ID: 'web' }).clients.defaultClient().tokenClientId, 'web');
    const { clients } = registry({ DEFAULT_CLIENT_ID: 'web', JWT_CLIENT_ID: 'legacy' });
    assert.equal(clients.defaultClient().clientId, 'web');
    assert.equal(clients.defaultClient().tokenClientId, 'legacy');
  });

  it('falls back to the environment for unset fields, but not for origins', async () => {
    const { clients } = registry();
    const added = await clients.add('shop', { name: 'Shop', audience: 'shop-api' });
    assert.equal(added.outcome, 'ok');
    const shop = clients.find('shop')!;
    assert.equal(shop.loginUrl, 'https://app.example.com/login?token={token}');
    assert.equal(shop.accessTokenTtlSeconds, 900);
    assert.equal(shop.tokenClientId, 'shop');
    // A client's origins are only its own (and the issuer's).
    assert.deepEqual(shop.allowedOrigins, ['https://auth.example.com']);
    // CORS answers the default client's origin, but the shop does not allow it.
    assert.equal(clients.allowsOrigin('https://app.example.com'), true);
    assert.equal(shop.allowsOrigin('https://app.example.com'), false);
    assert.equal(shop.allowsOrigin('https://auth.example.com'), true);
    assert.deepEqual(clients.audiences().sort(), ['api', 'shop-api']);
  });

  it('lets a row with the default client\'s id override its fields, and removing it restores the environment\'s', async () => {
    const { clients } = registry();
    const updated = await clients.update('sesame', { allowed_origins: ['https://new.example.com'], access_token_ttl: 120 });
    assert.equal(updated.outcome, 'ok');
    assert.equal(clients.defaultClient().accessTokenTtlSeconds, 120);
    assert.equal(clients.allowsOrigin('https://app.example.com'), false);
    assert.equal(clients.allowsOrigin('https://new.example.com'), true);
    // The set is rebuilt with the client on reload.
    assert.equal(clients.defaultClient().allowsOrigin('https://app.example.com'), false);
    assert.equal(clients.defaultClient().allowsOrigin('https://new.example.com'), true);
    assert.equal(await clients.remove('sesame'), 'removed');
    assert.equal(clients.defaultClient().accessTokenTtlSeconds, 900);
    assert.equal(clients.allowsOrigin('https://app.example.com'), true);
  });

  it('answers exists, not found, and resets a field to its fallback with null', async () => {
    const { clients } = registry();
    assert.equal((await clients.add('shop', { access_token_ttl: 300 })).outcome, 'ok');
    assert.deepEqual(await clients.add('shop', {}), { outcome: 'exists' });
    assert.deepEqual(await clients.update('nobody', { name: 'X' }), { outcome: 'not_found' });
    assert.equal(await clients.remove('nobody'), 'not_found');
    assert.equal((await clients.update('shop', { access_token_ttl: null })).outcome, 'ok');
    assert.equal(clients.find('shop')!.accessTokenTtlSeconds, 900);
    assert.equal(clients.maxAccessTokenTtlSeconds(), 900);
  });

  it('reports one problem per bad field and writes nothing', async () => {
    const { clients, repository } = registry({ ALLOWED_PASSWORDLESS_METHODS: 'email' });
    const change = await clients.add('UPPER', {
      name: '', allowed_origins: ['https://ok.example.com/'], login_url: 'file:///etc/{token}', allowed_methods: ['mobile'],
      audience: 'has space', access_token_ttl: 59, refresh_token_ttl: 1.5, refresh_token_delivery: 'header', email_from: 'a@b',
    });
    assert.equal(change.outcome, 'invalid');
    assert.deepEqual(change.outcome === 'invalid' ? change.problems.map((problem) => problem.field) : [], [
      'client_id', 'name', 'allowed_origins', 'login_url', 'allowed_methods', 'audience', 'access_token_ttl', 'refresh_token_ttl', 'refresh_token_delivery', 'email_from',
    ]);
    assert.equal(repository.rows.size, 0);
    assert.deepEqual(validateClientInput('ok_id-1', { allowed_methods: ['email'] }, ['email']), []);
  });
});

describe('client fields', () => {
  it('accepts exact origins only (S39)', () => {
    for (const good of ['https://app.example.com', 'http://localhost:5173', 'https://app.example.com:8443']) assert.equal(originProblem(good), undefined, good);
    for (const bad of ['https://app.example.com/', 'https://app.example.com/path', 'https://*.example.com', '*', 'app.example.com', 'ftp://x.example.com', 'https://App.Example.com', 'https://app.example.com:443', 'https://user@app.example.com']) {
      assert.notEqual(originProblem(bad), undefined, bad);
    }
  });

  it('accepts https, localhost http and app schemes as login URLs, never javascript:, data: or file: (S11)', () => {
    for (const good of ['https://app.example.com/login?token={token}', 'http://localhost:3000/{token}', 'http://127.0.0.1/{token}', 'myapp://login/{token}']) {
      assert.equal(loginUrlProblem(good), undefined, good);
    }
    for (const bad of ['https://app.example.com/login', 'http://app.example.com/{token}', 'javascript:alert(1)//{token}', 'JavaScript:alert(1)//{token}', 'data:text/html,{token}', 'file:///tmp/{token}', 'relative/{token}']) {
      assert.notEqual(loginUrlProblem(bad), undefined, bad);
    }
  });
});
