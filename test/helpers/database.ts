/** A fresh, migrated database per test file on the server named by TEST_DATABASE_URL. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrator.ts';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set; run the tests with `npm test`');
  return url;
}

/** Creates an empty database; with `migrated` (default) applies the project's migrations. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `sesame_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  if (options.migrated !== false) await migrate(url.toString());
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  // pool.end() resolves once its clients are told to end, not once their sockets have closed, so
  // the DROP ... WITH (FORCE) below can terminate a connection that is still closing. Without a
  // listener that error would be thrown as an uncaught exception into whichever test is running.
  pool.on('error', () => {});
  return {
    url: url.toString(),
    name,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
