/**
 * `npm run bench`: starts Sesame as its own process (production settings, SES/SNS through the
 * real SDK clients to a provider sink in a third process that answers after
 * BENCH_PROVIDER_LATENCY_MS, default 30), seeds identities, and drives each flow with autocannon.
 * Per flow: requests/s, p50, p99, non-2xx, CPU per request by process (PostgreSQL twice: every
 * postgres process on the machine, and only the scratch database's backends, which stay
 * meaningful when other work shares the PostgreSQL server); for the flows that send
 * a code, what counts for sign-in: codes delivered per second, the delay from request to the
 * provider's acceptance (p50/p99/max), the outbox depth when the load stops and how long it
 * takes to drain. PostgreSQL work per delivered code (per request for flows that send none):
 * commits (the scratch database's pg_stat_database.xact_commit) and statements, counted in the
 * server by the bench-only bench/pg-statement-counter.mjs, loaded with NODE_OPTIONS=--import.
 *
 * `npm run bench -- --sweep`: drives the request flow at fixed offered rates
 * (BENCH_SWEEP_RATES, default 100,200,400,800,1600 requests/s; BENCH_SWEEP_DURATION seconds
 * each, default 20) and names the sustainable rate: the highest rate at which at least 99% of
 * requests were accepted and at least 99% of accepted codes reached the provider within 2 s,
 * and the highest of those whose request p99 was within BENCH_LATENCY_TARGET_MS (default 25).
 * With BENCH_PROVIDER_RATE (messages/s the provider sink accepts), delivery sets that rate and
 * a step at twice it measures admission control: what was refused, whether every accepted
 * code reached the provider within the server's DELIVERY_MAX_LAG_SECONDS, and the outbox's
 * largest depth (sampled twice a second).
 * BENCH_SWEEP_SMS_RATES (one rate for every step, or one per step) offers SMS code requests
 * beside each step's email requests, to numbers seeded for them; with BENCH_PROVIDER_SMS_RATE
 * (messages/s for SNS alone; unset: BENCH_PROVIDER_RATE) a slow SMS provider is measured beside
 * a fast email one: each channel's accepted, refused and delivered codes are reported apart.
 *
 * Database: a scratch database is created on the server of BENCH_DATABASE_URL (or DATABASE_URL)
 * and dropped afterwards; with neither set, an embedded PostgreSQL is started for the run.
 * BENCH_DURATION (seconds per flow, default 10), BENCH_CONNECTIONS (default 32),
 * BENCH_FLOWS=request,exchange (flows by first word), BENCH_DRAIN_TIMEOUT (seconds, default 60),
 * BENCH_RATE (offered requests/s per flow; unset: as fast as the connections go),
 * BENCH_SERVER_ENV="NAME=value ..." (extra server settings, e.g. to compare dispatcher settings;
 * `NAME=` with no value drops one of the defaults of bench/server-process.ts's SERVER_ENV).
 * Diagnostics: BENCH_LATENCY_DUMP=<dir> writes each fixed-rate window's answers (when each was
 * due, its latency and service time) there as JSON; BENCH_SERVER_LOG=<dir> keeps the server's
 * output, e.g. with BENCH_NODE_ARGS="<the default flags> --trace-gc".
 *
 * The client-request and client-exchange flows are the request and exchange flows of a browser
 * app: a named client (`client_id` in the body, a row in the clients table) and an `Origin` it
 * allows, so CORS and the client guard run on every request. BENCH_FLOWS=request,client-request
 * compares them with the default client's.
 *
 * The hook-exchange flow is the exchange flow with a custom-claims hook (HOOK_CUSTOM_CLAIMS_URL)
 * answering from a local process (bench/claims-hook.ts, which verifies each call's signature and
 * adds two claims): it runs last, on a server restarted with the hook. A hook on a loopback
 * address needs WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, which production refuses, so that server
 * runs with NODE_ENV=test; the two modes differ only in start-up validation.
 * BENCH_FLOWS=exchange,hook-exchange compares the two side by side.
 *
 * `npm run bench -- --compare` with two or more flows (BENCH_FLOWS=request,client-request):
 * one server, one scratch database, and the flows measured in alternating blocks of
 * BENCH_DURATION seconds (BENCH_COMPARE_ROUNDS rounds, default 4; the order reverses every
 * round: A B, B A, A B, ...), each block after a drained outbox. Every flow sees the same
 * tables, the same server process and the same machine load, so the comparison holds on a busy
 * machine where separate runs minutes apart do not. It prints each block (with the load average)
 * and per flow the median of its blocks, and each flow's ratio to the first. The hook-exchange
 * flow restarts the server, so it cannot be compared this way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.ts';
import { openLoop } from './open-loop.ts';
import { startProviderSink } from './provider-sink.ts';
import { startClaimsHook, type ClaimsHook } from './claims-hook.ts';
import { cpuTimesMs, serverEnv, serverNodeArgs } from './server-process.ts';
import { refreshToken, seed } from './seed.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const SWEEP = process.argv.includes('--sweep');
const COMPARE = !SWEEP && process.argv.includes('--compare');
const COMPARE_ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? 4);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PROVIDER_LATENCY_MS = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 30);
/** Messages per second the provider sink accepts (bench/provider-sink.ts); 0: no limit. */
const PROVIDER_RATE = Number(process.env.BENCH_PROVIDER_RATE ?? 0);
/** Messages per second the sink's SNS queue accepts, apart from email's; unset: PROVIDER_RATE. */
const PROVIDER_SMS_RATE = Number(process.env.BENCH_PROVIDER_SMS_RATE || PROVIDER_RATE);
const SWEEP_RATES = (process.env.BENCH_SWEEP_RATES ?? '100,200,400,800,1600').split(',').map(Number).filter((rate) => rate > 0);
const SWEEP_DURATION = Number(process.env.BENCH_SWEEP_DURATION ?? 20);
/** SMS code requests/s offered beside each step's email requests: one value for every step, or one per step; none when unset. */
const SWEEP_SMS_RATES = (() => {
  const given = (process.env.BENCH_SWEEP_SMS_RATES ?? '').split(',').filter(Boolean).map(Number);
  if (given.length === 0) return SWEEP_RATES.map(() => 0);
  if (given.length === 1) return SWEEP_RATES.map(() => given[0]!);
  if (given.length !== SWEEP_RATES.length) throw new Error('BENCH_SWEEP_SMS_RATES: one rate, or one per rate of BENCH_SWEEP_RATES');
  return given;
})();
const SWEEP_SMS = SWEEP && SWEEP_SMS_RATES.some((rate) => rate > 0);
const DRAIN_TIMEOUT_MS = Number(process.env.BENCH_DRAIN_TIMEOUT ?? 60) * 1000;
/**
 * Offered requests/s for the flows (unset: as fast as the connections go). CPU per request
 * depends on the rate (a busy event loop shares its wake-ups and syscalls), so two builds are
 * compared at one fixed rate, side by side.
 */
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
/**
 * Seconds of load before each flow's measured window (and before the sweep's first step).
 * BENCH_WARMUP, default 3: long enough for the pool and the prepared statements, not for the
 * JIT, which is still compiling in the background during a 10 s window after 3 s (about 6% of
 * the server's CPU in a perf profile); a longer warm-up measures the steady state.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 3);
/**
 * BENCH_LOADGEN=autocannon: offered rates through autocannon's `overallRate` as before
 * bench/open-loop.ts, only to compare the two generators (see docs/benchmarks.md).
 */
