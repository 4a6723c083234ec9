/** How long audit rows are kept, and how often the retention worker runs. */
import type { EnvReader } from './reader.ts';

export interface RetentionConfig {
  auditRetentionDays: number;
  /** Seconds between retention runs; 0 disables the timer. */
  cleanupIntervalSeconds: number;
}

export function parseRetention(read: EnvReader): RetentionConfig {
  return {
    auditRetentionDays: read.int('AUDIT_RETENTION_DAYS', 90, 1, 36_500),
    cleanupIntervalSeconds: read.int('CLEANUP_INTERVAL_SECONDS', 3600, 0, 7 * 86_400),
  };
}
