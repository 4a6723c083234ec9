/**
 * Planner statistics while Sesame's tables grow from empty.
 *
 * The hot statements are prepared once per connection and keep a generic plan (src/db/database.ts).
 * PostgreSQL makes that plan with the statistics it has at the time and keeps it until an ANALYZE
 * or VACUUM of a table it reads. On a new database the tables are empty, so the first plans read
 * them with sequential scans, which is right for an empty table and ruinous for a full one: with
 * nothing to analyze the tables, the request flow at 1,000 requests/s fell to 440–573 accepted
 * requests a second within 30 s, with a median answer of 1.6–5.8 s (docs/benchmarks.md,
 * "Plans made on empty tables, and statistics that follow growth"). Autovacuum analyzes a table
 * once 50 rows plus 10% of it have changed, but looks at each database only once a minute
 * (autovacuum_naptime), and some deployments run without it.
 *
 * So Sesame checks, every DATABASE_STATISTICS_INTERVAL_SECONDS, the tables its prepared
 * statements read, and analyzes each one that has at least doubled in pages since its last
 * analysis (at least MIN_PAGES pages, so an empty table stays as it is), until the analysis has
 * counted SETTLED_ROWS rows. Past that, a table's plans no longer change with its size, and what
 * remains is autovacuum's job. A table grows from empty through a handful of analyses (each at
 * twice the size of the last), each of which invalidates the cached plans that read it, on every
 * connection of every replica.
 */
import type { TableSize, TableStatisticsRepository } from '../repositories/table-statistics-repository.ts';
import type { Logger } from './types.ts';

/** The tables Sesame's named (prepared, generically planned) statements read. */
export const PLANNED_TABLES: readonly string[] = [
  'users', 'one_time_tokens', 'request_throttle', 'guess_failures', 'delivery_jobs',
  'sessions', 'refresh_tokens', 'sms_counters', 'webhook_deliveries', 'webhook_attempts',
];

/** 8 pages (64 KiB): a few hundred rows. Below that a sequential scan costs next to nothing. */
export const MIN_PAGES = 8;
/** Past this many rows (at the last analysis), a table is left to autovacuum. */
export const SETTLED_ROWS = 100_000;

/** The tables whose statistics are out of step with their size. */
export function tablesDueForAnalyze(sizes: readonly TableSize[]): string[] {
  return sizes
    .filter((size) => (size.analyzedRows === null || size.analyzedRows < SETTLED_ROWS)
      && size.pages >= MIN_PAGES && size.pages >= 2 * size.analyzedPages)
    .map((size) => size.table);
}

export interface TableStatistics {
  /** Reads the tables' sizes and analyzes those that are due; returns the tables analyzed. */
  refresh(): Promise<string[]>;
}

export function createTableStatistics(deps: { repository: TableStatisticsRepository; log: Logger; tables?: readonly string[] }): TableStatistics {
  const tables = deps.tables ?? PLANNED_TABLES;
  // Tables the database user may not analyze: said once, then left to autovacuum and to
  // DATABASE_CONNECTION_MAX_LIFETIME_SECONDS.
  const notOwned = new Set<string>();
  return {
    async refresh() {
      const sizes = await deps.repository.sizes(tables.filter((table) => !notOwned.has(table)));
      const due = tablesDueForAnalyze(sizes);
      if (due.length === 0) return [];
      const skipped = await deps.repository.analyze(due);
      if (skipped === null) return [];
      if (skipped.length > 0) {
        for (const table of skipped) notOwned.add(table);
        deps.log.warn({ tables: skipped }, 'cannot analyze these tables (the database user does not own them); their statistics are left to autovacuum');
      }
      const analyzed = due.filter((table) => !skipped.includes(table));
      if (analyzed.length === 0) return [];
      const pages = Object.fromEntries(sizes.filter((size) => analyzed.includes(size.table)).map((size) => [size.table, size.pages]));
      deps.log.info({ tables: analyzed, pages }, 'planner statistics refreshed for growing tables');
      return analyzed;
    },
  };
}
