/**
 * `npm run bench`: starts Sesame as its own process (production settings, SES/SNS through the
 * real SDK clients to a local sink), seeds identities, and drives each flow with autocannon.
 * Prints requests/s, p50, p99, non-2xx answers and the server's peak RSS.
 *
 * Database: a scratch database is created on the server of BENCH_DATABASE_URL (or DATABASE_URL)
 * and dropped afterwards; with neither set, an embedded PostgreSQL is started for the run.
 * BENCH_DURATION (seconds per flow, default 10), BENCH_CONNECTIONS (default 32).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.ts';
import { createCodeHasher } from '../src/lib/code-hasher.ts';
import { startAwsSink } from './aws-sink.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WARMUP_SECONDS = 3;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const CODE = '123456';
/** Identities seeded per flow: enough for a fast run, every request uses a fresh one. */
const POOL = (DURATION + WARMUP_SECONDS) * 12_000;

/** BENCH_PG_DETAIL=1: CPU by PostgreSQL process role (backends, checkpointer, autovacuum, ...). */
const pgDetail = new Map<string, number>();

/** BENCH_FLOWS=request,exchange picks flows by their first word; unset runs all. */
const ONLY = (process.env.BENCH_FLOWS ?? '').split(',').filter(Boolean);
const FLOWS: { name: string; path: string; body: (i: number) => unknown; emailDelayMs?: number }[] = [
  { name: 'request (email)', path: '/passwordless/request/email', body: (i) => ({ email: `r${i}@bench.test` }) },
  // The outbox promise: with SES answering after 5 s the request endpoint does not slow down.
  { name: 'slow-ses request (SES 5 s)', path: '/passwordless/request/email', body: (i) => ({ email: `s${i}@bench.test` }), emailDelayMs: 5_000 },
  { name: 'exchange (email)', path: '/passwordless/exchange/email', body: (i) => ({ email: `x${i}@bench.test`, token: CODE }) },
  { name: 'refresh', path: '/token/refresh', body: (i) => ({ refresh_token: refreshToken(i) }) },
];

/** The i-th seeded refresh token: deterministic, so the seed stores only its SHA-256. */
function refreshToken(i: number): string {
  return createHash('sha256').update(`bench-refresh-${i}`).digest('base64url');
}

interface FlowResult {
  flow: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU milliseconds per request spent by the server, PostgreSQL and the load generator. */
  cpuMsPerRequest: { server: number; postgres: number; loadgen: number; kernelShare: number };
}

const sink = await startAwsSink();
const database = await scratchDatabase();
const server = await startServer(database.url);
const results: FlowResult[] = [];
try {
  await seed(database.url);
  for (const flow of FLOWS) {
    if (ONLY.length > 0 && !ONLY.includes(flow.name.split(' ')[0]!)) continue;
    sink.setEmailDelay(flow.emailDelayMs ?? 0);
    results.push(await runFlow(flow.name, flow.path, flow.body));
    sink.setEmailDelay(0);
  }
} finally {
  const peakRssMb = peakRss(server.process.pid!);
  await server.stop();
  await database.drop();
  await sink.close();
  report(results, peakRssMb);
}

async function runFlow(name: string, path: string, body: (i: number) => unknown): Promise<FlowResult> {
  let next = 0;
  const run = (duration: number) => autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration,
    requests: [{
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify(body(next++ % POOL)) }),
    }],
  });
  await run(WARMUP_SECONDS);
  pgDetail.clear();
  const before = cpuSample();
  const result = await run(DURATION);
  const detailBefore = new Map(pgDetail); pgDetail.clear();
  const after = cpuSample();
  if (process.env.BENCH_PG_DETAIL) console.log(name, [...pgDetail].map(([k, v]) => `${k}: ${v - (detailBefore.get(k) ?? 0)} ms`).join(', '));
  const perRequest = (key: 'server' | 'postgres' | 'loadgen') => Math.round(((after[key] - before[key]) / result.requests.total) * 1000) / 1000;
  const total = (['server', 'postgres', 'loadgen'] as const).reduce((sum, key) => sum + after[key] - before[key], 0);
  return {
    flow: name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMsPerRequest: {
      server: perRequest('server'),
      postgres: perRequest('postgres'),
      loadgen: perRequest('loadgen'),
      kernelShare: Math.round(((after.system - before.system) / Math.max(1, total)) * 100) / 100,
    },
  };
}

