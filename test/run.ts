/**
 * Runs test files with node:test: `npm test` runs unit/ and integration/, then calls
 * `npm run test:timing` (this runner with --timing: timing/ alone). Named files run as given.
 * Uses TEST_DATABASE_URL when set; otherwise starts an embedded PostgreSQL in a temporary
 * directory for the run. Each test file creates and drops its own database on that server, so
 * files never see each other's rows.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.ts';

const root = new URL('.', import.meta.url).pathname;
const timingOnly = process.argv.includes('--timing');
const requested = process.argv.slice(2).filter((arg) => arg !== '--timing');
const files = requested.length > 0
  ? requested
  : (timingOnly ? ['timing'] : ['unit', 'integration']).flatMap((dir) =>
    readdirSync(join(root, dir)).filter((name) => name.endsWith('.test.ts')).sort().map((name) => join(root, dir, name)));

// The typed browser client (clients/js) has its own lockfile and TypeScript; the stale-types test
// and the real-browser test use it. A fresh clone needs no step of its own: install and build it
// here when it is missing or older than its sources.
prepareBrowserClient();

function prepareBrowserClient(): void {
  const dir = join(root, '../clients/js');
  const newest = (path: string): number => readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .reduce((latest, entry) => Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs), 0);
  const npm = (...args: string[]): void => {
    const result = spawnSync('npm', [...args, '--prefix', dir], { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`npm ${args.join(' ')} --prefix clients/js failed`);
  };
  if (!existsSync(join(dir, 'node_modules/.package-lock.json'))) npm('ci', '--no-audit', '--no-fund');
  if (!existsSync(join(dir, 'dist/index.js')) || newest(join(dir, 'src')) > newest(join(dir, 'dist'))) npm('run', 'build', '--silent');
}

let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;
const env = { ...process.env };
if (!env.TEST_DATABASE_URL) {
  dataDir = mkdtempSync(join(tmpdir(), 'sesame-test-pg-'));
  embedded = await startEmbeddedPostgres({ dataDir, port: 20_000 + Math.floor(Math.random() * 20_000), database: 'postgres', persistent: false });
  env.TEST_DATABASE_URL = embedded.adminUrl;
  console.log('TEST_DATABASE_URL is not set: using an embedded PostgreSQL for this run');
}

// Timing comparisons (S17) need a quiet machine: named together with others, they run after the rest, on their own.
const TIMING = /(^|\/)timing\//;
const phases = [files.filter((file) => !TIMING.test(file)), files.filter((file) => TIMING.test(file))].filter((phase) => phase.length > 0);

function runPhase(phase: string[]): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...phase], {
    stdio: 'inherit',
    env,
  });
  return new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
}

let code = 0;
for (const phase of phases) code = (await runPhase(phase)) || code;
await embedded?.stop();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });
process.exit(code);
