// When Sesame analyzes a growing table itself (src/services/table-statistics.ts): once it has at
// least doubled in pages since its last analysis, from MIN_PAGES on, and until that analysis has
// counted SETTLED_ROWS rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_PAGES, SETTLED_ROWS, createTableStatistics, tablesDueForAnalyze } from '../../src/services/table-statistics.ts';
import type { TableSize, TableStatisticsRepository } from '../../src/repositories/table-statistics-repository.ts';

const size = (table: string, analyzedRows: number | null, analyzedPages: number, pages: number): TableSize => ({ table, analyzedRows, analyzedPages, pages });

describe('tables due for ANALYZE', () => {
  it('leaves empty and small tables alone, whatever their statistics say', () => {
    assert.deepEqual(tablesDueForAnalyze([size('a', 0, 0, 0), size('b', null, 0, MIN_PAGES - 1), size('c', 0, 0, 1)]), []);
  });

  it('analyzes a table that has at least doubled in pages since its last analysis, or was never analyzed', () => {
    assert.deepEqual(tablesDueForAnalyze([
      size('empty_when_analyzed', 0, 0, MIN_PAGES),
      size('never_analyzed', null, 0, MIN_PAGES),
      size('doubled', 1_000, 20, 40),
      size('not_yet', 1_000, 20, 39),
    ]), ['empty_when_analyzed', 'never_analyzed', 'doubled']);
  });

  it('leaves a table to autovacuum once an analysis has counted SETTLED_ROWS rows', () => {
    assert.deepEqual(tablesDueForAnalyze([size('settled', SETTLED_ROWS, 1_000, 10_000), size('almost', SETTLED_ROWS - 1, 1_000, 10_000)]), ['almost']);
  });

  it('logs and returns what it analyzed; nothing when another replica holds the lock', async () => {
    const analyzed: string[][] = [];
    let locked = false;
    const repository: TableStatisticsRepository = {
      sizes: async (tables) => [size('users', 0, 0, 50), size('sessions', 100, 1, 1)].filter((entry) => tables.includes(entry.table)),
      analyze: async (tables) => { if (locked) return null; analyzed.push([...tables]); return []; },
    };
    const lines: unknown[] = [];
    const log = { info: (fields: unknown) => lines.push(fields), warn() {}, error() {}, debug() {}, child() { return log; } } as never;
    const statistics = createTableStatistics({ repository, log });
    assert.deepEqual(await statistics.refresh(), ['users']);
    assert.deepEqual(analyzed, [['users']]);
    assert.deepEqual(lines, [{ tables: ['users'], pages: { users: 50 } }]);
    locked = true;
    assert.deepEqual(await statistics.refresh(), []);
    assert.equal(lines.length, 1);
  });

  it('says once which tables it may not analyze, and stops trying them', async () => {
    const asked: string[][] = [];
    const repository: TableStatisticsRepository = {
      sizes: async (tables) => { asked.push([...tables]); return tables.map((table) => size(table, 0, 0, 50)); },
      analyze: async (tables) => tables.filter((table) => table === 'users'),
    };
    const warnings: unknown[] = [];
    const infos: unknown[] = [];
    const log = { info: (fields: unknown) => infos.push(fields), warn: (fields: unknown) => warnings.push(fields), error() {}, debug() {}, child() { return log; } } as never;
    const statistics = createTableStatistics({ repository, log, tables: ['users', 'sessions'] });
    assert.deepEqual(await statistics.refresh(), ['sessions']);
    assert.deepEqual(warnings, [{ tables: ['users'] }]);
    assert.deepEqual(infos, [{ tables: ['sessions'], pages: { sessions: 50 } }]);
    await statistics.refresh();
    assert.deepEqual(asked, [['users', 'sessions'], ['sessions']]);
    assert.equal(warnings.length, 1);
  });
});
