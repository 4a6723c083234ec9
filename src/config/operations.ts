/**
 * Runtime behaviour under faults and restarts (issue 8, "Faults and restarts"): how long a
 * database call may take before the request answers 503, and how a SIGTERM drains the process.
 */
import type { EnvReader } from './reader.ts';

export interface OperationsConfig {
  /** Server-side statement_timeout and the client's read timeout: a black-holed database answers 503 after this. */
  databaseStatementTimeoutMs: number;
  /** How long to wait for a new PostgreSQL connection before answering 503. */
  databaseConnectTimeoutMs: number;
  /**
   * A pooled connection is replaced once it is this old (0: never), so the plans it cached for the
   * named statements are made again against the tables as they are now.
   */
  databaseConnectionMaxLifetimeSeconds: number;
  /** How often the growing tables' planner statistics are checked (0: never; src/services/table-statistics.ts). */
  databaseStatisticsIntervalSeconds: number;
  /** SIGTERM → exit: the whole drain must finish within this, else the process exits 1. */
  shutdownGraceSeconds: number;
  /** After SIGTERM, /readyz answers 503 and the listener keeps serving this long, so load balancers stop routing here first. */
  shutdownDrainSeconds: number;
}

export function parseOperations(read: EnvReader, problems: string[]): OperationsConfig {
  const shutdownGraceSeconds = read.int('SHUTDOWN_GRACE_SECONDS', 25, 1, 600);
  const shutdownDrainSeconds = read.int('SHUTDOWN_DRAIN_SECONDS', 5, 0, 300);
  if (shutdownDrainSeconds >= shutdownGraceSeconds) {
    problems.push('SHUTDOWN_DRAIN_SECONDS: must be shorter than SHUTDOWN_GRACE_SECONDS (the drain is part of the grace period)');
  }
  return {
    databaseStatementTimeoutMs: read.int('DATABASE_STATEMENT_TIMEOUT_MS', 5_000, 100, 600_000),
    databaseConnectTimeoutMs: read.int('DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 60_000),
    databaseConnectionMaxLifetimeSeconds: read.int('DATABASE_CONNECTION_MAX_LIFETIME_SECONDS', 600, 0, 86_400),
    databaseStatisticsIntervalSeconds: read.int('DATABASE_STATISTICS_INTERVAL_SECONDS', 5, 0, 3_600),
    shutdownGraceSeconds,
    shutdownDrainSeconds,
  };
}
