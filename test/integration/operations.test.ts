// Probes, failing closed when PostgreSQL is gone, several replicas on one database, and the
// real entry point: `npm start` on a fresh machine with the embedded defaults.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type TestDatabase } from '../helpers/database.ts';
import { codeIn, eventually, startTestApp, testEnv } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { READINESS_CACHE_MS } from '../../src/routes/health.ts';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { LOG_BUFFER_BYTES } from '../../src/lib/log-destination.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws } from '../helpers/fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('operations', () => {
  let ses: SesLocal;

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
  });

  function database(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
    return withDatabase(suite, options);
  }

  /** An app that reaches its database through a TCP proxy the test can cut or black-hole. */
  async function appBehindProxy(env: Record<string, string> = {}) {
    const db = await database();
    const target = new URL(db.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const app = await withTestApp(suite, { db: { ...db, url: viaProxy.toString() }, env });
    return { db, proxy, app };
  }

  it('reports liveness and readiness', async () => {
    const app = await withTestApp(suite, { db: await database() });
    const health = await fetch(`${app.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
  });

  it('asks the database at most once a second however often /readyz is called', async () => {
    const app = await withTestApp(suite, { db: await database() });
    const db = app.app.db;
    const ping = db.ping.bind(db);
    let pings = 0;
    db.ping = async () => {
      pings += 1;
      return ping();
    };
    await new Promise((resolve) => setTimeout(resolve, READINESS_CACHE_MS + 50));
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 200 }, async () => (await fetch(`${app.url}/readyz`)).status));
    for (let i = 0; i < 20; i += 1) statuses.push((await fetch(`${app.url}/readyz`)).status);
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.ok(pings >= 1 && pings <= Math.ceil(seconds) + 1, `${pings} pings in ${seconds.toFixed(2)} s for ${statuses.length} probes`);
  });

  it('fails closed with 503 when PostgreSQL becomes unreachable, and sends nothing (S22)', async () => {
    const { db, proxy, app } = await appBehindProxy();
    await db.pool.query("INSERT INTO users (email) VALUES ('down@example.com')");
    assert.equal((await fetch(`${app.url}/readyz`)).status, 200);

    await proxy.cut();
    // The last answer stands for READINESS_CACHE_MS; the outage shows right after.
    const ready = await eventually(async () => {
      const response = await fetch(`${app.url}/readyz`);
      return response.status === 503 ? response : undefined;
    }, READINESS_CACHE_MS + 2_000);
    assert.equal(((await ready.json()) as { code: string }).code, 'service_unavailable');
    for (let i = 0; i < 3; i++) {
      const response = await app.post('/passwordless/request/email', { email: 'down@example.com' });
      assert.equal(response.status, 503);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.code, 'service_unavailable');
      assert.equal(body.detail, 'The service cannot answer right now; retry later.');
    }
    const exchange = await app.post('/passwordless/exchange/email', { email: 'down@example.com', token: '123456' });
    assert.equal(exchange.status, 503);
    await app.app.services.delivery.drain();
    assert.equal((await ses.emails('down@example.com')).length, 0);
  });

  it('answers 503 within DATABASE_STATEMENT_TIMEOUT_MS when PostgreSQL is black-holed, and recovers (issue 8)', async () => {
    const { proxy, app } = await appBehindProxy({ DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_CONNECT_TIMEOUT_MS: '1000' });
    assert.equal((await app.post('/passwordless/request/email', { email: 'hole@example.com' })).status, 202);

    // Packets dropped, not refused: before statement and read timeouts, these requests hung forever.
    proxy.blackHole(true);
    const statuses = await Promise.all([1, 2, 3].map(async (i) => {
      const response = await fetch(`${app.url}/passwordless/request/email`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `hole${i}@example.com` }),
        signal: AbortSignal.timeout(20_000),
      });
      return response.status;
    }));
    assert.deepEqual(statuses, [503, 503, 503]);
    assert.equal((await fetch(`${app.url}/readyz`, { signal: AbortSignal.timeout(20_000) })).status, 503);

    proxy.blackHole(false);
    await eventually(async () => ((await app.post('/passwordless/request/email', { email: 'hole-back@example.com' })).status === 202 ? true : undefined), 20_000);
    await proxy.cut();
  });

  it('turns unready at once while draining and closes each connection after its reply (issue 8)', async () => {
    const app = await withTestApp(suite, { db: await database() });
    assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
    app.app.lifecycle.draining = true;
    const ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(ready.headers.get('connection'), 'close');
    const served = await app.post('/passwordless/request/email', { email: 'drain@example.com' });
    assert.equal(served.status, 202, 'requests still in reach are served while draining');
    assert.equal(served.headers.get('connection'), 'close');
  });

  it('lets two replicas start together on an empty database: one migration, one signing key', async () => {
    const db = await database({ migrated: false });
    const [first, second] = await Promise.all([withTestApp(suite, { db }), withTestApp(suite, { db })]);
    const { rows: migrations } = await db.pool.query('SELECT migration_name FROM _prisma_migrations');
    const { rows: keys } = await db.pool.query('SELECT kid, state FROM signing_keys');
    assert.equal(keys.length, 1);
    assert.equal(migrations.length >= 1, true);
    const jwksFirst = await (await fetch(`${first!.url}/.well-known/jwks.json`)).text();
    const jwksSecond = await (await fetch(`${second!.url}/.well-known/jwks.json`)).text();
    assert.equal(jwksFirst, jwksSecond);

    // A token signed by one replica verifies against the other's JWKS.
    await db.pool.query("INSERT INTO users (email) VALUES ('replica@example.com')");
    await first!.post('/passwordless/request/email', { email: 'replica@example.com' });
    const mail = await eventually(async () => (await ses.emails('replica@example.com'))[0]);
    const exchanged = await second!.post('/passwordless/exchange/email', { email: 'replica@example.com', token: codeIn(mail.body.text ?? '') });
    assert.equal(exchanged.status, 200);
    const { access_token } = (await exchanged.json()) as { access_token: string };
    await jwtVerify(access_token, createRemoteJWKSet(new URL(`${first!.url}/.well-known/jwks.json`)), {
      issuer: 'https://auth.sesame.test', audience: 'sesame-tests', typ: 'at+jwt', algorithms: ['ES256'],
    });
  });

  it('stores the private key encrypted, and a different secret cannot use it (S27)', async () => {
    const db = await database();
    const app = await withTestApp(suite, { db });
    const { rows } = await db.pool.query('SELECT public_jwk, private_key_enc FROM signing_keys');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].public_jwk.d, undefined);
    const sealed: Buffer = rows[0].private_key_enc;
    assert.ok(!sealed.includes(Buffer.from('PRIVATE KEY')));
    await assert.rejects(
      startTestApp({ db, env: { SESAME_SECRET: 'another-secret-another-secret-another-secret' } }),
      /cannot be decrypted/,
    );
    // Listing the old secret as a previous one keeps the key usable across a secret rotation.
    const rotated = await withTestApp(suite, { db, env: { SESAME_SECRET: 'another-secret-another-secret-another-secret', SESAME_PREVIOUS_SECRETS: 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz' } });
    assert.equal(await (await fetch(`${rotated.url}/.well-known/jwks.json`)).text(), await (await fetch(`${app.url}/.well-known/jwks.json`)).text());
  });

  it('signs with EdDSA or RS256 when JWT_ALG says so, keeping the old key published', async () => {
    const db = await database();
    const es = await withTestApp(suite, { db });
    for (const [alg, kty] of [['EdDSA', 'OKP'], ['RS256', 'RSA']] as const) {
      const app = await withTestApp(suite, { db, env: { JWT_ALG: alg } });
      const { keys } = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: { alg: string; kty: string }[] };
      assert.equal(keys[0]!.alg, alg);
      assert.equal(keys[0]!.kty, kty);
      assert.ok(keys.some((key) => key.alg === 'ES256'), 'the retired ES256 key stays published');
      await db.pool.query(`INSERT INTO users (email) VALUES ('${alg.toLowerCase()}@example.com')`);
      await app.post('/passwordless/request/email', { email: `${alg.toLowerCase()}@example.com` });
      const mail = await eventually(async () => (await ses.emails(`${alg.toLowerCase()}@example.com`))[0]);
      const response = await app.post('/passwordless/exchange/email', { email: `${alg.toLowerCase()}@example.com`, token: codeIn(mail.body.text ?? '') });
      const { access_token } = (await response.json()) as { access_token: string };
      const { protectedHeader } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), {
        algorithms: [alg], issuer: 'https://auth.sesame.test', audience: 'sesame-tests', typ: 'at+jwt',
      });
      assert.equal(protectedHeader.alg, alg);
    }
  });

  it('applies migrations with `npm run db:migrate`, after which MIGRATE_ON_START=false starts cleanly', async () => {
    const db = await database({ migrated: false });
    const output = await run(['--import', 'tsx', 'src/cli/migrate.ts'], { DATABASE_URL: db.url });
    assert.equal(output.code, 0, output.stderr);
    const migrations = readdirSync(join(ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
    assert.match(output.stdout, new RegExp(`\\b${migrations} applied, 0 already applied`));
    const again = await run(['--import', 'tsx', 'src/cli/migrate.ts'], { DATABASE_URL: db.url });
    assert.match(again.stdout, new RegExp(`\\b0 applied, ${migrations} already applied`));
    const app = await withTestApp(suite, { db, env: { MIGRATE_ON_START: 'false' } });
    assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
  });

  it('refuses to start in production with development defaults, listing every problem (S36)', async () => {
    // Production is the default: an unset NODE_ENV, or any value but development and test.
    for (const nodeEnv of ['production', '', 'staging']) {
      const output = await run(['--import', 'tsx', 'src/server.ts'], { NODE_ENV: nodeEnv });
      assert.equal(output.code, 1, `NODE_ENV="${nodeEnv}"`);
      for (const variable of ['SESAME_SECRET', 'DATABASE_URL', 'EMAIL_PROVIDER', 'JWT_ISSUER']) {
        assert.match(output.stderr, new RegExp(`- ${variable}:`));
      }
    }
  });

  it('serves sign-ins from `npm start` with only NODE_ENV=development: embedded PostgreSQL and console delivery', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sesame-start-'));
    const port = await freePort();
    const adminPort = await freePort();
    // The real command, build step included; npm must hand SIGTERM on to the server.
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port), ADMIN_PORT: String(adminPort), HOST: '127.0.0.1', EMBEDDED_POSTGRES_PORT: String(await freePort()), REGISTER_NONEXISTENT_USERS: 'true' },
    });
    try {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      const base = `http://127.0.0.1:${port}`;
      // Wait for this process to say it is ready before asking the port, so that another process
      // that happens to hold a port picked here cannot answer in its place.
      await eventually(() => (stdout.includes('sesame is ready') ? true : undefined), 60_000);
      assert.match(stdout, /embedded PostgreSQL/);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const request = await fetch(`${base}/passwordless/request/email`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'fresh@example.com' }),
      });
      assert.equal(request.status, 202);
      const code = await eventually(() => /\[console email to f\*\*\*@example\.com\][^\n]*\n.*?\b(\d{6})\b/.exec(stdout)?.[1]);
      const exchange = await fetch(`${base}/passwordless/exchange/email`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'fresh@example.com', token: code }),
      });
      assert.equal(exchange.status, 200);
      // The admin listener came up with it, and carries the metrics the public port does not.
      assert.equal((await fetch(`http://127.0.0.1:${adminPort}/metrics`)).status, 200);
      assert.equal((await fetch(`${base}/metrics`)).status, 404);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the service log', () => {
  const suite = suiteScope();

  // The app's own default, not the tests' capturing stream: lines leave through the buffered
  // standard-output destination (src/lib/log-destination.ts), so a change back to a
  // line-by-line destination in src/app.ts fails here.
  it('goes to standard output through the buffered destination', async () => {
    const db = await withDatabase(suite);
    const app = await buildApp(loadConfig(testEnv(db)), { runsWorker: () => false });
    try {
      const stream = (app.log as unknown as Record<symbol, { fd: number; minLength: number }>)[pino.symbols.streamSym]!;
      assert.equal(stream.fd, 1);
      assert.equal(stream.minLength, LOG_BUFFER_BYTES);
    } finally {
      await app.close();
    }
  });
});
