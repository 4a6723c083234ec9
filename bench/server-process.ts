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
export const SERVER_NODE_ARGS = ['--max-semi-space-size=8', '--max-old-space-size=256', '--no-maglev', '--no-allocation-site-pretenuring'];

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
