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
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** BENCH_FLOWS=request,exchange picks flows by their first word; unset runs all. */
const ONLY = (process.env.BENCH_FLOWS ?? '').split(',').filter(Boolean);
const FLOWS: { name: string; path: string; body: (i: number) => unknown }[] = [
  { name: 'request (email)', path: '/passwordless/request/email', body: (i) => ({ email: `r${i}@bench.test` }) },
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
}

const sink = await startAwsSink();
const database = await scratchDatabase();
const server = await startServer(database.url);
const results: FlowResult[] = [];
try {
  await seed(database.url);
  for (const flow of FLOWS) {
    if (ONLY.length === 0 || ONLY.includes(flow.name.split(' ')[0]!)) results.push(await runFlow(flow.name, flow.path, flow.body));
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
  const result = await run(DURATION);
  return {
    flow: name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Users for the request flow; users with a live code for the exchange flow (its hash made as the service makes it). */
async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO users (email) SELECT 'r' || i || '@bench.test' FROM generate_series(0, $1::int - 1) i`, [POOL]);
    await client.query(`INSERT INTO users (email) SELECT 'x' || i || '@bench.test' FROM generate_series(0, $1::int - 1) i`, [POOL]);
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
  } finally {
    await client.end();
  }
}

async function startServer(databaseUrl: string): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = 30_000 + Math.floor(Math.random() * 10_000);
  const logDir = mkdtempSync(join(tmpdir(), 'sesame-bench-'));
  const logFile = join(logDir, 'server.log');
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  // The production entry point: compiled JavaScript, as `npm start` and the container run it.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const child = spawn(process.execPath, [...profile, 'dist/server.js'], {
    cwd: ROOT,
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '20',
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
  const rows = flows.map((r) => `| ${r.flow.padEnd(22)} | ${String(r.requestsPerSecond).padStart(7)} | ${String(r.p50).padStart(4)} | ${String(r.p99).padStart(4)} | ${String(r.non2xx).padStart(6)} | ${String(r.errors).padStart(6)} |`);
  const text = [
    `Sesame benchmark: ${CONNECTIONS} connections, ${DURATION} s per flow (after ${WARMUP_SECONDS} s warm-up), node ${process.version}`,
    '',
    '| flow                   |   req/s | p50 ms | p99 ms | non-2xx | errors |'.replace('p50 ms', 'p50').replace('p99 ms', 'p99'),
    '|------------------------|---------|------|------|--------|--------|',
    ...rows,
    '',
    `server peak RSS: ${peakRssMb ?? '?'} MB; messages handed to the local AWS endpoints: ${sink.counts.email} email, ${sink.counts.sms} SMS`,
  ].join('\n');
  console.log(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `${new Date().toISOString().replaceAll(':', '-')}.json`), JSON.stringify({ flows, peakRssMb, connections: CONNECTIONS, duration: DURATION }, null, 2));
}
