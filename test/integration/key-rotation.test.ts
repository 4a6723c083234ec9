// Signing-key rotation end to end (S26): next keys are published before they sign, retired
// keys stay published until their tokens have expired and every cache has let go, then they
// are removed and their tokens fail. Replicas agree through the database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, eventually, TEST_SECRET, type TestApp, type TestClock } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { getWithToken, signIn, type Tokens } from '../helpers/sign-in.ts';
import { suiteScope, eachTestScope, withDatabase, withTestApp, withLocalAws, createUser } from '../helpers/fixtures.ts';
import { withLowS } from '../../src/keys/ecdsa-low-s.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const ISSUER = 'https://auth.sesame.test';
// Maintenance is driven by the test (the schedule's timer would fire only after an hour).
// Publication delay: JWKS_MAX_AGE + KEY_RELOAD_INTERVAL = 3,900 s; retention: ACCESS_TOKEN_TTL + that = 4,800 s.
const MANUAL = { KEY_RELOAD_INTERVAL: '3600', KEY_ROTATION_INTERVAL: '0', TOKEN_REQUEST_THROTTLE_SECONDS: '0' };
const PUBLISH_DELAY = 300 + 3600;
const RETENTION = 900 + 300 + 3600;

describe('signing-key rotation', () => {
  let ses: SesLocal;

  const suite = suiteScope();
  before(async () => {
    ({ ses } = await withLocalAws(suite, { ses: true }));
  });
  // Each test's apps stop with it, so no dispatcher or key schedule outlives its test.
  const each = eachTestScope();

  function database(): Promise<TestDatabase> {
    return withDatabase(suite);
  }

  async function start(db: TestDatabase, clock: TestClock, env: Record<string, string> = MANUAL): Promise<TestApp> {
    const app = await withTestApp(each, { db, clock, env });
    return app;
  }

  async function jwksKids(app: TestApp): Promise<string[]> {
    const { keys } = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    return keys.map((key) => key.kid);
  }

  /** Verifies as a sibling service would: a fresh remote JWKS, everything pinned. */
  function verifyThroughJwks(app: TestApp, token: string, clock: TestClock) {
    return jwtVerify(token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), {
      algorithms: ['ES256'], issuer: ISSUER, audience: 'sesame-tests', typ: 'at+jwt', clockTolerance: 60, currentDate: clock.now(),
    });
  }

  async function refreshOn(app: TestApp, tokens: Tokens): Promise<Tokens> {
    const response = await app.post('/token/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(response.status, 200);
    return (await response.json()) as Tokens;
  }

  async function states(db: TestDatabase): Promise<Record<string, string>> {
    const { rows } = await db.pool.query<{ kid: string; state: string }>('SELECT kid, state FROM signing_keys');
    return Object.fromEntries(rows.map((row) => [row.kid, row.state]));
  }

  it('rotates: old tokens verify during retirement, new tokens carry the new kid, a removed key\'s tokens fail', async () => {
    const db = await database();
    const clock = createTestClock();
    const app = await start(db, clock);
    await createUser(db, 'rotation@example.com');
    let tokens = await signIn(app, ses, 'rotation@example.com');
    const oldKid = decodeProtectedHeader(tokens.access_token).kid!;
    const oldKey = app.app.services.keys.signingKey();

    // Step 1: a next key is created and published, but does not sign yet.
    const started = await app.app.services.keys.maintain({ rotateNow: true });
    const newKid = started.created!;
    assert.ok(newKid && newKid !== oldKid);
    assert.deepEqual(await states(db), { [oldKid]: 'current', [newKid]: 'next' });
    assert.deepEqual(await jwksKids(app), [oldKid, newKid]);
    tokens = await refreshOn(app, tokens);
    assert.equal(decodeProtectedHeader(tokens.access_token).kid, oldKid, 'a next key never signs');

    // Step 2: it is promoted only after JWKS_MAX_AGE + KEY_RELOAD_INTERVAL.
    clock.advance(PUBLISH_DELAY - 1);
    assert.equal((await app.app.services.keys.maintain()).promote, undefined);
    assert.equal((await states(db))[newKid], 'next');
    clock.advance(1);
    assert.equal((await app.app.services.keys.maintain()).promote, newKid);
    assert.deepEqual(await states(db), { [oldKid]: 'retired', [newKid]: 'current' });
    assert.deepEqual(await jwksKids(app), [newKid, oldKid], 'the retired key stays published');

    tokens = await refreshOn(app, tokens);
    assert.equal(decodeProtectedHeader(tokens.access_token).kid, newKid, 'new tokens carry the new kid');
    await verifyThroughJwks(app, tokens.access_token, clock);
    assert.equal((await getWithToken(app, '/me', tokens.access_token)).status, 200);

    // A token the old key signed just before its retirement still verifies through the JWKS.
    const lastOldToken = await signWith(oldKey, clock, tokens);
    await verifyThroughJwks(app, lastOldToken, clock);
    assert.equal((await getWithToken(app, '/me', lastOldToken)).status, 200);

    // Step 3: the retired key is removed after ACCESS_TOKEN_TTL + JWKS_MAX_AGE + KEY_RELOAD_INTERVAL.
    clock.advance(RETENTION - 1);
    assert.deepEqual((await app.app.services.keys.maintain()).remove, []);
    assert.deepEqual(await jwksKids(app), [newKid, oldKid]);
    clock.advance(1);
    assert.deepEqual((await app.app.services.keys.maintain()).remove, [oldKid]);
    assert.deepEqual(await states(db), { [newKid]: 'current' });
    assert.deepEqual(await jwksKids(app), [newKid]);

    // Tokens of the removed key fail, even freshly signed ones.
    const orphan = await signWith(oldKey, clock, tokens);
    await assert.rejects(verifyThroughJwks(app, orphan, clock), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    assert.equal((await getWithToken(app, '/me', orphan)).status, 401);
    tokens = await refreshOn(app, tokens);
    assert.equal((await getWithToken(app, '/me', tokens.access_token)).status, 200);
  });

  it('rotates on its own with KEY_ROTATION_INTERVAL: the schedule creates the next key and promotes it', async () => {
    const db = await database();
    const clock = createTestClock();
    // Every replica's tick runs each second here; publication takes JWKS_MAX_AGE 1 + reload 1.
    const app = await start(db, clock, { KEY_RELOAD_INTERVAL: '1', JWKS_MAX_AGE: '1', KEY_ROTATION_INTERVAL: '3600' });
    const [first] = await jwksKids(app);
    clock.advance(3600 - 2);
    const next = await eventually(async () => {
      const kids = await jwksKids(app);
      return kids.length === 2 ? kids[1] : undefined;
    }, 20_000);
    assert.equal((await states(db))[next!], 'next');
    clock.advance(2);
    await eventually(async () => ((await states(db))[next!] === 'current' ? true : undefined), 20_000);
    await eventually(async () => (app.app.services.keys.signingKey().kid === next ? true : undefined), 20_000);
    assert.equal((await states(db))[first!], 'retired');
  });

  it('runs two replicas on one database that rotate without ever signing with an unpublished key', async () => {
    const db = await database();
    const clock = createTestClock();
    const a = await start(db, clock);
    const b = await start(db, clock);
    const replicas = [a, b];
    await createUser(db, 'replicas@example.com');
    let tokens = await signIn(a, ses, 'replicas@example.com');

    /** Every replica signs only with a key that every replica publishes, and its tokens verify everywhere. */
    async function checkInvariant(step: string): Promise<void> {
      const published = await Promise.all(replicas.map(jwksKids));
      for (const signer of replicas) {
        tokens = await refreshOn(signer, tokens);
        const kid = decodeProtectedHeader(tokens.access_token).kid!;
        for (const [index, kids] of published.entries()) {
          assert.ok(kids.includes(kid), `${step}: replica ${index} publishes the signing key ${kid}`);
          await verifyThroughJwks(replicas[index]!, tokens.access_token, clock);
          assert.equal((await getWithToken(replicas[index]!, '/me', tokens.access_token)).status, 200, step);
        }
      }
    }
    /** What each replica's timer does every KEY_RELOAD_INTERVAL. */
    async function tick(...which: TestApp[]): Promise<void> {
      for (const replica of which) await replica.app.services.keys.maintain();
    }

    await checkInvariant('start');
    const [k1] = await jwksKids(a);
    // Both ask for a rotation at once: the advisory lock lets one create the next key.
    const reports = await Promise.all([a.app.services.keys.maintain({ rotateNow: true }), b.app.services.keys.maintain({ rotateNow: true })]);
    assert.equal(reports.filter((report) => report.created !== undefined).length, 1);
    const k2 = reports.find((report) => report.created)!.created!;
    await checkInvariant('next key created');

    // Replica B reloads late, just before the promotion is allowed; A promotes.
    clock.advance(3600);
    await tick(b);
    await checkInvariant('B reloaded');
    clock.advance(PUBLISH_DELAY - 3600);
    await tick(a);
    assert.equal(a.app.services.keys.signingKey().kid, k2);
    assert.equal(b.app.services.keys.signingKey().kid, k1, 'B has not reloaded yet and keeps signing with the retired, still published key');
    await checkInvariant('A promoted, B stale');
    clock.advance(60);
    await tick(b);
    assert.equal(b.app.services.keys.signingKey().kid, k2);
    await checkInvariant('both on the new key');

    clock.advance(RETENTION);
    await tick(b, a);
    assert.deepEqual(await jwksKids(a), [k2]);
    assert.deepEqual(await jwksKids(b), [k2]);
    await checkInvariant('old key removed');
  });

  it('rotates from the command line: `npm run keys -- rotate` creates a next key, and again promotes it when allowed', async () => {
    const db = await database();
    const clock = createTestClock();
    const app = await start(db, clock);
    const [k1] = await jwksKids(app);
    const env = { DATABASE_URL: db.url, SESAME_SECRET: TEST_SECRET, JWKS_MAX_AGE: '0', KEY_RELOAD_INTERVAL: '60', KEY_ROTATION_INTERVAL: '0' };
    const first = await run(['rotate'], env);
    assert.equal(first.code, 0, first.stderr);
    const k2 = /created next key ([A-Za-z0-9_-]+)/.exec(first.stdout)?.[1];
    assert.ok(k2, first.stdout);
    assert.match(first.stdout, new RegExp(`current\\s+ES256\\s+${escape(k1!)}`));
    assert.match(first.stdout, new RegExp(`next\\s+ES256\\s+${escape(k2)}`));

    // The running replica publishes it at its next reload.
    await app.app.services.keys.reload();
    assert.deepEqual(await jwksKids(app), [k1, k2]);

    const waiting = await run(['rotate'], env);
    assert.match(waiting.stdout, /a next key is waiting/);
    assert.equal((await states(db))[k2], 'next');
    // Instead of waiting JWKS_MAX_AGE + KEY_RELOAD_INTERVAL, the key is made older.
    await db.pool.query("UPDATE signing_keys SET created_at = created_at - interval '2 minutes' WHERE kid = $1", [k2]);
    const second = await run(['rotate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`promoted ${escape(k2)} to current`));
    await app.app.services.keys.reload();
    assert.equal(app.app.services.keys.signingKey().kid, k2);

    const usage = await run(['bogus'], env);
    assert.equal(usage.code, 2);
  });
});

/** Signs an access token with a captured key, as the service would have. */
async function signWith(key: { kid: string; alg: string; privateKey: import('node:crypto').KeyObject }, clock: TestClock, like: Tokens): Promise<string> {
  const { sub, sid } = JSON.parse(Buffer.from(like.access_token.split('.')[1]!, 'base64url').toString()) as { sub: string; sid: string };
  const now = Math.floor(clock.now().getTime() / 1000);
  // Low S, as Sesame signs: /me refuses the high-S twin.
  return withLowS(await new SignJWT({ client_id: 'sesame', sid })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(ISSUER).setSubject(sub).setAudience('sesame-tests').setIssuedAt(now).setExpirationTime(now + 900).setJti(crypto.randomUUID())
    .sign(key.privateKey));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