const AUTOCANNON_RATE = process.env.BENCH_LOADGEN === 'autocannon';
/** A code counts as delivered in time when the provider accepted it within this long of the request. */
const IN_TIME_MS = 2_000;
/** Issue 9's latency target: the sweep also names the highest sustainable rate whose request p99 stays within it. */
const LATENCY_TARGET_MS = Number(process.env.BENCH_LATENCY_TARGET_MS ?? 25);
/** The server's DELIVERY_MAX_LAG_SECONDS (its default unless BENCH_SERVER_ENV sets one): under overload, every accepted code is due within it. */
const MAX_LAG_MS = Number(serverEnv().DELIVERY_MAX_LAG_SECONDS || 10) * 1000;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const CODE = '123456';
/** The hook-exchange flow's HOOK_SECRET (Standard Webhooks format). */
const HOOK_SECRET = `whsec_${Buffer.from('bench-hook-secret-0123456789abcdef').toString('base64')}`;
/** Identities seeded per saturated flow: enough for a fast run, every request uses a fresh one. */
const POOL = (DURATION * (COMPARE ? COMPARE_ROUNDS : 1) + WARMUP_SECONDS) * 4_000;
/** Identities per sweep step: its offered rate for its duration, plus room for a fast run. */
const sweepPool = (rate: number) => Math.ceil(rate * SWEEP_DURATION * 1.1) + 500;
/** The sweep's warm-up (not measured) runs at its first rate, on identities of their own. */
const SWEEP_WARMUP_POOL = Math.ceil((SWEEP_RATES[0] ?? 100) * WARMUP_SECONDS * 1.1) + 500;
const SWEEP_SMS_WARMUP_POOL = Math.ceil((SWEEP_SMS_RATES[0] ?? 0) * WARMUP_SECONDS * 1.1) + 500;
/**
 * The i-th seeded mobile number of a block (0: the sweep's warm-up; then one block per step):
 * +1 201 followed by seven digits from 2,000,000 on, 200,000 numbers a block, all valid mobile
 * numbers by libphonenumber's rules and distinct, so no request is throttled by an earlier one.
 */
function phoneNumber(block: number, i: number): string {
  if (i >= 200_000 || block > 30) throw new Error('phoneNumber: out of the seeded range');
  return `+1201${2_000_000 + block * 200_000 + i}`;
}

/** BENCH_FLOWS=request,exchange picks flows by their first word; unset runs all. */
const ONLY = (process.env.BENCH_FLOWS ?? '').split(',').filter(Boolean);
/** A request's body; `email` or `phone_number` is the destination its code goes to. */
type RequestBody = { email?: string; phone_number?: string } & Record<string, unknown>;
interface Flow { name: string; path: string; body: (i: number) => RequestBody; headers?: Record<string, string>; emailLatencyMs?: number; delivers: boolean; claimsHook?: boolean }
/** The browser app of the client flows (seeded by bench/seed.ts) and the origin it calls from. */
const BENCH_CLIENT = { clientId: 'bench-web', origin: 'https://app.bench.test' };
const FROM_APP = { origin: BENCH_CLIENT.origin };
const FLOWS: Flow[] = ([
  { name: 'request (email)', path: '/passwordless/request/email', body: (i: number) => ({ email: `r${i}@bench.test` }), delivers: true },
  // The outbox promise: with SES answering after 5 s the request endpoint does not slow down.
  { name: 'slow-ses request (SES 5 s)', path: '/passwordless/request/email', body: (i: number) => ({ email: `s${i}@bench.test` }), emailLatencyMs: 5_000, delivers: true },
  { name: 'exchange (email)', path: '/passwordless/exchange/email', body: (i: number) => ({ email: `x${i}@bench.test`, token: CODE }), delivers: false },
  { name: 'client-request (email, client_id + Origin)', path: '/passwordless/request/email', body: (i: number) => ({ email: `cr${i}@bench.test`, client_id: BENCH_CLIENT.clientId }), headers: FROM_APP, delivers: true },
  { name: 'client-exchange (email, client_id + Origin)', path: '/passwordless/exchange/email', body: (i: number) => ({ email: `cx${i}@bench.test`, token: CODE, client_id: BENCH_CLIENT.clientId }), headers: FROM_APP, delivers: false },
  { name: 'refresh', path: '/token/refresh', body: (i: number) => ({ refresh_token: refreshToken(i) }), delivers: false },
  // Last: it restarts the server with the hook.
  { name: 'hook-exchange (email, custom-claims hook)', path: '/passwordless/exchange/email', body: (i: number) => ({ email: `hx${i}@bench.test`, token: CODE }), delivers: false, claimsHook: true },
] satisfies Flow[]).filter((flow) => SWEEP ? false : ONLY.length === 0 || ONLY.includes(flow.name.split(' ')[0]!));
const runs = (first: string) => FLOWS.some((flow) => flow.name.split(' ')[0] === first);

interface DeliveryResult {
  accepted: number;
  deliveredPerSecond: number;
  delayMs: { p50: number; p99: number; max: number };
  /** Share of accepted codes the provider accepted within IN_TIME_MS of the request. */
  inTimeShare: number;
  /** Share of accepted codes the provider accepted within the server's DELIVERY_MAX_LAG_SECONDS. */
  withinMaxLagShare: number;
  undelivered: number;
  depthAtEnd: number;
  drainSeconds: number;
}

/** PostgreSQL work per request over a flow's measured window and the drain that follows it. */
interface DatabaseWork {
  /** Transactions committed in the scratch database (pg_stat_database.xact_commit), per request. */
  commitsPerRequest: number;
  /** Statements the server sent through node-postgres (BEGIN/COMMIT included), per request. */
  statementsPerRequest: number;
  /** The same, by prepared-statement name or first words, per request, largest first. */
  byStatement: Record<string, number>;
}

/** The server's event-loop delay over a window (bench/event-loop-delay.mjs), ms beyond the sampling interval. */
/** The server's memory when its RSS was at its largest so far (bench/event-loop-delay.mjs). */
interface MemoryAtPeak { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number; spacesMb: Record<string, number> }

function formatMemory(memory: MemoryAtPeak | undefined): string {
  if (memory === undefined) return '';
  const spaces = Object.entries(memory.spacesMb).filter(([, size]) => size >= 0.5).map(([name, size]) => `${name.replace(/_space$/, '')} ${size}`).join(', ');
  return ` (sampled at its largest: ${memory.rssMb} MiB, V8 heap ${memory.heapTotalMb} MiB [${spaces}], ${memory.heapUsedMb} MiB of it in use; external ${memory.externalMb} MiB)`;
}

interface EventLoopDelay { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number; inServer?: { count: number; p50Ms: number; p99Ms: number; maxMs: number }; memoryAtPeak?: MemoryAtPeak; gc: Record<string, { count: number; totalMs: number; maxMs: number }> }

