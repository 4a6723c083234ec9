/**
 * What `npm run bench` (bench/run.ts) and `bench/floor.ts` share about the server processes they
 * start and watch.
 */
import { readFileSync } from 'node:fs';

/**
 * The server's V8 flags unless BENCH_NODE_ARGS gives others: those of `npm start` and the
 * container's CMD (test/unit/node-flags.test.ts keeps the three equal; docs/benchmarks.md,
 * "Memory").
 */
export const SERVER_NODE_ARGS = ['--max-semi-space-size=4', '--max-old-space-size=256', '--no-maglev', '--no-allocation-site-pretenuring', '--v8-pool-size=1'];

/**
 * The server's environment beyond its settings, also that of `npm start` and the container
 * (test/unit/node-flags.test.ts keeps the three equal): glibc's malloc with a fixed mmap
 * threshold of 64 KiB. Unset, glibc raises the threshold to the size of each large block freed,
 * up to 32 MiB, after which large blocks (likely the 64 KiB read buffers of the PostgreSQL
 * sockets; not traced) come from its heap, which stays at its high-water mark; fixed, they are
 * mapped and returned as they are freed. Peak RSS under load on Node 24 was 145-148 MB with it
 * against 151-157 MB without, with no CPU difference the runs could tell from their spread
 * (docs/benchmarks.md, "glibc's mmap threshold").
 */
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '65536' };

/**
 * SERVER_ENV with BENCH_SERVER_ENV ("NAME=value ...") on top; `NAME=` with no value removes a
 * default, e.g. BENCH_SERVER_ENV="MALLOC_MMAP_THRESHOLD_=" for glibc's own dynamic threshold.
 */
export function serverEnv(): Record<string, string> {
  const env: Record<string, string> = { ...SERVER_ENV };
  for (const pair of (process.env.BENCH_SERVER_ENV ?? '').split(' ').filter(Boolean)) {
    const name = pair.slice(0, pair.indexOf('='));
    const value = pair.slice(pair.indexOf('=') + 1);
    if (value === '') delete env[name];
    else env[name] = value;
  }
  return env;
}

export function serverNodeArgs(): string[] {
  const given = process.env.BENCH_NODE_ARGS;
  return given === undefined ? [...SERVER_NODE_ARGS] : given.split(' ').filter(Boolean);
}

/** User and system CPU time (ms) a process has used so far, from /proc; zeros once it has gone. */
export function cpuTimesMs(pid: number | string): { user: number; system: number } {
  const ticksToMs = 10; // USER_HZ is 100 on Linux
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) * ticksToMs, system: Number(fields[12]) * ticksToMs };
  } catch {
    return { user: 0, system: 0 };
  }
}
