// The server runs with the same V8 flags everywhere it is measured or deployed: `npm start`, the
// container's CMD and the benchmark's default. The old-space limit keeps V8's heap near its live
// size, which is most of what holds peak RSS under 150 MB, and the 4 MB semi-space keeps Node 24's
// peak under saturation under it too (docs/benchmarks.md, "Memory", "The semi-space again"); without Maglev, Node 24 (the
// container's runtime) holds about 10 MB less native memory at no measurable CPU; without
// allocation-site pretenuring, V8 stops allocating short-lived request objects in the old space,
// and full collections (the largest stalls of the latency tail) come two to five times less
// often; with one V8 helper thread instead of four (a Node flag), the request p99 at 1,000/s
// halves on two cores. A start command without them would pass every other test and double the footprint
// under load. The same goes for malloc's fixed mmap threshold, an environment variable, which
// keeps the malloc heap from staying at its high-water mark (about 8 MB of peak RSS).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_ENV, SERVER_NODE_ARGS } from '../../bench/server-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

const EXPECTED = ['--max-semi-space-size=4', '--max-old-space-size=256', '--no-maglev', '--no-allocation-site-pretenuring', '--v8-pool-size=1'];

function flagsBefore(entry: string, words: string[]): string[] {
  const index = words.indexOf(entry);
  assert.ok(index > 0, `${entry} in ${words.join(' ')}`);
  return words.slice(words.indexOf('node') + 1, index);
}

describe('V8 flags', () => {
  it('npm start, the container and the benchmark run the server with the same flags', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!;
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    assert.ok(cmd, 'the Dockerfile has an exec-form CMD');

    assert.deepEqual(flagsBefore('dist/server.js', start.split(/\s+/)), EXPECTED);
    assert.deepEqual(flagsBefore('dist/server.js', JSON.parse(cmd) as string[]), EXPECTED);
    assert.deepEqual(SERVER_NODE_ARGS, EXPECTED);
  });

  it('npm start, the container and the benchmark run the server with the same malloc settings', () => {
    const expected = { MALLOC_MMAP_THRESHOLD_: '65536' };
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start!.split(/\s+/);
    // `exec env NAME=value ... node`: the assignments between env and node.
    const startEnv = Object.fromEntries(start.slice(start.indexOf('env') + 1, start.indexOf('node')).map((pair) => pair.split('=') as [string, string]));
    const imageEnv = Object.fromEntries([...read('Dockerfile').matchAll(/^ENV (MALLOC_\w+)=(\S+)$/gm)].map((match) => [match[1]!, match[2]!]));

    assert.ok(start.indexOf('env') >= 0 && start.indexOf('env') < start.indexOf('node'), 'npm start sets the environment with env');
    assert.deepEqual(startEnv, expected);
    assert.deepEqual(imageEnv, expected);
    assert.deepEqual(SERVER_ENV, expected);
  });
});
