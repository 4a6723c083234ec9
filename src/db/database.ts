/**
 * One connection pool for the process. Hot paths run single SQL statements on it directly;
 * everything else goes through Prisma, which shares the same pool via @prisma/adapter-pg.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import { tracePool } from '../telemetry.ts';

export interface Database {
  pool: pg.Pool;
  /** Prisma's client, made at its first use (any property of it). */
  prisma: PrismaClient;
  /** Whether Prisma's client has been made yet. */
  prismaMade(): boolean;
  /** True when the database answers a trivial query within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the pool and the Prisma client on it. */
export function createDatabase(url: string, options: {
  poolSize: number;
  onError?: (error: Error) => void;
  /** statement_timeout on the server and a read timeout in the client (a black-holed host never answers). */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** A connection this old is closed once it is idle or released, and replaced on demand (0: never). */
  maxLifetimeSeconds?: number;
}): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // The server cancels a statement past this (57014); the client gives up at the same time when
    // no answer comes at all (packets dropped), and the pool then discards that connection.
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'sesame',
    // Every named statement is ours (src/repositories, statement() in sql.ts): index lookups whose
    // generic plan is the right one, planned once per connection. Left to choose, PostgreSQL plans
    // a batched statement afresh at every call whenever the plan for the batch's real size looks
    // cheaper than the generic one, which it always does for a batch of one: about 1 ms of its CPU
    // per call, more than running it (the guess statement did so at every call; docs/benchmarks.md).
    // Prisma's statements are unnamed, and planned per call whatever this says.
    options: '-c plan_cache_mode=force_generic_plan',
    // A generic plan is kept for the connection's life and is not made again when a table grows;
    // only an ANALYZE or VACUUM of the table (autovacuum's, in production) replaces it. A plan made
    // while the tables were empty (a new deployment's first requests, or autovacuum off) scanned
    // one_time_tokens in full once per request of a batch (docs/benchmarks.md, "Plans made while
    // a table was empty"). Replacing connections bounds how long such a plan can live: a new
    // connection plans against the tables' size on disk, which PostgreSQL reads at planning time,
    // whatever the statistics say (integration/table-statistics.test.ts). pg-pool closes an
    // expired connection when it is idle or released, so no statement is cut off, and opens a
    // new one when one is next needed.
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 0,
  });
  // An idle client losing its connection must not crash the process; readiness reports it.
  pool.on('error', (error) => options.onError?.(error));
  // A span per statement when traces are on (a no-op otherwise).
  tracePool(pool);
  // Prisma's client is made at its first use, not here: it serves only what is not a hot path
  // (accounts, passkeys, the admin API), and a process that never uses it (a replica that only
  // signs people in) keeps the 2 MiB of heap and 3-4 MiB of RSS that making it takes
  // (docs/benchmarks.md, "Prisma's client made when first used"). Any property of `prisma`
  // (a model, $transaction, $executeRaw) makes it; its methods are bound to it.
  let client: PrismaClient | undefined;
  const made = (): PrismaClient => (client ??= new PrismaClient({ adapter: new PrismaPg(pool) }));
  const prisma = new Proxy({} as PrismaClient, {
    get(_target, name) {
      const value: unknown = Reflect.get(made(), name);
      return typeof value === 'function' ? value.bind(client) : value;
    },
  });

  return {
    pool,
    prisma,
    prismaMade: () => client !== undefined,
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([pool.query('SELECT 1').then(() => true), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await client?.$disconnect();
      await pool.end();
    },
  };
}
