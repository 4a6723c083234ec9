/**
 * Applies prisma/migrations the way `prisma migrate deploy` does, without Prisma's native
 * engine: same advisory lock, same `_prisma_migrations` rows (checksum = SHA-256 hex of the
 * file), each file run as one simple query so it commits or rolls back as a whole. Replicas
 * starting together serialize on the lock; the second finds nothing left to do.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ADVISORY_LOCKS } from './locks.ts';

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

export interface MigrationLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Runs every pending migration in name order under the advisory lock. */
export async function migrate(
  databaseUrl: string,
  options: { dir?: string; log?: MigrationLog } = {},
): Promise<MigrationResult> {
  const dir = options.dir ?? DEFAULT_MIGRATIONS_DIR;
  const log = options.log ?? { info: () => {}, warn: () => {} };
  const migrations = await readMigrations(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.migrate]);
    try {
      return await applyPending(client, migrations, log);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.migrate]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(
  client: pg.Client,
  migrations: { name: string; sql: string; checksum: string }[],
  log: MigrationLog,
): Promise<MigrationResult> {
  await ensureHistoryTable(client);
  const { rows } = await client.query<HistoryRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
  );
  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new Error(
      `Migration ${failed.migration_name} failed earlier (P3009). Fix the database, then mark it rolled back or applied before deploying again.`,
    );
  }
  const applied = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
  const result: MigrationResult = { applied: [], alreadyApplied: [] };

  for (const migration of migrations) {
    const existing = applied.get(migration.name);
    if (existing) {
      if (existing.checksum !== migration.checksum) {
        log.warn(`Migration ${migration.name} was modified after it was applied (checksum differs)`);
      }
      result.alreadyApplied.push(migration.name);
      continue;
    }
    const id = randomUUID();
    await client.query(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, migration.checksum, migration.name],
    );
    try {
      // No parameters: node-postgres sends a simple query, which runs the whole file in one
      // implicit transaction and copes with $$ bodies and semicolons inside strings.
      await client.query(migration.sql);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await client.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, message]);
      throw new Error(`Migration ${migration.name} failed: ${message}`, { cause: error });
    }
    await client.query('UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
    log.info(`Applied migration ${migration.name}`);
    result.applied.push(migration.name);
  }
  return result;
}

async function ensureHistoryTable(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ exists: boolean; others: number }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists,
            (SELECT count(*)::int FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE') AS others`,
  );
  const state = rows[0]!;
  if (state.exists) return;
  if (state.others > 0) {
    throw new Error('The database schema is not empty and has no migration history (P3005); baseline it first.');
  }
  await client.query(`CREATE TABLE _prisma_migrations (
    id                  VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum            VARCHAR(64) NOT NULL,
    finished_at         TIMESTAMPTZ,
    migration_name      VARCHAR(255) NOT NULL,
    logs                TEXT,
    rolled_back_at      TIMESTAMPTZ,
    started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count INTEGER NOT NULL DEFAULT 0
  )`);
}

/** Reads `<dir>/<name>/migration.sql` for every migration directory, sorted by name. */
export async function readMigrations(dir: string): Promise<{ name: string; sql: string; checksum: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
}