/** CPU time (ms) of the server process, of every PostgreSQL process, and of this process (autocannon and the AWS sink). */
function cpuSample(): { server: number; postgres: number; loadgen: number; system: number } {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  const read = (pid: string): [number, number] => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return [Number(fields[11]) * ticksToMs, Number(fields[12]) * ticksToMs];
    } catch {
      return [0, 0];
    }
  };
  let postgres = 0;
  let system = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let comm = '';
    try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { continue; }
    if (comm !== 'postgres') continue;
    const [user, sys] = read(pid);
    postgres += user + sys;
    system += sys;
    if (process.env.BENCH_PG_DETAIL) {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const role = /postgres: (\S+(?: \S+)?)/.exec(cmd)?.[1] ?? cmd;
      pgDetail.set(role.startsWith('postgres sesame_bench') ? 'backends' : role, (pgDetail.get(role.startsWith('postgres sesame_bench') ? 'backends' : role) ?? 0) + user + sys);
    }
  }
  const [serverUser, serverSys] = read(String(server.process.pid));
  const [selfUser, selfSys] = read(String(process.pid));
  return { server: serverUser + serverSys, postgres, loadgen: selfUser + selfSys, system: system + serverSys + selfSys };
}

/** Users for the request flow; users with a live code for the exchange flow (its hash made as the service makes it). */
async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO users (email) SELECT 'r' || i || '@bench.test' FROM generate_series(0, $1::int - 1) i`, [POOL]);
    await client.query(`INSERT INTO users (email) SELECT 'x' || i || '@bench.test' FROM generate_series(0, $1::int - 1) i`, [POOL]);
    await client.query(`INSERT INTO users (email) SELECT 's' || i || '@bench.test' FROM generate_series(0, $1::int - 1) i`, [POOL]);
    const hasher = createCodeHasher([Buffer.from(SECRET)]);
    for (let start = 0; start < POOL; start += 20_000) {
      const destinations: string[] = [];
      const hashes: Buffer[] = [];
      for (let i = start; i < Math.min(POOL, start + 20_000); i++) {
        destinations.push(`x${i}@bench.test`);
        hashes.push(hasher.short('email', `x${i}@bench.test`, CODE));
      }
      await client.query(
        `INSERT INTO one_time_tokens (user_id, channel, destination, short_hash, max_uses, max_attempts, created_at, expires_at)
         SELECT u.id, 'email', d.destination, d.hash, 1, 5, now(), now() + interval '1 hour'
         FROM unnest($1::text[], $2::bytea[]) AS d(destination, hash) JOIN users u ON u.email = d.destination`,
        [destinations, hashes],
      );
    }
    // One live session per refresh token, as sign-ins would have left them.
    for (let start = 0; start < POOL; start += 20_000) {
      const hashes: Buffer[] = [];
      for (let i = start; i < Math.min(POOL, start + 20_000); i++) hashes.push(createHash('sha256').update(refreshToken(i)).digest());
      await client.query(
        `WITH owner AS (SELECT id FROM users WHERE email = 'x0@bench.test'),
              s AS (INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, ip, user_agent)
                    SELECT owner.id, now(), now(), now() + interval '30 days', '127.0.0.1', 'bench' FROM owner, generate_series(1, $2::int)
                    RETURNING id),
              numbered AS (SELECT id, row_number() OVER () AS n FROM s),
              tokens AS (SELECT hash, ordinality AS n FROM unnest($1::bytea[]) WITH ORDINALITY AS t(hash, ordinality))
         INSERT INTO refresh_tokens (token_hash, session_id, created_at) SELECT tokens.hash, numbered.id, now() FROM numbered JOIN tokens USING (n)`,
        [hashes, hashes.length],
      );
    }
    await client.query('VACUUM ANALYZE');
    // Write the seed's dirty pages out now, so the flows do not pay for the setup's checkpoint.
    await client.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await client.end();
  }
}

async function startServer(databaseUrl: string): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const logDir = mkdtempSync(join(tmpdir(), 'sesame-bench-'));
  const logFile = join(logDir, 'server.log');
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  // The production entry point: compiled JavaScript, as `npm start` and the container run it.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  // The same V8 flags as `npm start` and the container (see README, "Performance").
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=4').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...profile, ...nodeArgs, 'dist/server.js'], {
    cwd: ROOT,
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      // The benchmark needs no admin listener (and must not collide on its default port).
      ADMIN_PORT: '0',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? '20',
      SESAME_SECRET: SECRET,
      JWT_ISSUER: 'https://auth.bench.test',
      ALLOWED_PASSWORDLESS_METHODS: 'email,mobile',
      EMAIL_PROVIDER: 'ses',
      EMAIL_FROM: 'bench@bench.test',
      SMS_PROVIDER: 'sns',
      PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.bench.test/login?token={token}',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL_SESV2: sink.url,
      AWS_ENDPOINT_URL_SNS: sink.url,
      // The load comes from one IP: the limiter stays on (its cost is measured) with limits it cannot reach.
      RATE_LIMIT_REQUEST_PER_MINUTE: '1000000',
      RATE_LIMIT_EXCHANGE_PER_MINUTE: '1000000',
      RATE_LIMIT_GLOBAL_REQUEST_PER_MINUTE: '1000000',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('server did not become ready in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: child,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let adminUrl: string;
  if (serverUrl) {
    adminUrl = serverUrl;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'sesame-bench-pg-'));
    embedded = await startEmbeddedPostgres({ dataDir, port: 40_000 + Math.floor(Math.random() * 10_000), database: 'postgres', persistent: false });
    adminUrl = embedded.adminUrl;
  }
  const name = `sesame_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await embedded?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Peak resident set size of a process in MB (VmHWM), from /proc. */
