// The statement batcher: concurrent calls share statements, a key never shares or overlaps,
// and a failing batch fails only the inputs the database refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStatementBatcher } from '../../src/repositories/statement-batcher.ts';

interface Call { key: string; value: number }

/** A statement whose runs the test releases by hand, recording every batch it was given. */
function gatedStatement(options: { refuse?: (call: Call) => boolean; timeOut?: (call: Call) => boolean } = {}) {
  const batches: Call[][] = [];
  const gates: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    batches,
    get maxRunning() { return maxRunning; },
    /** Lets the oldest waiting run answer. */
    release() { gates.shift()?.(); },
    async run(inputs: Call[]): Promise<unknown[]> {
      batches.push(inputs);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
      if (inputs.some((call) => options.refuse?.(call))) throw new InputError('refused by the database');
      if (inputs.some((call) => options.timeOut?.(call))) throw new Error('statement timeout');
      return inputs.map((call) => call.value * 10);
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** What the database says of one bad input (a data exception); anything else is not. */
class InputError extends Error {}
const isInputError = (error: unknown) => error instanceof InputError;

async function releaseAll(statement: ReturnType<typeof gatedStatement>, settled: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !settled(); i++) {
    statement.release();
    await turn();
    await turn();
  }
}

describe('statement batcher', () => {
  it('sends a lone call at once, in a statement of its own', async () => {
    const statement = gatedStatement();
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 2 });
    const answer = batcher.submit({ key: 'a', value: 1 });
    await turn();
    assert.deepEqual(statement.batches, [[{ key: 'a', value: 1 }]]);
    statement.release();
    assert.equal(await answer, 10);
  });

  it('puts the calls that queue while the statements are busy into one statement, answering each its own row', async () => {
    const statement = gatedStatement();
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 1 });
    const first = batcher.submit({ key: 'a', value: 1 });
    await turn();
    const queued = [2, 3, 4, 5].map((value) => batcher.submit({ key: `k${value}`, value }));
    await turn();
    assert.equal(statement.batches.length, 1, 'the only slot is busy: nothing else is sent');
    statement.release();
    assert.equal(await first, 10);
    await turn();
    await turn();
    assert.deepEqual(statement.batches[1]!.map((call) => call.value), [2, 3, 4, 5]);
    statement.release();
    assert.deepEqual(await Promise.all(queued), [20, 30, 40, 50]);
  });

  it('keeps to maxBatch inputs per statement and maxInFlight statements at once', async () => {
    const statement = gatedStatement();
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 3, maxInFlight: 2 });
    let settled = 0;
    const answers = Array.from({ length: 10 }, (_, value) => batcher.submit({ key: `k${value}`, value }).finally(() => { settled += 1; }));
    await turn();
    await releaseAll(statement, () => settled === 10);
    assert.deepEqual(await Promise.all(answers), Array.from({ length: 10 }, (_, value) => value * 10));
    assert.ok(statement.batches.every((batch) => batch.length <= 3), JSON.stringify(statement.batches));
    assert.equal(statement.maxRunning, 2);
    assert.deepEqual(statement.batches.flat().map((call) => call.value).sort((a, b) => a - b), Array.from({ length: 10 }, (_, value) => value));
  });

  it('with concurrentAt, sends a further statement beside the one in flight only once that many calls are queued', async () => {
    const statement = gatedStatement();
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 2, concurrentAt: 3 });
    const first = batcher.submit({ key: 'a', value: 1 });
    await turn();
    assert.equal(statement.batches.length, 1, 'with nothing in flight, a lone call goes out at once');
    const queued = [2, 3].map((value) => batcher.submit({ key: `k${value}`, value }));
    await turn();
    assert.equal(statement.batches.length, 1, 'two queued calls wait for the statement in flight although a slot is free');
    queued.push(batcher.submit({ key: 'k4', value: 4 }));
    await turn();
    assert.deepEqual(statement.batches.map((batch) => batch.map((call) => call.value)), [[1], [2, 3, 4]], 'the third queued call sends all three beside it');
    assert.equal(statement.maxRunning, 2);
    statement.release();
    statement.release();
    assert.equal(await first, 10);
    assert.deepEqual(await Promise.all(queued), [20, 30, 40]);
  });

  it('with concurrentAt, sends what is queued when the statement in flight ends', async () => {
    const statement = gatedStatement();
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 4, concurrentAt: 16 });
    const first = batcher.submit({ key: 'a', value: 1 });
    await turn();
    const second = batcher.submit({ key: 'b', value: 2 });
    await turn();
    assert.equal(statement.batches.length, 1);
    statement.release();
    assert.equal(await first, 10);
    await turn();
    await turn();
    assert.deepEqual(statement.batches.map((batch) => batch.map((call) => call.value)), [[1], [2]]);
    statement.release();
    assert.equal(await second, 20);
    assert.equal(statement.maxRunning, 1);
  });

  it('never puts two calls with one key in a statement, nor runs them at once, and keeps their order', async () => {
    const statement = gatedStatement();
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 4 });
    let settled = 0;
    const answers = [1, 2, 3].map((value) => batcher.submit({ key: 'same', value }).finally(() => { settled += 1; }));
    const other = batcher.submit({ key: 'other', value: 9 }).finally(() => { settled += 1; });
    await turn();
    assert.deepEqual(statement.batches, [[{ key: 'same', value: 1 }, { key: 'other', value: 9 }]]);
    await releaseAll(statement, () => settled === 4);
    assert.deepEqual(await Promise.all([...answers, other]), [10, 20, 30, 90]);
    assert.deepEqual(statement.batches.map((batch) => batch.map((call) => call.value)), [[1, 9], [2], [3]]);
    assert.equal(statement.maxRunning, 1, 'the second call for the key waited for the first statement');
  });

  it('retries a failed batch one input at a time, so only the input the database refuses fails', async () => {
    const statement = gatedStatement({ refuse: (call) => call.value === 3 });
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 1 });
    const blocker = batcher.submit({ key: 'first', value: 0 });
    await turn();
    let settled = 0;
    const answers = [1, 2, 3, 4].map((value) => batcher.submit({ key: `k${value}`, value }).then((answer) => ({ answer }), (error: Error) => ({ error: error.message })).finally(() => { settled += 1; }));
    await releaseAll(statement, () => settled === 4);
    assert.equal(await blocker, 0);
    assert.deepEqual(await Promise.all(answers), [{ answer: 10 }, { answer: 20 }, { error: 'refused by the database' }, { answer: 40 }]);
    assert.deepEqual(statement.batches.map((batch) => batch.map((call) => call.value)), [[0], [1, 2, 3, 4], [1], [2], [3], [4]]);
    assert.equal(statement.maxRunning, 1, 'the retries stay in the failed batch\'s slot');
  });

  it('fails a whole batch at once, without retries, when the failure is not one input\'s (a timeout, a lost connection)', async () => {
    const statement = gatedStatement({ timeOut: () => true });
    const batcher = createStatementBatcher<Call, number>({ run: statement.run, keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 1 });
    let settled = 0;
    const answers = [1, 2, 3].map((value) => batcher.submit({ key: `k${value}`, value }).then(() => 'answered', (error: Error) => error.message).finally(() => { settled += 1; }));
    await turn();
    await releaseAll(statement, () => settled === 3);
    assert.deepEqual(await Promise.all(answers), ['statement timeout', 'statement timeout', 'statement timeout']);
    assert.equal(statement.batches.length, 1, 'one statement, no retries that would each wait for a timeout');
  });

  it('fails the calls when the statement answers the wrong number of rows', async () => {
    const batcher = createStatementBatcher<Call, number>({ run: async () => [], keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 1 });
    await assert.rejects(batcher.submit({ key: 'a', value: 1 }), /answered 0 rows for 1 inputs/);
  });

  it('refuses limits below one', () => {
    assert.throws(() => createStatementBatcher<Call, number>({ run: async () => [], keyOf: (call) => call.key, isInputError, maxBatch: 0, maxInFlight: 1 }), /at least 1/);
    assert.throws(() => createStatementBatcher<Call, number>({ run: async () => [], keyOf: (call) => call.key, isInputError, maxBatch: 8, maxInFlight: 1, concurrentAt: 0 }), /at least 1/);
  });
});
