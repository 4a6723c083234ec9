/**
 * What every operator CLI (admin, clients, keys) does around its work: open the configured
 * database, or the embedded one under DATA_DIR when DATABASE_URL is unset, apply the migrations
 * when MIGRATE_ON_START says so, and close everything afterwards, whatever the work threw.
 */
import type { Config } from '../config/index.ts';
import { createDatabase, type Database } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { migrate } from '../db/migrator.ts';

/** Runs `work` on a small pool (two connections are plenty for one command) and returns its result. */
export async function withCliDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const embedded = config.databaseUrl === undefined
    ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort })
    : undefined;
  const url = config.databaseUrl ?? embedded!.url;
  const db = createDatabase(url, { poolSize: 2 });
  try {
    if (config.migrateOnStart) await migrate(url);
    return await work(db);
  } finally {
    await db.close();
    await embedded?.stop();
  }
}