function peakRss(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function report(flows: FlowResult[], peakRssMb: number | undefined): void {
  const rows = flows.map((r) => `| ${r.flow.padEnd(26)} | ${String(r.requestsPerSecond).padStart(7)} | ${String(r.p50).padStart(4)} | ${String(r.p99).padStart(4)} | ${String(r.non2xx).padStart(6)} | ${String(r.errors).padStart(6)} | ${r.cpuMsPerRequest.server.toFixed(2)} / ${r.cpuMsPerRequest.postgres.toFixed(2)} / ${r.cpuMsPerRequest.loadgen.toFixed(2)} (${Math.round(r.cpuMsPerRequest.kernelShare * 100)}% kernel) |`);
  const text = [
    `Sesame benchmark: ${CONNECTIONS} connections, ${DURATION} s per flow (after ${WARMUP_SECONDS} s warm-up), node ${process.version}`,
    '',
    '| flow                       |   req/s |  p50 |  p99 | non-2xx | errors | CPU ms per request: server / PostgreSQL / load generator |',
    '|----------------------------|---------|------|------|---------|--------|------|',
    ...rows,
    '',
    `server peak RSS: ${peakRssMb ?? '?'} MB; messages handed to the local AWS endpoints: ${sink.counts.email} email, ${sink.counts.sms} SMS`,
  ].join('\n');
  console.log(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `${new Date().toISOString().replaceAll(':', '-')}.json`), JSON.stringify({ flows, peakRssMb, connections: CONNECTIONS, duration: DURATION }, null, 2));
}
