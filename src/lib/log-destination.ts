/**
 * Where the service's log lines go: standard output, written in chunks rather than line by line.
 *
 * Each write is a job for libuv's thread pool and a wake-up of the event loop when it is done,
 * and on a pipe or socket a wake-up of the reader as well. Line by line, at 1,000 code requests
 * a second on the bench's 2-core machine, the server process made 1.9–3.8 write system calls
 * per request (3.3–3.8 in six runs of eight) and its event loop's thread was switched out
 * involuntarily 0.74–1.11 times per request; buffered, 1.7–2.2 and 0.63–0.73
 * (docs/benchmarks.md, "Log lines written in chunks"). Server CPU per request fell by a median
 * 6% at that rate; saturated throughput and the latency tail moved less than the bench's noise.
 *
 * The price is a short delay before a line reaches the log: at most LOG_FLUSH_INTERVAL_MS, or
 * until LOG_BUFFER_BYTES are waiting. Nothing is lost when the process ends on its own, by a
 * signal it handles, `process.exit` or an uncaught exception: pino writes what is buffered
 * synchronously on exit (test/unit/log-destination.test.ts). What a SIGKILL or the kernel's
 * out-of-memory killer interrupts loses at most those last lines, as any process's unwritten
 * output is lost.
 */
import pino from 'pino';

/** Lines wait until this many bytes are buffered (below sonic-boom's largest single write, 16 KiB). */
export const LOG_BUFFER_BYTES = 8 * 1024;

/** ...or at most this long: a quiet service's lines still reach the log within a quarter of a second. */
export const LOG_FLUSH_INTERVAL_MS = 250;

/** A buffered, asynchronous destination for pino on a file descriptor (standard output by default). */
export function logDestination(fd = 1): ReturnType<typeof pino.destination> {
  return pino.destination({ dest: fd, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}
