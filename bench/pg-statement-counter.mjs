/**
 * Bench-only: loaded into the server process by `npm run bench` with
 * `NODE_OPTIONS=--import ./bench/pg-statement-counter.mjs`, never by the service itself. It
 * counts every statement the process sends through node-postgres (the hand-written pool
 * statements and Prisma's, BEGIN and COMMIT included), by prepared-statement name or by the
 * statement's first words, and writes the counts as JSON to BENCH_PG_COUNT_FILE when asked
 * (SIGUSR2, with the request's sequence number in BENCH_PG_COUNT_FILE + '.seq') and on exit.
 * It also times each statement, from handing it to the connection to its answer (round trip,
 * PostgreSQL's work and its commit, waiting for the event loop to read the answer), and writes
 * p50/p99/max per statement since the previous write: a request whose statement waited on a
 * commit (a WAL flush behind a busy disk) is slow without the event loop being blocked.
 * Plain JavaScript, so the compiled server can load it without a TypeScript loader.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import pg from 'pg';

const file = process.env.BENCH_PG_COUNT_FILE;
const counts = new Map();
let total = 0;
/** Statement durations in µs since the last write, by key. */
let timings = new Map();

function timed(key, started) {
  let histogram = timings.get(key);
  if (histogram === undefined) timings.set(key, (histogram = createHistogram()));
  histogram.record(Math.max(1, Math.round((performance.now() - started) * 1000)));
}

/** The name a statement is counted under: its prepared name, the name in its leading comment, else its first words. */
function keyOf(query) {
  if (typeof query === 'string') return words(query);
  if (query === null || typeof query !== 'object') return 'other';
  if (typeof query.name === 'string' && query.name !== '') return query.name;
  if (typeof query.text === 'string') return words(query.text);
  return 'other';
}

function words(text) {
  // A statement planned per call carries its name as a leading comment (src/repositories/sql.ts).
  const named = /^\/\* ([\w.-]+) \*\//.exec(text);
  if (named) return named[1];
  return text.replace(/\s+/g, ' ').trim().slice(0, 48);
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  total++;
  const key = keyOf(config);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  const started = performance.now();
  // The pool passes a callback; Prisma's adapter and direct callers use the promise.
  const last = rest.length - 1;
  if (last >= 0 && typeof rest[last] === 'function') {
    const callback = rest[last];
    rest[last] = function timedCallback(...args) {
      timed(key, started);
      return callback.apply(this, args);
    };
    return query.call(this, config, ...rest);
  }
  if (config !== null && typeof config === 'object' && typeof config.submit === 'function') return query.call(this, config, ...rest);
  const result = query.call(this, config, ...rest);
  if (result !== undefined && typeof result.then === 'function') result.then(() => timed(key, started), () => timed(key, started));
  return result;
};

function write() {
  if (!file) return;
  let seq = 0;
  try { seq = Number(readFileSync(`${file}.seq`, 'utf8')) || 0; } catch { /* first write */ }
  // Written whole, then renamed: the reader never sees half a file.
  const ms = (us) => Math.round(us / 100) / 10;
  const durations = Object.fromEntries([...timings].map(([key, histogram]) => [key, { count: histogram.count, p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) }]));
  timings = new Map();
  writeFileSync(`${file}.tmp`, JSON.stringify({ seq, total, byStatement: Object.fromEntries(counts), durations }));
  renameSync(`${file}.tmp`, file);
}

if (file) {
  process.on('SIGUSR2', write);
  process.on('exit', write);
}
