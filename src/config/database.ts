/** Where state lives: PostgreSQL (or the embedded one in development) and the optional Redis for rate-limit counters. */
import type { EnvReader } from './reader.ts';

export interface DatabaseConfig {
  /** Unset means: start an embedded PostgreSQL under dataDir (development only). */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  migrateOnStart: boolean;
  dataDir: string;
  embeddedPostgresPort: number;
  /** Shared rate-limit counters across replicas; unset: counters in memory. */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  redisTimeoutMs: number;
}

export function parseDatabase(read: EnvReader, problems: string[]): DatabaseConfig {
  const redisUrl = read.optional('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL: must start with redis:// or rediss://');
  return {
    databaseUrl: read.optional('DATABASE_URL'),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 20, 1, 500),
    migrateOnStart: read.bool('MIGRATE_ON_START', true),
    dataDir: read.string('DATA_DIR', './data'),
    embeddedPostgresPort: read.int('EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    redisUrl,
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'sesame:'),
    redisTimeoutMs: read.int('REDIS_TIMEOUT_MS', 500, 50, 60_000),
  };
}
