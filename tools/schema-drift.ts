/**
 * Does `prisma/schema.prisma` describe exactly what the migrations build? Applies every
 * migration with the project's own migrator to a scratch database, then asks Prisma's schema
 * engine (its WebAssembly build, no download, no network) for the SQL that would turn that
 * database into the schema. Empty SQL means no drift.
 *
 * The engine reads the database through @prisma/adapter-pg. Two details make that work with the
 * published builds: the factory is bound with `bindMigrationAwareSqlAdapterFactory` (the engine
 * expects results wrapped the way Prisma's CLI wraps them), and catalog columns of PostgreSQL's
 * one-byte `"char"` type (OID 18, e.g. `pg_class.relkind`), which the adapter refuses, are
 * handed over as text.
 *
 * What the diff cannot see: CHECK constraints, table storage parameters (`fillfactor`) and
 * `UNLOGGED`, none of which Prisma's schema language expresses. schema.prisma notes them in
 * comments; the migrations are their source.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { migrate } from '../src/db/migrator.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMA_PATH = join(ROOT, 'prisma', 'schema.prisma');
export const MIGRATIONS_DIR = join(ROOT, 'prisma', 'migrations');

/** PostgreSQL's internal one-byte character type, used by the catalogs the engine reads. */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type WasmBindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let bindings: Promise<WasmBindings> | undefined;

/** The global WebAssembly object; the project's TypeScript lib settings do not declare it. */
const webAssembly = (globalThis as unknown as {
  WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }> };
}).WebAssembly;

/** Loads the engine's WebAssembly once (Node cannot import `.wasm` modules without a flag). */
function loadEngine(): Promise<WasmBindings> {
  bindings ??= (async () => {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const glue = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as WasmBindings & { __wbg_set_wasm(exports: unknown): void };
    const bytes = await readFile(join(packageDir, 'schema_engine_bg.wasm'));
    const { instance } = await webAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue;
  })();
  return bindings;
}

/** A pool whose results report `"char"` columns as text, which the adapter can map. */
function catalogFriendlyPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
  Object.assign(pool, {
    async query(...args: unknown[]) {
      const result = await query(...args);
      for (const field of result.fields ?? []) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
      return result;
    },
  });
  return pool;
}

/** The SQL that would turn the database at `databaseUrl` into `schema`; empty when they agree. */
export async function diffDatabaseAgainstSchema(databaseUrl: string, schema: string): Promise<string> {
  const engineBindings = await loadEngine();
  const pool = catalogFriendlyPool(databaseUrl);
  const files = [{ path: 'schema.prisma', content: schema }];
  try {
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
    const engine = await engineBindings.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, adapter);
    try {
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: ROOT },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true,
        filters: { externalTables: [], externalEnums: [] },
      });
      // exitCode 2 is the engine's "the diff is not empty".
      return result.exitCode === 0 ? '' : (result.stdout ?? '').trim();
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

export interface DriftCheckOptions {
  /** Any database on the server; the scratch database is created beside it and dropped. */
  serverUrl: string;
  schema?: string;
  migrationsDir?: string;
  /** Runs on the migrated scratch database before the diff (the self-test's deliberate drift). */
  afterMigrate?: (client: pg.Client) => Promise<void>;
}

/** Applies every migration to a scratch database and diffs it against the schema. */
export async function checkSchemaDrift(options: DriftCheckOptions): Promise<string> {
  const schema = options.schema ?? (await readFile(SCHEMA_PATH, 'utf8'));
  const name = `sesame_drift_${randomBytes(6).toString('hex')}`;
  const scratch = new URL(options.serverUrl);
  scratch.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: options.serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      await migrate(scratch.toString(), { dir: options.migrationsDir ?? MIGRATIONS_DIR });
      if (options.afterMigrate) {
        const client = new pg.Client({ connectionString: scratch.toString() });
        await client.connect();
        try {
          await options.afterMigrate(client);
        } finally {
          await client.end();
        }
      }
      return await diffDatabaseAgainstSchema(scratch.toString(), schema);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
