/**
 * Decorates `db`: the pool and Prisma client. Without DATABASE_URL it first starts the embedded
 * PostgreSQL (development); with MIGRATE_ON_START it applies pending migrations under the
 * advisory lock, so replicas may start together.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/index.ts';
import { createDatabase, type Database } from '../db/database.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded-postgres.ts';
import { migrate } from '../db/migrator.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

export const databasePlugin = fp(async (app: FastifyInstance, options: { config: Config }) => {
  const { config } = options;
  let url = config.databaseUrl;
  let embedded: EmbeddedDatabase | undefined;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort });
    app.log.warn({ dataDir: config.dataDir, port: config.embeddedPostgresPort }, 'DATABASE_URL is not set: using an embedded PostgreSQL (development only)');
    url = embedded.url;
  }
  if (config.migrateOnStart) {
    const result = await migrate(url, { log: { info: (message) => app.log.info(message), warn: (message) => app.log.warn(message) } });
    app.log.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied.length }, 'database migrations checked');
  }
  const db = createDatabase(url, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    maxLifetimeSeconds: config.databaseConnectionMaxLifetimeSeconds,
    onError: (error) => app.log.warn({ err: { type: error.name, message: error.message } }, 'idle database connection failed'),
  });
  app.decorate('db', db);
  app.addHook('onClose', async () => {
    await db.close();
    await embedded?.stop();
  });
}, { name: 'database' });
