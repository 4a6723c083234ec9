// Log lines go out in chunks (src/lib/log-destination.ts): a line waits in the buffer, reaches the
// log within the flush interval however quiet the service is, and is never lost when the process
// ends by exit, an uncaught exception or a handled signal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { LOG_FLUSH_INTERVAL_MS, logDestination } from '../../src/lib/log-destination.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

async function eventually<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function child(how: string): { stdout(): string; stderr(): string; process: ReturnType<typeof spawn>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/log-child.ts', how], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  proc.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { stdout: () => out, stderr: () => err, process: proc, exited };
}

describe('log destination', () => {
  it('holds a line in its buffer, then writes it within the flush interval', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sesame-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const destination = logDestination(fd);
    try {
      const log = pino(destination);
      log.info('one quiet line');
      // Far below LOG_BUFFER_BYTES: nothing is written yet (a line-by-line destination fails here).
      assert.equal(readFileSync(file, 'utf8'), '');
      const line = await eventually(() => (readFileSync(file, 'utf8').includes('one quiet line') ? true : undefined), LOG_FLUSH_INTERVAL_MS * 20);
      assert.equal(line, true);
    } finally {
      destination.flushSync();
      destination.end();
      closeSync(fd);
    }
  });

  for (const how of ['exit', 'throw']) {
    it(`writes what is buffered when the process ends by ${how === 'exit' ? 'process.exit' : 'an uncaught exception'}`, async () => {
      const run = child(how);
      const code = await run.exited;
      assert.equal(code, how === 'exit' ? 0 : 1, run.stderr());
      assert.match(run.stdout(), new RegExp(`"msg":"written before ${how}"`));
    });
  }

  it('writes what is buffered when a handled SIGTERM ends the process', async () => {
    const run = child('signal');
    await eventually(() => (run.stderr().includes('ready') ? true : undefined), 30_000);
    run.process.kill('SIGTERM');
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stdout(), /"msg":"written before signal"/);
    assert.match(run.stdout(), /"msg":"stopped"/);
  });

  it('writes a line of a process that keeps running and logs nothing more', async () => {
    const run = child('stay');
    try {
      await eventually(() => (run.stdout().includes('"msg":"written before stay"') ? true : undefined), 30_000);
    } finally {
      run.process.kill('SIGKILL');
      await run.exited;
    }
  });
});