interface FlowResult {
  flow: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** With BENCH_RATE (open loop): the slowest answer, ms, from when the request was due. */
  max?: number;
  eventLoop?: EventLoopDelay;
  /** Each statement's time from send to answer in the measured window. */
  statementTimes?: StatementTimes;
  /** Load average (1 min) when the flow's measured window started and ended. */
  loadAverage: [number, number];
  non2xx: number;
  errors: number;
  /**
   * CPU milliseconds per request spent by the server, PostgreSQL (every postgres process on the
   * machine, other databases' included) and the load generator; `backends`: only the scratch
   * database's backends (its connections' processes), which other work on a shared PostgreSQL
   * does not touch.
   */
  cpuMsPerRequest: { server: number; postgres: number; backends: number; loadgen: number; kernelShare: number };
  database: DatabaseWork;
  delivery?: DeliveryResult;
  /** For the hook-exchange flow: calls the claims hook answered (warm-up included). */
  hookCalls?: number;
  /** --compare: the round of this block. */
  round?: number;
}

interface SweepStep {
  rate: number;
  sent: number;
  acceptedPerSecond: number;
  refusedPerSecond: number;
  /** From when each request was due (open loop), ms. */
  requestP50: number;
  requestP99: number;
  requestMax: number;
  /** From writing each request to its answer, ms. */
  serviceP99: number;
  delivery: DeliveryResult;
  /** The outbox's largest depth sampled during the step (twice a second) and at its end. */
  depthMax: number;
  serverCpuMsPerRequest: number;
  eventLoop?: EventLoopDelay;
  statementTimes?: StatementTimes;
  loadAverage: [number, number];
  /** With BENCH_SWEEP_SMS_RATES: the SMS code requests offered beside the email ones. */
  sms?: ChannelStep;
}

/** One channel's part of a sweep step. */
interface ChannelStep {
  rate: number;
  sent: number;
  acceptedPerSecond: number;
  refusedPerSecond: number;
  requestP99: number;
  delivery: DeliveryResult;
}

const sink = await startProviderSink(PROVIDER_LATENCY_MS, { email: PROVIDER_RATE, sms: PROVIDER_SMS_RATE });
const database = await scratchDatabase();
const outbox = new pg.Pool({ connectionString: database.url, max: 1 });
/** The bench's own statements on the scratch database: each is a commit to take off the server's. */
let benchQueries = 0;
// An idle connection the server closes (say, a database dropped by force) must not crash the bench.
outbox.on('error', (error) => console.error(`bench: outbox connection lost: ${error.message}`));
/**
 * Autovacuum is off on this machine (as on the shared development server), so nothing would
 * update the planner's statistics while a run fills its tables: a plan the server caches while
 * a table is nearly empty (a sequential scan of one page) would then scan the whole table once
 * the run has filled it, and the rate would fall as it goes. Production runs autovacuum, whose
 * autoanalyze keeps statistics current; the bench does what it would:
 * - after each warm-up, ANALYZE on every table the flows write (the statistics a service
 *   that has been running a while would have);
 * - then every BENCH_ANALYZE_INTERVAL seconds (default 10; 0 turns it off), ANALYZE on each of
 *   those tables that autoanalyze would pick: more rows changed since its last analyze than
 *   PostgreSQL's default threshold, 50 + 10% of its rows;
 * - with autovacuum's default cost-based delay (2 ms per 200 cost units), so that, like
 *   autoanalyze, it reads its sample in small steps and does not take a core away in one burst
 *   (a manual ANALYZE has no delay unless asked).
 * ANALYZE also makes the server replan (it invalidates cached plans).
 */
const autoAnalyze = (() => {
  const intervalMs = Number(process.env.BENCH_ANALYZE_INTERVAL ?? 10) * 1000;
  const tables = ['request_throttle', 'users', 'one_time_tokens', 'guess_failures', 'delivery_jobs', 'sessions', 'refresh_tokens', 'audit_events'];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const run = async (which: 'all' | 'due') => {
    let names = tables;
    if (which === 'due') {
      benchQueries++;
      const { rows } = await outbox.query<{ relname: string }>(
        `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.relname = ANY($1) AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)`, [tables]);
      names = rows.map((row) => row.relname);
      if (names.length === 0) return;
    }
    benchQueries++;
    await outbox.query(`SET vacuum_cost_delay = '${which === 'due' ? '2ms' : '0'}'; ANALYZE ${names.join(', ')}`);
  };
  const start = (which: 'all' | 'due') => {
    if (intervalMs <= 0) return Promise.resolve();
    running = running.then(() => run(which)).catch((error: Error) => console.error(`bench: ANALYZE failed: ${error.message}`));
    return running;
  };
  return {
    now: () => start('all'),
    start() { if (intervalMs > 0) timer = setInterval(() => void start('due'), intervalMs); },
    stop() { if (timer !== undefined) clearInterval(timer); },
  };
})();
let server: Awaited<ReturnType<typeof startServer>> | undefined;
let hook: ClaimsHook | undefined;
const results: FlowResult[] = [];
const steps: SweepStep[] = [];
if (COMPARE && (FLOWS.length < 2 || FLOWS.some((flow) => flow.claimsHook))) {
  throw new Error('--compare needs two or more flows in BENCH_FLOWS, none of them hook-exchange (it restarts the server)');
}
try {
  await seed(database.url, {
    secret: SECRET,
    code: CODE,
    // Only what the chosen flows use: seeding is most of a short run's time.
    requestUsers: SWEEP ? { ww: SWEEP_WARMUP_POOL, ...Object.fromEntries(SWEEP_RATES.map((rate, index) => [`w${index}-${rate}-`, sweepPool(rate)])) } : {
      ...(runs('request') ? { r: POOL } : {}),
      ...(runs('slow-ses') ? { s: POOL } : {}),
      ...(runs('client-request') ? { cr: POOL } : {}),
    },
    phoneUsers: SWEEP_SMS ? [0, ...SWEEP_SMS_RATES].flatMap((rate, block) => {
      const count = block === 0 ? SWEEP_SMS_WARMUP_POOL : rate > 0 ? sweepPool(rate) : 0;
      return Array.from({ length: count }, (_, i) => phoneNumber(block, i));
    }) : [],
    exchangeUsers: runs('exchange') ? POOL : 0,
    hookExchangeUsers: runs('hook-exchange') ? POOL : 0,
    client: runs('client-request') || runs('client-exchange') ? { ...BENCH_CLIENT, exchangeUsers: runs('client-exchange') ? POOL : 0 } : undefined,
    refreshTokens: runs('refresh') ? POOL : 0,
  });
  server = await startServer(database.url);
  autoAnalyze.start();
  if (COMPARE) {
    // Each flow's identities continue from where its last block stopped.
    const next = new Map<Flow, number>();
    for (const flow of FLOWS) next.set(flow, await warmUp(flow));
    for (let round = 1; round <= COMPARE_ROUNDS; round++) {
      for (const flow of round % 2 === 1 ? FLOWS : [...FLOWS].reverse()) {
        if (flow.emailLatencyMs !== undefined) sink.setEmailLatency(flow.emailLatencyMs);
        const block = await measureFlow(flow, next.get(flow)!);
        sink.setEmailLatency(undefined);
        next.set(flow, block.next);
        results.push({ ...block.result, round });
        console.log(formatBlock(results.at(-1)!));
      }
    }
  } else if (SWEEP) {
    // A fresh server's first seconds (JIT, the pool's connections, prepared statements) belong
    // to no step: warm it up at the first rate, then let the outbox drain.
    const first = SWEEP_RATES[0] ?? 100;
    const firstSms = SWEEP_SMS_RATES[0] ?? 0;
    await Promise.all([
      load({ path: '/passwordless/request/email', body: (i) => ({ email: `ww${i}@bench.test` }), duration: WARMUP_SECONDS, overallRate: first, pool: SWEEP_WARMUP_POOL }).run,
      ...(SWEEP_SMS ? [load({ path: '/passwordless/request/mobile', body: (i) => ({ phone_number: phoneNumber(0, i) }), duration: WARMUP_SECONDS, overallRate: Math.max(1, firstSms), pool: SWEEP_SMS_WARMUP_POOL }).run] : []),
    ]);
    await autoAnalyze.now();
    for (const [index, rate] of SWEEP_RATES.entries()) {
      steps.push(await runSweepStep(rate, steps.length, SWEEP_SMS_RATES[index] ?? 0));
      console.log(formatStep(steps.at(-1)!));
    }
  } else {
    for (const flow of FLOWS) {
      if (flow.claimsHook && hook === undefined) {
        hook = await startClaimsHook(HOOK_SECRET);
        await server.stop();
        server = undefined;
        server = await startServer(database.url, {
          NODE_ENV: 'test',
          WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
          HOOK_SECRET,
          HOOK_CUSTOM_CLAIMS_URL: hook.url,
        });
      }
      if (flow.emailLatencyMs !== undefined) sink.setEmailLatency(flow.emailLatencyMs);
      const result = await runFlow(flow);
      if (flow.claimsHook) {
        const counts = await hook!.counts();
        result.hookCalls = counts.calls;
        if (counts.rejected > 0) console.error(`bench: the claims hook refused ${counts.rejected} calls with a bad signature`);
      }
      results.push(result);
      sink.setEmailLatency(undefined);
    }
  }
} finally {
  autoAnalyze.stop();
  const peakRssMb = server ? peakRss(server.process.pid!) : undefined;
  await server?.stop();
  await hook?.close();
  await outbox.end();
  await database.drop();
  await sink.close();
  if (SWEEP) reportSweep(steps, peakRssMb);
  else if (COMPARE) reportComparison(results, peakRssMb);
  else report(results, peakRssMb);
}

