// Background workers: one start()/stop() shape, started and stopped as a group; a failed start
// leaves nothing running; periodic runs never overlap and survive a failing run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPeriodicWorker } from '../../src/workers/periodic-worker.ts';
import { createWorkerGroup, type Worker } from '../../src/workers/worker.ts';

function recorder() {
  const events: string[] = [];
  const worker = (name: string, behaviour: { failStart?: boolean; failStop?: boolean } = {}): Worker => ({
    name,
    start() {
      events.push(`start ${name}`);
      if (behaviour.failStart) throw new Error(`${name} cannot start`);
    },
    async stop() {
      events.push(`stop ${name}`);
      if (behaviour.failStop) throw new Error(`${name} cannot stop`);
    },
  });
  return { events, worker };
}

const quietLog = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('worker group', () => {
  it('starts in order and stops in reverse order', async () => {
    const { events, worker } = recorder();
    const group = createWorkerGroup([worker('a'), worker('b'), worker('c')]);
    await group.start();
    await group.stop();
    assert.deepEqual(events, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what it started, the failing worker included, when one start fails, and starts nothing after it', async () => {
    const { events, worker } = recorder();
    const group = createWorkerGroup([worker('keys'), worker('sender', { failStart: true }), worker('dispatcher')]);
    await assert.rejects(group.start(), /sender cannot start/);
    assert.deepEqual(events, ['start keys', 'start sender', 'stop sender', 'stop keys']);
    await group.stop();
    assert.equal(events.length, 4, 'nothing is left to stop');
  });

  it('stops every worker even when one stop fails, then reports the failure', async () => {
    const { events, worker } = recorder();
    const group = createWorkerGroup([worker('a'), worker('b', { failStop: true }), worker('c')]);
    await group.start();
    await assert.rejects(group.stop(), /b cannot stop/);
    assert.deepEqual(events.slice(3), ['stop c', 'stop b', 'stop a']);
  });
});

describe('periodic worker', () => {
  it('runs one task at a time, retries after a failure, and stop() waits for the run in progress', async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const warnings: string[] = [];
    const worker = createPeriodicWorker({
      name: 'probe',
      intervalMs: 5,
      task: async () => {
        runs += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(20);
        concurrent -= 1;
        if (runs === 1) throw new Error('first run fails');
      },
      log: { ...quietLog, warn: (_object, message) => { warnings.push(message ?? ''); } },
      failure: 'probe failed',
    });
    worker.start();
    for (const deadline = Date.now() + 5_000; runs < 3 && Date.now() < deadline;) await sleep(5);
    await worker.stop();
    const stoppedAt = runs;
    assert.equal(concurrent, 0, 'the run in progress finished before stop() resolved');
    assert.ok(stoppedAt >= 3, `ran again after the failure (${stoppedAt} runs)`);
    assert.equal(maxConcurrent, 1);
    assert.deepEqual(warnings, ['probe failed']);
    await sleep(40);
    assert.equal(runs, stoppedAt, 'nothing runs after stop()');
  });

  it('never runs with an interval of 0', async () => {
    let runs = 0;
    const worker = createPeriodicWorker({ name: 'off', intervalMs: 0, firstRunAfterMs: () => 0, task: async () => { runs += 1; }, log: quietLog, failure: 'x' });
    worker.start();
    await sleep(20);
    await worker.stop();
    assert.equal(runs, 0);
  });
});
