/**
 * Bench-only: loaded into the server process by `npm run bench` with
 * `NODE_OPTIONS=--import ./bench/pg-statement-counter.mjs`, never by the service itself. It
 * counts every statement the process sends through node-postgres (the hand-written pool
 * statements and Prisma's, BEGIN and COMMIT included), by prepared-statement name or by the
 * statement's first words, and writes the counts as JSON to BENCH_PG_COUNT_FILE when asked
 * (SIGUSR2, with the request's sequence number in BENCH_PG_COUNT_FILE + '.seq') and on exit.
 * Plain JavaScript, so the compiled server can load it without a TypeScript loader.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import pg from 'pg';

const file = process.env.BENCH_PG_COUNT_FILE;
const counts = new Map();
let total = 0;

/** The name a statement is counted under: its prepared name, else its first words. */
function keyOf(query) {
  if (typeof query === 'string') return words(query);
  if (query === null || typeof query !== 'object') return 'other';
  if (typeof query.name === 'string' && query.name !== '') return query.name;
  if (typeof query.text === 'string') return words(query.text);
  return 'other';
}

function words(text) {
  return text.replace(/\s+/g, ' ').trim().slice(0, 48);
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  total++;
  const key = keyOf(config);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return query.call(this, config, ...rest);
};

function write() {
  if (!file) return;
  let seq = 0;
  try { seq = Number(readFileSync(`${file}.seq`, 'utf8')) || 0; } catch { /* first write */ }
  // Written whole, then renamed: the reader never sees half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify({ seq, total, byStatement: Object.fromEntries(counts) }));
  renameSync(`${file}.tmp`, file);
}

if (file) {
  process.on('SIGUSR2', write);
  process.on('exit', write);
}