/** What a load run measured, whichever generator ran it. */
interface LoadResult {
  total: number;
  perSecond: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  /** Open loop only (an offered rate): the slowest answer, and the service time's p99. */
  max?: number;
  serviceP99?: number;
}

/**
 * Sends one fresh identity per request and remembers when each was sent and which were
 * accepted. At an offered rate, bench/open-loop.ts sends (latency from when each request was
 * due); without one, autocannon's closed loop (each connection sends its next request when the
 * previous one is answered).
 */
function load(options: { path: string; body: (i: number) => RequestBody; headers?: Record<string, string>; duration: number; overallRate?: number; pool: number; first?: number }) {
  let next = options.first ?? 0;
  const requestedAt = new Map<string, number>();
  const accepted = new Set<string>();
  if (options.overallRate !== undefined && !AUTOCANNON_RATE) {
    const run = openLoop({
      url: server!.url,
      connections: CONNECTIONS,
      rate: options.overallRate,
      durationSeconds: options.duration,
      request: () => {
        const body = options.body(next++ % options.pool);
        const to = body.email ?? body.phone_number;
        if (to !== undefined) requestedAt.set(to, Date.now());
        return { path: options.path, headers: options.headers, body: JSON.stringify(body), context: to };
      },
      onResponse: (status, to) => {
        if (typeof to === 'string' && status >= 200 && status < 300) accepted.add(to);
      },
    }).then((result): LoadResult => ({
      total: result.sent,
      perSecond: Math.round(result.completed / Math.max(0.001, (result.end - result.start) / 1000)),
      non2xx: result.non2xx,
      errors: result.errors,
      p50: result.latencyMs.p50,
      p99: result.latencyMs.p99,
      max: result.latencyMs.max,
      serviceP99: result.serviceMs.p99,
    }));
    return { run, requestedAt, accepted, next: () => next };
  }
  const run = autocannon({
    url: server!.url,
    connections: CONNECTIONS,
    duration: options.duration,
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    requests: [{
      method: 'POST',
      path: options.path,
      headers: { 'content-type': 'application/json', ...options.headers },
      setupRequest: (request, context) => {
        const body = options.body(next++ % options.pool);
        const to = body.email ?? body.phone_number;
        (context as { to?: string }).to = to;
        if (to !== undefined) requestedAt.set(to, Date.now());
        return { ...request, body: JSON.stringify(body) };
      },
      onResponse: (status, _body, context) => {
        const to = (context as { to?: string }).to;
        if (to !== undefined && status >= 200 && status < 300) accepted.add(to);
      },
    }],
  }).then((result): LoadResult => ({
    total: result.requests.total,
    perSecond: Math.round(result.requests.average),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  }));
  return { run, requestedAt, accepted, next: () => next };
}

async function pendingJobs(): Promise<number> {
  benchQueries++;
  const { rows } = await outbox.query<{ n: number }>(`SELECT count(*)::int AS n FROM delivery_jobs WHERE status = 'pending'`);
  return rows[0]!.n;
}

/** Waits until the outbox is empty (or BENCH_DRAIN_TIMEOUT passes); the seconds it took. */
async function drain(): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < DRAIN_TIMEOUT_MS) {
    if ((await pendingJobs()) === 0) return (Date.now() - start) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Number.POSITIVE_INFINITY;
}

/** Matches the provider's acceptances to the accepted requests of one measured window. */
async function deliveryResult(window: { start: number; end: number }, requestedAt: Map<string, number>, accepted: Set<string>, depthAtEnd: number, drainSeconds: number, collected?: [string, number][]): Promise<DeliveryResult> {
  const deliveredAt = new Map<string, number>();
  let inWindow = 0;
  // `collected`: the sink's acceptances of both channels, shared by their results; each counts its own destinations.
  for (const [to, at] of collected ?? await sink.collect()) {
    if (collected !== undefined && !requestedAt.has(to)) continue;
    if (!deliveredAt.has(to)) deliveredAt.set(to, at);
    if (at >= window.start && at <= window.end) inWindow++;
  }
  const delays: number[] = [];
  let undelivered = 0;
  for (const to of accepted) {
    const at = deliveredAt.get(to);
    if (at === undefined) undelivered++;
    else delays.push(at - requestedAt.get(to)!);
  }
  delays.sort((a, b) => a - b);
  const quantile = (q: number) => (delays.length === 0 ? 0 : delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!);
  return {
    accepted: accepted.size,
    deliveredPerSecond: Math.round(inWindow / ((window.end - window.start) / 1000)),
    delayMs: { p50: quantile(0.5), p99: quantile(0.99), max: delays.at(-1) ?? 0 },
    inTimeShare: accepted.size === 0 ? 1 : delays.filter((delay) => delay <= IN_TIME_MS).length / accepted.size,
    withinMaxLagShare: accepted.size === 0 ? 1 : delays.filter((delay) => delay <= MAX_LAG_MS).length / accepted.size,
    undelivered,
    depthAtEnd,
    drainSeconds,
  };
}

async function runFlow(flow: Flow): Promise<FlowResult> {
  // Identities continue after the warm-up's, so no request is throttled by an earlier one.
  return (await measureFlow(flow, await warmUp(flow))).result;
}

