/**
 * Coalesces concurrent calls of one hot statement into set-based statements: each call queues
 * its input, and up to `maxInFlight` statements run at a time, each taking up to `maxBatch`
 * queued inputs. A call never waits for company: with no statement in flight, what is queued
 * goes out at the end of the current turn of the event loop, so at low traffic every batch
 * holds one input. Once a statement is in flight, the calls that arrive meanwhile queue and the
 * next statement takes them all at once, so the statement's fixed costs (a round trip,
 * planning, executor start-up, a commit and its WAL flush, the client's encoding and parsing)
 * are paid once per batch instead of once per call. A further statement goes out beside the
 * one in flight only once `concurrentAt` calls are queued: at moderate traffic the calls share
 * the next statement instead of each taking a slot of its own, and when statements slow down
 * (a busy database) the queue grows past it and the other slots keep the rate up.
 * `npm run bench` (docs/benchmarks.md, "Batched statements" and "One statement in flight until
 * calls queue") has the figures.
 *
 * Inputs with the same key never share a statement nor run in two at once: a later one waits for
 * the statement holding the earlier one, so per-key rules (a throttle that lets one request
 * through) see them in order, exactly as separate statements would, and no two statements in
 * flight lock the same rows.
 *
 * When the database refuses a batch because of what one input holds (`isInputError`), each of
 * its inputs is retried in a statement of its own, so that input fails only its own call. Any
 * other failure (a timeout, a lost connection) fails the whole batch at once: retrying its
 * calls one by one would make the last of them wait for a timeout per call before it.
 */
export interface StatementBatcherOptions<In> {
  /** Runs one statement for the inputs; answers one output per input, in the same order. */
  run(inputs: In[]): Promise<unknown[]>;
  /** The inputs that must not share a statement or overlap in time. */
  keyOf(input: In): string;
  /** Whether a failure may be one input's doing, so that the batch's calls are retried one by one. */
  isInputError(error: unknown): boolean;
  maxBatch: number;
  maxInFlight: number;
  /**
   * Calls queued before a statement goes out while another is in flight (default 1: whenever a
   * slot is free). With no statement in flight, a single call goes out at once.
   */
  concurrentAt?: number;
}

interface Pending<In> {
  input: In;
  key: string;
  resolve(output: unknown): void;
  reject(error: unknown): void;
}

export interface StatementBatcher<In, Out> {
  submit(input: In): Promise<Out>;
}

export function createStatementBatcher<In, Out>(options: StatementBatcherOptions<In>): StatementBatcher<In, Out> {
  const { maxBatch, maxInFlight } = options;
  const concurrentAt = options.concurrentAt ?? 1;
  if (!(maxBatch >= 1 && maxInFlight >= 1 && concurrentAt >= 1)) throw new Error('maxBatch, maxInFlight and concurrentAt must be at least 1');
  let queue: Pending<In>[] = [];
  /** Keys held by a statement in flight. */
  const busy = new Set<string>();
  let inFlight = 0;
  let scheduled = false;

  /** Whether what is queued may go out now: a slot is free, and none is busy or enough calls wait. */
  function mayStart(): boolean {
    return inFlight < maxInFlight && queue.length > 0 && (inFlight === 0 || queue.length >= concurrentAt);
  }

  function schedule(): void {
    if (scheduled || !mayStart()) return;
    scheduled = true;
    setImmediate(flush);
  }

  function flush(): void {
    scheduled = false;
    while (mayStart()) {
      const batch: Pending<In>[] = [];
      const keys = new Set<string>();
      const rest: Pending<In>[] = [];
      for (const pending of queue) {
        if (batch.length < maxBatch && !busy.has(pending.key) && !keys.has(pending.key)) {
          batch.push(pending);
          keys.add(pending.key);
        } else {
          rest.push(pending);
        }
      }
      if (batch.length === 0) return; // everything queued waits for a key in flight
      queue = rest;
      for (const key of keys) busy.add(key);
      inFlight += 1;
      void execute(batch).finally(() => {
        for (const key of keys) busy.delete(key);
        inFlight -= 1;
        schedule();
      });
    }
  }

  async function execute(batch: Pending<In>[]): Promise<void> {
    let outputs: unknown[];
    try {
      outputs = await options.run(batch.map((pending) => pending.input));
      if (outputs.length !== batch.length) throw new Error(`statement answered ${outputs.length} rows for ${batch.length} inputs`);
    } catch (error) {
      if (batch.length === 1 || !options.isInputError(error)) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      // One input the database refuses must not fail the others: each goes again on its own,
      // one after another, in the slot this batch holds.
      for (const pending of batch) await execute([pending]);
      return;
    }
    batch.forEach((pending, index) => pending.resolve(outputs[index]));
  }

  return {
    submit(input) {
      return new Promise<Out>((resolve, reject) => {
        queue.push({ input, key: options.keyOf(input), resolve: resolve as (output: unknown) => void, reject });
        schedule();
      });
    },
  };
}
