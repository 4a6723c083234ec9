/**
 * One shape for background work. The composition root builds workers and starts none; the
 * workers plugin starts them when the app is ready and stops them when it closes.
 */

export interface Worker {
  /** For logs and for choosing which workers a process runs. */
  readonly name: string;
  /** Starts the loop and returns at once. */
  start(): void;
  /** Stops the loop and waits for work in progress, so nothing runs after the pool closes. */
  stop(): Promise<void>;
}

export interface WorkerGroup {
  /** Starts every worker in order; if one fails, stops those already started and rethrows. */
  start(): Promise<void>;
  /** Stops the started workers in reverse order, each even if another fails; rethrows the first failure. */
  stop(): Promise<void>;
}

export function createWorkerGroup(workers: readonly Worker[]): WorkerGroup {
  const started: Worker[] = [];

  async function stop(): Promise<void> {
    const failures: unknown[] = [];
    for (let worker = started.pop(); worker !== undefined; worker = started.pop()) {
      await worker.stop().catch((error: unknown) => { failures.push(error); });
    }
    if (failures.length > 0) throw failures[0];
  }

  return {
    async start() {
      for (const worker of workers) {
        // Counted as started before start(): a start that throws halfway may have set a timer.
        started.push(worker);
        try {
          worker.start();
        } catch (error) {
          await stop().catch(() => {});
          throw error;
        }
      }
    },
    stop,
  };
}