/** WARMUP_SECONDS of the flow's load; the index of its next fresh identity. */
async function warmUp(flow: Flow): Promise<number> {
  const warmup = load({ ...flow, duration: WARMUP_SECONDS, pool: POOL, ...(RATE !== undefined ? { overallRate: RATE } : {}) });
  await warmup.run;
  // The warm-up wrote the first rows into the tables the flow fills: statistics for them now.
  await autoAnalyze.now();
  return warmup.next();
}

/** One measured window of BENCH_DURATION seconds, its identities from `first` on; the index after the last one used. */
async function measureFlow(flow: Flow, first: number): Promise<{ result: FlowResult; next: number }> {
  // The measured window starts with an empty outbox and forgets earlier deliveries.
  if (flow.delivers) await drain();
  await sink.collect();
  const workBefore = await databaseWork();
  const backendsBefore = await database.backendPids();
  const loadBefore = loadAverage();
  const measured = load({ ...flow, duration: DURATION, pool: POOL, first, ...(RATE !== undefined ? { overallRate: RATE } : {}) });
  const before = cpuSample();
  const start = Date.now();
  const result = await measured.run;
  const end = Date.now();
  const after = cpuSample();
  // A backend that exited during the window is missed (the server's pool keeps its connections under load).
  const backends = new Set([...backendsBefore, ...await database.backendPids()]);
  const backendMs = [...backends].reduce((sum, pid) => sum + (after.byPid.get(pid) ?? before.byPid.get(pid) ?? 0) - (before.byPid.get(pid) ?? 0), 0);
  const { eventLoop, statements: { durations: statementTimes } } = await server!.probe();
  let delivery: DeliveryResult | undefined;
  if (flow.delivers) {
    const depthAtEnd = await pendingJobs();
    const drainSeconds = await drain();
    delivery = await deliveryResult({ start, end }, measured.requestedAt, measured.accepted, depthAtEnd, drainSeconds);
  }
  const workAfter = await databaseWork();
  const perRequest = (key: 'server' | 'postgres' | 'loadgen') => Math.round(((after[key] - before[key]) / Math.max(1, result.total)) * 1000) / 1000;
  const total = (['server', 'postgres', 'loadgen'] as const).reduce((sum, key) => sum + after[key] - before[key], 0);
  const flowResult: FlowResult = {
    flow: flow.name,
    requestsPerSecond: result.perSecond,
    p50: result.p50,
    p99: result.p99,
    ...(result.max !== undefined ? { max: result.max } : {}),
    ...(eventLoop !== undefined ? { eventLoop } : {}),
    ...(statementTimes !== undefined ? { statementTimes } : {}),
    loadAverage: [loadBefore, loadAverage()],
    non2xx: result.non2xx,
    errors: result.errors,
    cpuMsPerRequest: {
      server: perRequest('server'),
      postgres: perRequest('postgres'),
      backends: round3(backendMs / Math.max(1, result.total)),
      loadgen: perRequest('loadgen'),
      kernelShare: Math.round(((after.system - before.system) / Math.max(1, total)) * 100) / 100,
    },
    // Per code delivered for the flows that send one (every statement of the request, claim,
    // completion and audit of the window's codes), per request for the others.
    database: workPerRequest(workBefore, workAfter, delivery ? delivery.accepted - delivery.undelivered : result.total),
    ...(delivery ? { delivery } : {}),
  };
  return { result: flowResult, next: measured.next() };
}

/** `index` keeps each step's addresses its own, so a rate given twice is not throttled (S7) by the first. */
async function runSweepStep(rate: number, index: number, smsRate: number): Promise<SweepStep> {
  await drain();
  await sink.collect();
  await server!.probe(); // the event-loop histogram starts with the step
  const loadBefore = loadAverage();
  const step = load({ path: '/passwordless/request/email', body: (i) => ({ email: `w${index}-${rate}-${i}@bench.test` }), duration: SWEEP_DURATION, overallRate: rate, pool: sweepPool(rate) });
  // SMS beside it, on connections of its own, to the numbers of block index + 1.
  const sms = smsRate > 0 ? load({ path: '/passwordless/request/mobile', body: (i) => ({ phone_number: phoneNumber(index + 1, i) }), duration: SWEEP_DURATION, overallRate: smsRate, pool: sweepPool(smsRate) }) : undefined;
  const before = cpuSample();
  const start = Date.now();
  // The outbox's depth twice a second: with admission control it must stay bounded.
  let depthMax = 0;
  const sampling = setInterval(() => { void pendingJobs().then((depth) => { depthMax = Math.max(depthMax, depth); }, () => undefined); }, 500);
  const [result, smsResult] = await Promise.all([step.run, sms?.run]).finally(() => clearInterval(sampling));
  const end = Date.now();
  const after = cpuSample();
  const { eventLoop, statements: { durations: statementTimes } } = await server!.probe();
  const loadAfter = loadAverage();
  const depthAtEnd = await pendingJobs();
  const drainSeconds = await drain();
  const collected = sms !== undefined ? await sink.collect() : undefined;
  const delivery = await deliveryResult({ start, end }, step.requestedAt, step.accepted, depthAtEnd, drainSeconds, collected);
  depthMax = Math.max(depthMax, depthAtEnd);
  const seconds = (end - start) / 1000;
  const smsStep = sms !== undefined && smsResult !== undefined ? {
    rate: smsRate,
    sent: Math.round(smsResult.total / seconds),
    acceptedPerSecond: Math.round(sms.accepted.size / seconds),
    refusedPerSecond: Math.round(smsResult.non2xx / seconds),
    requestP99: smsResult.p99,
    delivery: await deliveryResult({ start, end }, sms.requestedAt, sms.accepted, depthAtEnd, drainSeconds, collected),
  } : undefined;
  return {
    rate,
    sent: Math.round(result.total / seconds),
    acceptedPerSecond: Math.round(step.accepted.size / seconds),
    refusedPerSecond: Math.round(result.non2xx / seconds),
    requestP50: result.p50,
    requestP99: result.p99,
    requestMax: result.max ?? 0,
    serviceP99: result.serviceP99 ?? 0,
    delivery,
    depthMax,
    serverCpuMsPerRequest: Math.round(((after.server - before.server) / Math.max(1, result.total + (smsResult?.total ?? 0))) * 1000) / 1000,
    ...(eventLoop !== undefined ? { eventLoop } : {}),
    ...(statementTimes !== undefined ? { statementTimes } : {}),
    loadAverage: [loadBefore, loadAfter],
    ...(smsStep !== undefined ? { sms: smsStep } : {}),
  };
}

/** Sustainable: nearly everything accepted, and nearly every accepted code at the provider within 2 s. */
function sustainable(step: SweepStep): boolean {
  return step.acceptedPerSecond >= 0.99 * step.sent && step.sent >= 0.95 * step.rate && step.delivery.inTimeShare >= 0.99;
}

interface WorkSample { commits: number; benchQueries: number; statements: number; byStatement: Record<string, number> }

/**
 * The scratch database's commits and the server's statements so far. PostgreSQL publishes a
 * backend's counts when it goes idle, at most once a second, so the sample waits that out first.
 */
