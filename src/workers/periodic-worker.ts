/**
 * A worker that runs one task on a timer: the next run is scheduled when the previous one has
 * settled, so runs never overlap. A failed run is logged and retried at the next interval.
 * Every replica runs these; the tasks themselves take an advisory lock where only one may act.
 */
import type { Logger } from '../services/types.ts';
import type { Worker } from './worker.ts';

export function createPeriodicWorker(options: {
  name: string;
  /** Milliseconds between runs; 0 turns the worker off. */
  intervalMs: number;
  /** Delay before the first run (default: one interval). */
  firstRunAfterMs?: () => number;
  task: () => Promise<unknown>;
  log: Logger;
  /** The log message of a failed run. */
  failure: string;
}): Worker {
  const { intervalMs, task, log, failure } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let active = false;

  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      running = task().then(() => {}, (error: unknown) => {
        const err = error instanceof Error ? { type: error.name, message: error.message } : { message: String(error) };
        log.warn({ err }, failure);
      });
      void running.then(() => { if (active) schedule(intervalMs); });
    }, delayMs);
    timer.unref();
  }

  return {
    name: options.name,
    start() {
      if (intervalMs === 0 || active) return;
      active = true;
      schedule(options.firstRunAfterMs?.() ?? intervalMs);
    },
    async stop() {
      active = false;
      clearTimeout(timer);
      await running;
    },
  };
}
