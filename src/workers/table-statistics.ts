/**
 * Planner statistics: every DATABASE_STATISTICS_INTERVAL_SECONDS (0: never), analyzes the tables
 * that have outgrown their statistics (src/services/table-statistics.ts). Every replica checks;
 * one at a time analyzes.
 */
import type { TableStatistics } from '../services/table-statistics.ts';
import type { Logger } from '../services/types.ts';
import { createPeriodicWorker } from './periodic-worker.ts';
import type { Worker } from './worker.ts';

export function createTableStatisticsWorker(deps: { statistics: Pick<TableStatistics, 'refresh'>; intervalSeconds: number; log: Logger }): Worker {
  return createPeriodicWorker({
    name: 'table-statistics',
    intervalMs: deps.intervalSeconds * 1000,
    task: () => deps.statistics.refresh(),
    log: deps.log,
    failure: 'planner statistics check failed; retrying at the next interval',
  });
}