async function databaseWork(): Promise<WorkSample> {
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const commits = await database.commits();
  const counted = (await server!.probe()).statements;
  return { commits, benchQueries, statements: counted.total, byStatement: counted.byStatement };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function workPerRequest(before: WorkSample, after: WorkSample, requests: number): DatabaseWork {
  const per = (value: number) => round3(value / Math.max(1, requests));
  const byStatement = Object.entries(after.byStatement)
    .map(([name, count]) => [name, per(count - (before.byStatement[name] ?? 0))] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    commitsPerRequest: per(after.commits - before.commits - (after.benchQueries - before.benchQueries)),
    statementsPerRequest: per(after.statements - before.statements),
    byStatement: Object.fromEntries(byStatement),
  };
}

/** CPU time (ms) of the server process, of every PostgreSQL process (in total and by pid), and of this process (autocannon). */
function cpuSample(): { server: number; postgres: number; byPid: Map<string, number>; loadgen: number; system: number } {
  let postgres = 0;
  let system = 0;
  const byPid = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let comm = '';
    try { comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { continue; }
    if (comm !== 'postgres') continue;
    const cpu = cpuTimesMs(pid);
    postgres += cpu.user + cpu.system;
    system += cpu.system;
    byPid.set(pid, cpu.user + cpu.system);
  }
  const serverCpu = cpuTimesMs(server!.process.pid!);
  const self = cpuTimesMs(process.pid);
  return { server: serverCpu.user + serverCpu.system, postgres, byPid, loadgen: self.user + self.system, system: system + serverCpu.system + self.system };
}

/** Wall time per statement over a window (bench/pg-statement-counter.mjs), by statement. */
type StatementTimes = Record<string, { count: number; p50Ms: number; p99Ms: number; maxMs: number }>;

interface ServerProbe {
  statements: { total: number; byStatement: Record<string, number>; durations?: StatementTimes };
  /** Since the previous probe. */
  eventLoop?: EventLoopDelay;
}

async function startServer(databaseUrl: string, flowEnv: Record<string, string> = {}): Promise<{ url: string; process: ChildProcess; probe(): Promise<ServerProbe>; stop(): Promise<void> }> {
  const port = await freePort();
  const logDir = mkdtempSync(join(tmpdir(), 'sesame-bench-'));
  const logFile = join(logDir, 'server.log');
  const countFile = join(logDir, 'pg-statements.json');
  const eldFile = join(logDir, 'event-loop-delay.json');
  let countRequest = 0;
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  // The production entry point: compiled JavaScript, as `npm start` and the container run it.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  // The same V8 flags as `npm start` and the container (see docs/benchmarks.md, "Memory";
  // test/unit/node-flags.test.ts keeps the three equal).
  const nodeArgs = serverNodeArgs();
  // The environment of `npm start` and the container (malloc's settings), and BENCH_SERVER_ENV.
  const extraEnv = serverEnv();
  // BENCH_SERVER_NODE: another Node.js binary for the server only (the container ships Node 24
  // LTS; this machine's is 20), to compare the two side by side.
  const child = spawn(process.env.BENCH_SERVER_NODE ?? process.execPath, [...profile, ...nodeArgs, 'dist/server.js'], {
    cwd: ROOT,
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
    env: {
      PATH: process.env.PATH,
      // Bench-only: counts the server's statements (bench/pg-statement-counter.mjs) and samples
      // its event-loop delay (bench/event-loop-delay.mjs).
      NODE_OPTIONS: `--import ${join(ROOT, 'bench/pg-statement-counter.mjs')} --import ${join(ROOT, 'bench/event-loop-delay.mjs')}`,
      BENCH_PG_COUNT_FILE: countFile,
      BENCH_ELD_FILE: eldFile,
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
      // Likewise the SMS caps (S21, S38): every SMS request comes from one network to numbers of one
      // country and prefix, which the defaults would stop after a hundred messages.
      SMS_MAX_PER_COUNTRY_PER_HOUR: '100000000',
      SMS_MAX_PER_PREFIX_PER_HOUR: '100000000',
      SMS_MAX_PER_DAY: '1000000000',
      SMS_REQUESTER_SHARE_PERCENT: '100',
      SMS_RESERVED_PERCENT: '0',
      ...flowEnv,
      ...extraEnv,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('server did not become ready in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: child,
    async probe() {
      // Numbered requests, so a sample written before this one is never read as its answer.
      const seq = ++countRequest;
      writeFileSync(`${countFile}.seq`, String(seq));
      writeFileSync(`${eldFile}.seq`, String(seq));
      child.kill('SIGUSR2');
      const deadline = Date.now() + 10_000;
      const read = <T>(file: string): (T & { seq: number }) | undefined => {
        try {
          const sample = JSON.parse(readFileSync(file, 'utf8')) as T & { seq: number };
          return sample.seq === seq ? sample : undefined;
        } catch {
          return undefined; // not written yet
        }
      };
      for (;;) {
        const statements = read<ServerProbe['statements']>(countFile);
        const eventLoop = read<EventLoopDelay>(eldFile);
        if (statements !== undefined && eventLoop !== undefined) return { statements, eventLoop };
        if (Date.now() > deadline) {
          if (statements !== undefined) return { statements };
          throw new Error('the server did not write its statement counts');
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      // BENCH_SERVER_LOG=<dir>: a copy of the server's output is kept there (with
      // BENCH_NODE_ARGS="... --trace-gc", the collections, to set beside BENCH_LATENCY_DUMP).
      if (process.env.BENCH_SERVER_LOG) copyFileSync(logFile, join(process.env.BENCH_SERVER_LOG, `server-${Date.now()}.log`));
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

async function scratchDatabase(): Promise<{ url: string; commits(): Promise<number>; backendPids(): Promise<string[]>; drop(): Promise<void> }> {
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
    // Read from the admin connection, which is not in the scratch database and so not counted.
    async commits() {
      const { rows } = await admin.query<{ commits: string }>('SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = $1', [name]);
      return Number(rows[0]?.commits ?? 0);
    },
    /** The processes serving the scratch database's connections (the server's pool and the bench's own). */
    async backendPids() {
      const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name]);
      return rows.map((row) => String(row.pid));
    },
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

/** Peak resident set size of a process in MiB (VmHWM, kB / 1024), from /proc. */
function peakRss(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The 1-minute load average: the machine's other work, written down with every figure. */
function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function eld(value: EventLoopDelay | undefined): string {
  if (value === undefined) return '? / ? (in server ?)';
  const inServer = value.inServer === undefined ? '?' : `${value.inServer.p50Ms} / ${value.inServer.p99Ms} / ${value.inServer.maxMs}`;
  return `${value.p99Ms} / ${value.maxMs} (in server ${inServer})`;
}

function conditions(): string {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `node ${process.version}, provider latency ${PROVIDER_LATENCY_MS} ms${PROVIDER_RATE > 0 ? ` and at most ${PROVIDER_RATE} messages/s` : ''}${SWEEP_SMS && PROVIDER_SMS_RATE !== PROVIDER_RATE ? ` (SMS: ${PROVIDER_SMS_RATE > 0 ? `at most ${PROVIDER_SMS_RATE}/s` : 'no limit'})` : ''}, ${CONNECTIONS} connections${RATE !== undefined ? `, offered ${RATE} requests/s` : ''}, load average at the end ${load}`;
}

function seconds(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} s` : `> ${DRAIN_TIMEOUT_MS / 1000} s`;
}

function formatStep(s: SweepStep): string {
  const d = s.delivery;
  return `| ${String(s.rate).padStart(7)} | ${String(s.sent).padStart(6)} | ${String(s.acceptedPerSecond).padStart(8)} | ${String(s.refusedPerSecond).padStart(7)} | ${String(d.deliveredPerSecond).padStart(9)} | ${String(d.delayMs.p50).padStart(5)} | ${String(d.delayMs.p99).padStart(6)} | ${String(d.delayMs.max).padStart(6)} | ${(d.inTimeShare * 100).toFixed(1).padStart(6)}% | ${(d.withinMaxLagShare * 100).toFixed(1).padStart(6)}% | ${String(d.undelivered).padStart(5)} | ${String(s.depthMax).padStart(5)} | ${String(d.depthAtEnd).padStart(5)} | ${seconds(d.drainSeconds).padStart(7)} | ${String(s.requestP50).padStart(4)} / ${String(s.requestP99).padStart(4)} / ${String(s.requestMax).padStart(4)} | ${String(s.serviceP99).padStart(4)} | ${eld(s.eventLoop)} | ${s.serverCpuMsPerRequest.toFixed(2)} | ${s.loadAverage[0].toFixed(1)}–${s.loadAverage[1].toFixed(1)} | ${sustainable(s) ? 'yes' : 'no'} |`;
}

function formatSmsStep(emailRate: number, s: ChannelStep): string {
  const d = s.delivery;
  return `| ${String(emailRate).padStart(13)} | ${String(s.rate).padStart(11)} | ${String(s.sent).padStart(6)} | ${String(s.acceptedPerSecond).padStart(10)} | ${String(s.refusedPerSecond).padStart(5)} | ${String(d.deliveredPerSecond).padStart(11)} | ${String(d.delayMs.p50).padStart(9)} | ${String(d.delayMs.p99).padStart(5)} | ${String(d.delayMs.max).padStart(5)} | ${(d.inTimeShare * 100).toFixed(1).padStart(5)}% | ${(d.withinMaxLagShare * 100).toFixed(1).padStart(5)}% | ${String(d.undelivered).padStart(11)} | ${String(s.requestP99).padStart(11)} |`;
}

/** The busiest statements first: enough of them to show the claims and completions beside the requests' own. */
function formatStatementTimes(times: StatementTimes | undefined, count = 8): string {
  if (times === undefined) return '?';
  return Object.entries(times).sort((a, b) => b[1].count - a[1].count).slice(0, count)
    .map(([name, t]) => `${name.slice(0, 24)} ×${t.count} ${t.p50Ms} / ${t.p99Ms} / ${t.maxMs}`).join('; ');
}

function reportSweep(done: SweepStep[], peakRssMb: number | undefined): void {
  const best = done.filter(sustainable).at(-1);
  const fast = done.filter((step) => sustainable(step) && step.requestP99 <= LATENCY_TARGET_MS).at(-1);
  const text = [
    `Sesame sweep: ${SWEEP_DURATION} s per offered rate; ${conditions()}`,
    `Sustainable rate: ${best ? `${best.rate} requests/s (${best.delivery.deliveredPerSecond} codes delivered/s, delay p99 ${best.delivery.delayMs.p99} ms)` : `below ${done[0]?.rate ?? '?'} requests/s`}`,
    `Sustainable with a request p99 within ${LATENCY_TARGET_MS} ms: ${fast ? `${fast.rate} requests/s (p99 ${fast.requestP99} ms)` : 'none of the rates offered'}`,
    '',
    `| offered | sent/s | accepted/s | 503/s | delivered/s | delay p50 | p99 | max | ≤ 2 s | ≤ ${MAX_LAG_MS / 1000} s | undelivered | depth max | depth at end | drain | request p50 / p99 / max | service p99 | event-loop delay p99 / max (time in server p50 / p99 / max), ms | server CPU ms/req | load avg | sustainable |`,
    '|---------|--------|------------|-------|-------------|-----------|-----|-----|-------|-------|-------------|-----------|--------------|-------|-------------------------|-------------|----------------------------|-------------------|----------|-------------|',
    ...done.map(formatStep),
    ...(done.some((step) => step.sms !== undefined) ? [
      '',
      `SMS requests beside each step (server CPU, load and the outbox's depth above are the two channels' together; the sink's SNS queue at ${PROVIDER_SMS_RATE > 0 ? `${PROVIDER_SMS_RATE} messages/s` : 'no limit'}):`,
      '',
      `| email offered | SMS offered | sent/s | accepted/s | 503/s | delivered/s | delay p50 | p99 | max | ≤ 2 s | ≤ ${MAX_LAG_MS / 1000} s | undelivered | request p99 |`,
      '|---------------|-------------|--------|------------|-------|-------------|-----------|-----|-----|-------|-------|-------------|-------------|',
      ...done.filter((step) => step.sms !== undefined).map((step) => formatSmsStep(step.rate, step.sms!)),
    ] : []),
    '',
    ...done.flatMap((step) => [
      ...(step.refusedPerSecond > 0 ? [{ label: `Overload at ${step.rate}/s${best ? ` (${(step.rate / best.rate).toFixed(1)}× the sustainable rate)` : ''}`, part: step as ChannelStep, depthMax: step.depthMax }] : []),
      ...(step.sms !== undefined && step.sms.refusedPerSecond > 0 ? [{ label: `SMS overload at ${step.sms.rate}/s beside ${step.rate} email/s${PROVIDER_SMS_RATE > 0 ? ` (${(step.sms.rate / PROVIDER_SMS_RATE).toFixed(1)}× the SMS provider's rate)` : ''}`, part: step.sms, depthMax: step.depthMax }] : []),
    ]).map(({ label, part, depthMax }) => {
      const d = part.delivery;
      const held = d.withinMaxLagShare === 1 && d.undelivered === 0;
      return `${label}: ${part.acceptedPerSecond}/s accepted, ${part.refusedPerSecond}/s refused; ${held ? 'every' : 'NOT every'} accepted code at the provider within DELIVERY_MAX_LAG_SECONDS (${MAX_LAG_MS / 1000} s; slowest ${(d.delayMs.max / 1000).toFixed(1)} s, ${d.undelivered} undelivered); outbox at most ${depthMax} jobs.`;
    }),
    '',
    'Statement time per step, send to answer (p50 / p99 / max ms, the busiest statements):',
    '',
    ...done.map((step) => `- ${step.rate}/s: ${formatStatementTimes(step.statementTimes)}`),
    '',
    `server peak RSS: ${peakRssMb ?? '?'} MiB${formatMemory(done.at(-1)?.eventLoop?.memoryAtPeak)}`,
  ].join('\n');
  console.log(`\n${text}`);
  save({ sweep: done, sustainableRate: best?.rate ?? null, sustainableWithinLatencyTarget: fast?.rate ?? null, latencyTargetMs: LATENCY_TARGET_MS, peakRssMb, providerLatencyMs: PROVIDER_LATENCY_MS, providerRate: PROVIDER_RATE, providerSmsRate: PROVIDER_SMS_RATE, maxLagSeconds: MAX_LAG_MS / 1000, connections: CONNECTIONS, duration: SWEEP_DURATION });
}

function report(flows: FlowResult[], peakRssMb: number | undefined): void {
  const rows = flows.map((r) => `| ${r.flow.padEnd(26)} | ${String(r.requestsPerSecond).padStart(7)} | ${String(r.p50).padStart(4)} | ${String(r.p99).padStart(4)} | ${String(r.non2xx).padStart(6)} | ${String(r.errors).padStart(6)} | ${r.cpuMsPerRequest.server.toFixed(2)} / ${r.cpuMsPerRequest.postgres.toFixed(2)} (${r.cpuMsPerRequest.backends.toFixed(2)}) / ${r.cpuMsPerRequest.loadgen.toFixed(2)} (${Math.round(r.cpuMsPerRequest.kernelShare * 100)}% kernel) | ${eld(r.eventLoop)} | ${r.loadAverage[0].toFixed(1)}–${r.loadAverage[1].toFixed(1)} |`);
  const deliveries = flows.filter((r) => r.delivery).map((r) => {
    const d = r.delivery!;
    return `| ${r.flow.padEnd(26)} | ${String(d.accepted).padStart(8)} | ${String(d.deliveredPerSecond).padStart(11)} | ${String(d.delayMs.p50).padStart(5)} | ${String(d.delayMs.p99).padStart(6)} | ${String(d.delayMs.max).padStart(6)} | ${(d.inTimeShare * 100).toFixed(1).padStart(6)}% | ${String(d.undelivered).padStart(5)} | ${String(d.depthAtEnd).padStart(5)} | ${seconds(d.drainSeconds).padStart(7)} |`;
  });
  const work = flows.map((r) => {
    const top = Object.entries(r.database.byStatement).slice(0, 8).map(([name, count]) => `${name} ${count.toFixed(3)}`).join(', ');
    return `| ${r.flow.padEnd(26)} | ${r.delivery ? 'code   ' : 'request'} | ${r.database.commitsPerRequest.toFixed(3).padStart(7)} | ${r.database.statementsPerRequest.toFixed(3).padStart(10)} | ${top} |`;
  });
  const text = [
    `Sesame benchmark: ${DURATION} s per flow (after ${WARMUP_SECONDS} s warm-up); ${conditions()}`,
    '',
    '| flow                       |   req/s |  p50 |  p99 | non-2xx | errors | CPU ms per request: server / PostgreSQL (its backends for this database) / load generator | event-loop delay p99 / max (time in server p50 / p99 / max), ms | load avg |',
    '|----------------------------|---------|------|------|---------|--------|------|------|------|',
    ...rows,
    '',
    ...(deliveries.length > 0 ? [
      'Delivery (request → provider acceptance):',
      '',
      '| flow                       | accepted | delivered/s | delay p50 | p99 | max | ≤ 2 s | undelivered | depth at end | drain |',
      '|----------------------------|----------|-------------|-----------|-----|-----|-------|-------------|--------------|-------|',
      ...deliveries,
      '',
    ] : []),
    'Statement time, send to answer, in the measured window (p50 / p99 / max ms, the busiest statements):',
    '',
    ...flows.map((r) => `- ${r.flow}: ${formatStatementTimes(r.statementTimes)}`),
    '',
    ...flows.filter((r) => r.hookCalls !== undefined).flatMap((r) => [`${r.flow}: the claims hook answered ${r.hookCalls} calls (warm-up included), each with a verified signature.`, '']),
    'PostgreSQL work (measured window and drain; per code delivered, or per request for flows that send none):',
    '',
    '| flow                       | per     | commits | statements | by statement |',
    '|----------------------------|---------|---------|------------|--------------|',
    ...work,
    '',
    `server peak RSS: ${peakRssMb ?? '?'} MiB${formatMemory(flows.at(-1)?.eventLoop?.memoryAtPeak)}`,
  ].join('\n');
  console.log(text);
  save({ flows, peakRssMb, connections: CONNECTIONS, duration: DURATION, providerLatencyMs: PROVIDER_LATENCY_MS });
}

function formatBlock(r: FlowResult): string {
  return `| ${String(r.round).padStart(5)} | ${r.flow.split(' ')[0]!.padEnd(16)} | ${String(r.requestsPerSecond).padStart(6)} | ${String(r.p99).padStart(4)} | ${String(r.non2xx).padStart(7)} | ${r.cpuMsPerRequest.server.toFixed(2)} / ${r.cpuMsPerRequest.postgres.toFixed(2)} (${r.cpuMsPerRequest.backends.toFixed(2)}) / ${r.cpuMsPerRequest.loadgen.toFixed(2)} | ${r.database.statementsPerRequest.toFixed(3).padStart(10)} | ${r.loadAverage[0].toFixed(1)}–${r.loadAverage[1].toFixed(1)} |`;
}

/** --compare: every block, then per flow the median of its blocks and its ratio to the first flow. */
function reportComparison(blocks: FlowResult[], peakRssMb: number | undefined): void {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const summaries = FLOWS.map((flow) => {
    const mine = blocks.filter((block) => block.flow === flow.name);
    return {
      flow: flow.name.split(' ')[0]!,
      blocks: mine.length,
      requestsPerSecond: Math.round(median(mine.map((block) => block.requestsPerSecond))),
      p99: median(mine.map((block) => block.p99)),
      server: round3(median(mine.map((block) => block.cpuMsPerRequest.server))),
      postgres: round3(median(mine.map((block) => block.cpuMsPerRequest.postgres))),
      backends: round3(median(mine.map((block) => block.cpuMsPerRequest.backends))),
      statements: round3(median(mine.map((block) => block.database.statementsPerRequest))),
    };
  });
  const base = summaries[0]!;
  const percent = (value: number, of: number) => `${value >= of ? '+' : ''}${(((value - of) / of) * 100).toFixed(1)}%`;
  const text = [
    `Sesame comparison: ${COMPARE_ROUNDS} rounds of ${DURATION} s blocks per flow, alternating (after ${WARMUP_SECONDS} s warm-up each); ${conditions()}`,
    '',
    '| round | flow             |  req/s |  p99 | non-2xx | CPU ms per request: server / PostgreSQL (its backends for this database) / load generator | statements | load average |',
    '|-------|------------------|--------|------|---------|------|------------|------|',
    ...blocks.map(formatBlock),
    '',
    `Medians of the blocks (ratios to ${base.flow}):`,
    '',
    '| flow             | blocks |  req/s |  p99 | server CPU ms/req | PostgreSQL CPU ms/req | its backends for this database | statements |',
    '|------------------|--------|--------|------|-------------------|-----------------------|--------------------------------|------------|',
    ...summaries.map((s) => `| ${s.flow.padEnd(16)} | ${String(s.blocks).padStart(6)} | ${s.requestsPerSecond} (${percent(s.requestsPerSecond, base.requestsPerSecond)}) | ${s.p99} | ${s.server.toFixed(2)} (${percent(s.server, base.server)}) | ${s.postgres.toFixed(2)} (${percent(s.postgres, base.postgres)}) | ${s.backends.toFixed(2)} (${percent(s.backends, base.backends)}) | ${s.statements.toFixed(3)} |`),
    '',
    `server peak RSS: ${peakRssMb ?? '?'} MiB`,
  ].join('\n');
  console.log(text);
  save({ compare: blocks, summaries, peakRssMb, connections: CONNECTIONS, duration: DURATION, rounds: COMPARE_ROUNDS, providerLatencyMs: PROVIDER_LATENCY_MS });
}

function save(data: unknown): void {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `${new Date().toISOString().replaceAll(':', '-')}${SWEEP ? '-sweep' : COMPARE ? '-compare' : ''}.json`), JSON.stringify(data, null, 2));
}
