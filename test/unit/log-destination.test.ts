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
import { eventually } from '../helpers/app.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

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
  it('writes lines logged a few milliseconds apart together, within the flush interval', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sesame-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const destination = logDestination(fd);
    // sonic-boom's documented 'write' event: one per write to the file, with its size.
    const writes: number[] = [];
    destination.on('write', (bytes: number) => { if (bytes > 0) writes.push(bytes); });
    try {
      const log = pino(destination);
      // Line by line, each of these goes out in a write of its own once the one before is done.
      const started = Date.now();
      for (let i = 0; i < 8; i++) {
        log.info({ i }, 'a quiet line');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const elapsed = Date.now() - started;
      await eventually(() => (readFileSync(file, 'utf8').split('\n').length === 9 ? true : undefined), LOG_FLUSH_INTERVAL_MS * 20);
      // Buffered: one write per turn of the flush timer while they were logged (about 40 ms:
      // one, or two when the timer fell between them), and one for the rest.
      const allowed = Math.floor(elapsed / LOG_FLUSH_INTERVAL_MS) + 2;
      assert.ok(writes.length <= allowed, `${writes.length} writes for 8 lines logged over ${elapsed} ms (at most ${allowed})`);
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
