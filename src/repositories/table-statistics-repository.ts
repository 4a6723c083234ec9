/**
 * The planner's view of Sesame's own tables: how many rows and pages the last ANALYZE saw, and
 * how many pages each table has now. See src/services/table-statistics.ts for why Sesame reads
 * it, and when it runs ANALYZE itself.
 */
import type pg from 'pg';
import { ADVISORY_LOCKS } from '../db/locks.ts';
import { statement, transaction } from './sql.ts';

export interface TableSize {
  table: string;
  /** Rows counted by the last ANALYZE or VACUUM; null when neither has run (pg_class.reltuples = -1). */
  analyzedRows: number | null;
  /** Pages counted by the last ANALYZE or VACUUM. */
  analyzedPages: number;
  /** Pages on disk now. */
  pages: number;
}

export interface TableStatisticsRepository {
  sizes(tables: readonly string[]): Promise<TableSize[]>;
  /**
   * ANALYZE these tables, by one replica at a time. Returns the tables PostgreSQL skipped (it
   * analyzes only tables the database user owns, and warns about the others), or null when
   * another replica holds the lock.
   */
  analyze(tables: readonly string[]): Promise<string[] | null>;
}

// Catalog reads only; a table missing from the schema is left out. Planned per call: it runs
// every few seconds, on small catalogs.
const SIZES = statement<{ tables: readonly string[] }>('statistics_sizes', `
SELECT t.name AS table, c.reltuples::float8 AS rows, c.relpages AS analyzed_pages,
       (pg_relation_size(c.oid) / current_setting('block_size')::int)::int AS pages
FROM unnest(:tables::text[]) AS t(name)
JOIN pg_class c ON c.oid = to_regclass(quote_ident(t.name))
ORDER BY t.name`, { prepared: false });

/** Table names go into ANALYZE as identifiers: only plain lower-case names are accepted. */
const PLAIN_NAME = /^[a-z_][a-z0-9_]*$/;

export function createTableStatisticsRepository(pool: pg.Pool): TableStatisticsRepository {
  return {
    async sizes(tables) {
      const { rows } = await pool.query<{ table: string; rows: number; analyzed_pages: number; pages: number }>(SIZES.bind({ tables }));
      return rows.map((row) => ({ table: row.table, analyzedRows: row.rows < 0 ? null : row.rows, analyzedPages: row.analyzed_pages, pages: row.pages }));
    },

    async analyze(tables) {
      for (const table of tables) if (!PLAIN_NAME.test(table)) throw new Error(`not a table name: ${table}`);
      if (tables.length === 0) return [];
      // A transaction-level try-lock: replicas that saw the same growth do not analyze the same
      // tables one after another. ANALYZE may run in a transaction; its statistics, and the
      // invalidation of the plans cached on them, take effect at commit.
      return transaction(pool, async (client) => {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.tableStatistics]);
        if (!rows[0]!.locked) return null;
        // A table it may not analyze is a WARNING naming it ('skipping "users" --- only table or
        // database owner can analyze it'; 'permission denied to analyze "users", skipping it'
        // from PostgreSQL 16), not an error.
        const skipped = new Set<string>();
        const onNotice = (notice: { message?: string }) => {
          const named = /"([^"]+)"/.exec(notice.message ?? '')?.[1];
          if (named !== undefined && tables.includes(named)) skipped.add(named);
        };
        client.on('notice', onNotice);
        try {
          await client.query(`ANALYZE ${tables.map((table) => `"${table}"`).join(', ')}`);
        } finally {
          client.off('notice', onNotice);
        }
        return [...skipped];
      });
    },
  };
}
