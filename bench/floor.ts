/**
 * `npx tsx bench/floor.ts`: what this machine gives any service, measured with the bench's own
 * open-loop generator (bench/open-loop.ts, 32 connections): a bare Fastify server
 * (FLOOR_MODE=none) and one that does one INSERT per request (bench/floor-server.mjs), at each
 * rate of BENCH_FLOOR_RATES (default 500,1000,2000 requests/s) for BENCH_SWEEP_DURATION seconds
 * (default 20) after a 3 s warm-up, with the server flags of `npm run bench` (BENCH_NODE_ARGS).
 * Beside `npm run bench`, in the same minutes, it tells how much of a latency figure is the
 * machine (two cores shared by the server, PostgreSQL and the generator) and how much is Sesame.
 * Database: a scratch database on BENCH_DATABASE_URL's server, dropped afterwards.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openLoop } from './open-loop.ts';
import { cpuTimesMs, serverEnv, serverNodeArgs } from './server-process.ts';

const RATES = (process.env.BENCH_FLOOR_RATES ?? '500,1000,2000').split(',').map(Number).filter((rate) => rate > 0);
const DURATION = Number(process.env.BENCH_SWEEP_DURATION ?? 20);
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (!serverUrl) throw new Error('set BENCH_DATABASE_URL to a PostgreSQL server (a scratch database is created on it)');

const name = `sesame_floor_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;

/** CPU ms (user + system) of a process so far. */
function cpuMs(pid: number): number {
  const { user, system } = cpuTimesMs(pid);
  return user + system;
}
/** The machine's busy share since the previous call, from /proc/stat. */
function machineBusy(): () => number {
  const read = () => { const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number); const idle = cpu[3]! + cpu[4]!; return { idle, total: cpu.reduce((a, b) => a + b, 0) }; };
  const before = read();
  return () => { const after = read(); return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total); };
}

console.log(`Floor of this machine: bench/floor-server.mjs, ${DURATION} s per rate, 32 connections, node ${process.version}\n`);
console.log('| server | offered/s | sent/s | p50 / p99 / max (ms) | service p99 (ms) | server CPU ms/req | machine busy |');
console.log('|--------|-----------|--------|----------------------|------------------|-------------------|--------------|');
try {
  for (const mode of ['none', 'insert']) {
    const child = fork(new URL('./floor-server.mjs', import.meta.url).pathname, [], {
      execArgv: serverNodeArgs(),
      env: { ...serverEnv(), PATH: process.env.PATH, FLOOR_DATABASE_URL: url.toString(), FLOOR_MODE: mode },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { port } = await new Promise<{ port: number }>((resolve, reject) => { child.once('message', (message) => resolve(message as { port: number })); child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`))); });
    const target = `http://127.0.0.1:${port}`;
    let n = 0;
    const request = () => ({ path: '/r', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `f${n++}@bench.test` }) });
    for (const rate of RATES) {
      await openLoop({ url: target, connections: 32, rate, durationSeconds: 3, request });
      const cpuBefore = cpuMs(child.pid!);
      const busy = machineBusy();
      const result = await openLoop({ url: target, connections: 32, rate, durationSeconds: DURATION, request });
      const share = busy();
      const cpu = (cpuMs(child.pid!) - cpuBefore) / Math.max(1, result.sent);
      const q = result.latencyMs;
      console.log(`| ${mode === 'none' ? 'bare Fastify' : 'Fastify + one INSERT'} | ${rate} | ${Math.round(result.sent / DURATION)} | ${q.p50} / ${q.p99} / ${q.max} | ${result.serviceMs.p99} | ${cpu.toFixed(2)} | ${Math.round(share * 100)}% |`);
    }
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
