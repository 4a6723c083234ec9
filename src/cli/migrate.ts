/** `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database). */
import { loadProcessConfig } from '../config/index.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { migrate } from '../db/migrator.ts';

const config = loadProcessConfig();
const embedded = config.databaseUrl === undefined
  ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort })
  : undefined;
try {
  const result = await migrate(config.databaseUrl ?? embedded!.url, {
    log: { info: (message) => console.log(message), warn: (message) => console.warn(message) },
  });
  console.log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
} finally {
  await embedded?.stop();
}
