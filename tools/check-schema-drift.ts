/**
 * `npm run db:check-drift`: fails when the migrations and prisma/schema.prisma disagree.
 *
 * Uses the PostgreSQL server named by TEST_DATABASE_URL or DATABASE_URL (a scratch database is
 * created there and dropped), or an embedded PostgreSQL when neither is set. Before the real
 * check it proves that it can fail: a column added after the migrations, and an index taken out
 * of the schema, must each be reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres.ts';
import { checkSchemaDrift, SCHEMA_PATH } from './schema-drift.ts';

let embedded: EmbeddedDatabase | undefined;
let dataDir: string | undefined;
let serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
if (!serverUrl) {
  dataDir = mkdtempSync(join(tmpdir(), 'sesame-drift-pg-'));
  embedded = await startEmbeddedPostgres({ dataDir, port: 20_000 + Math.floor(Math.random() * 20_000), database: 'postgres', persistent: false });
  serverUrl = embedded.adminUrl;
}

let failed = false;
try {
  const schema = await readFile(SCHEMA_PATH, 'utf8');

  // Self-check: both directions of drift must be seen, or a green result means nothing.
  const extraColumn = await checkSchemaDrift({
    serverUrl,
    schema,
    afterMigrate: async (client) => { await client.query('ALTER TABLE users ADD COLUMN drift_probe integer'); },
  });
  const withoutIndex = schema.replace(/^\s*@@index\(\[expiresAt\]\)\s*$/m, '');
  if (withoutIndex === schema) throw new Error('self-check: the sessions index on expiresAt is no longer in schema.prisma; pick another probe');
  const missingIndex = await checkSchemaDrift({ serverUrl, schema: withoutIndex });
  if (!/drift_probe/.test(extraColumn) || !/DROP INDEX/.test(missingIndex)) {
    throw new Error(`self-check failed: a deliberate drift was not reported\n${extraColumn}\n${missingIndex}`);
  }

  const drift = await checkSchemaDrift({ serverUrl, schema });
  if (drift === '') {
    console.log('schema.prisma and prisma/migrations agree (no drift).');
  } else {
    failed = true;
    console.error('schema.prisma and prisma/migrations disagree. SQL that would turn the migrated database into schema.prisma:\n');
    console.error(drift);
    console.error('\nFix schema.prisma, or add a migration, until this is empty.');
  }
} finally {
  await embedded?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
