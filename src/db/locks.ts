/**
 * Every PostgreSQL advisory-lock key Sesame takes, in one place, so two features can never pick
 * the same number by accident. Keys are 64-bit integers shared by every database user of the
 * server's database; a test below checks they are distinct.
 */
export const ADVISORY_LOCKS = {
  /** Migrations: the key Prisma's schema engine takes, so `prisma migrate deploy` and Sesame's migrator exclude each other. */
  migrate: 72707369,
  /** Retention cleanup: one replica at a time purges (session-level try-lock). */
  retentionCleanup: 72707371,
  /** Signing keys: bootstrap and lifecycle steps, one replica at a time (transaction-level lock). */
  signingKeys: 0x5e5a_0001,
  /** Planner statistics of growing tables: one replica at a time runs ANALYZE (transaction-level try-lock). */
  tableStatistics: 0x5e5a_0002,
} as const;

export type AdvisoryLock = keyof typeof ADVISORY_LOCKS;
