/**
 * At most one log line per key and interval for a failure that can repeat on every request (a
 * hook that is down answers each sign-in with the same failure): the first occurrence is logged
 * at once, the rest of the interval is counted, and the next line logged for that key says how
 * many were left out. Metrics still count every occurrence; this only bounds the log's volume,
 * so that a dependency's outage under load cannot turn into thousands of identical lines a
 * second (the same rule admission control follows for its refusals, S48).
 */
export interface LogThrottle {
  /**
   * Whether to log this occurrence of `key`: undefined to leave it out (it is counted), else the
   * number of occurrences left out since the key's last logged line.
   */
  take(key: string): number | undefined;
}

export function createLogThrottle(options: { intervalMs: number; nowMs?: () => number }): LogThrottle {
  const nowMs = options.nowMs ?? (() => performance.now());
  const keys = new Map<string, { loggedAt: number; leftOut: number }>();
  return {
    take(key) {
      const now = nowMs();
      const entry = keys.get(key);
      if (entry === undefined) {
        keys.set(key, { loggedAt: now, leftOut: 0 });
        return 0;
      }
      if (now - entry.loggedAt < options.intervalMs) {
        entry.leftOut += 1;
        return undefined;
      }
      const leftOut = entry.leftOut;
      entry.loggedAt = now;
      entry.leftOut = 0;
      return leftOut;
    },
  };
}
