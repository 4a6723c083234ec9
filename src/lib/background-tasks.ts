/**
 * Work that runs after the HTTP reply (so its cost and outcome cannot be read from the
 * response, S17) and that shutdown waits for. A failing task is logged, never thrown.
 */
export interface BackgroundTasks {
  run(name: string, task: () => Promise<void>): void;
  /** Resolves when every task started so far has settled. */
  drain(): Promise<void>;
}

export function createBackgroundTasks(log: { error(object: object, message?: string): void }): BackgroundTasks {
  const inFlight = new Set<Promise<void>>();
  return {
    run(name, task) {
      const pending: Promise<void> = task()
        .catch((error: unknown) => {
          log.error({ task: name, err: { type: (error as Error)?.name, message: (error as Error)?.message } }, 'background task failed');
        })
        .finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
