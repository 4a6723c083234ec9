/**
 * Bench-only: loaded into the server process by `npm run bench` with
 * `NODE_OPTIONS=--import ./bench/event-loop-delay.mjs`, never by the service itself. It samples
 * the server's event-loop delay (perf_hooks.monitorEventLoopDelay, a libuv timer every
 * BENCH_ELD_RESOLUTION_MS, default 5 ms, recording how late it fired) and, when asked
 * (SIGUSR2, with the request's sequence number in BENCH_ELD_FILE + '.seq'), writes the
 * histogram since the previous request as JSON to BENCH_ELD_FILE, then starts a new one. A
 * request that arrives while the loop is blocked waits at least that long: a p99 or max here is
 * a floor under the request latency the load generator sees. Also counts garbage-collection
 * pauses by kind over the same interval (a PerformanceObserver on 'gc' entries), and each HTTP
 * request's time inside the server: from Node's 'request' event (headers parsed) to the answer
 * handed to the socket ('finish'). Beside the load generator's latency, it tells how much of a
 * slow answer was spent in the server and how much before and after it (the generator's own
 * lateness, socket queues, waiting for a core to read the answer). And where the memory is when
 * the resident set is at its largest since start (process.memoryUsage() and V8's heap spaces,
 * sampled every 250 ms), to tell the V8 heap from everything else in a peak RSS.
 * Plain JavaScript, so the compiled server can load it without a TypeScript loader.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { getHeapSpaceStatistics } from 'node:v8';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';

const file = process.env.BENCH_ELD_FILE;
const resolution = Number(process.env.BENCH_ELD_RESOLUTION_MS ?? 5);

if (file) {
  let histogram = monitorEventLoopDelay({ resolution });
  histogram.enable();
  const gcKinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
  let gc = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = gcKinds[entry.detail?.kind] ?? 'other';
      const sum = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      sum.count++;
      sum.totalMs += entry.duration;
      if (entry.duration > sum.maxMs) sum.maxMs = entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // In microseconds; Server.prototype.emit sees every request of every listener of the process.
  let inServer = createHistogram();
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (event, request, response) {
    if (event === 'request') {
      const start = performance.now();
      response.once('finish', () => inServer.record(Math.max(1, Math.round((performance.now() - start) * 1000))));
    }
    return emit.apply(this, arguments);
  };
  const us = (value) => Math.round(value / 100) / 10;
  // MiB, like the bench's peak RSS (VmHWM in kB / 1024).
  const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
  let memoryAtPeak;
  setInterval(() => {
    const usage = process.memoryUsage();
    if (memoryAtPeak !== undefined && usage.rss <= memoryAtPeak.rssBytes) return;
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, mb(space.space_size)]));
    memoryAtPeak = { rssBytes: usage.rss, rssMb: mb(usage.rss), heapTotalMb: mb(usage.heapTotal), heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external), arrayBuffersMb: mb(usage.arrayBuffers), spacesMb: spaces };
  }, 250).unref();
  // The histogram holds whole timer intervals (resolution + lateness): report the lateness.
  const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - resolution) * 10) / 10);
  process.on('SIGUSR2', () => {
    let seq = 0;
    try { seq = Number(readFileSync(`${file}.seq`, 'utf8')) || 0; } catch { /* first request */ }
    const sample = {
      seq,
      resolutionMs: resolution,
      count: histogram.count,
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
      meanMs: ms(histogram.mean),
      memoryAtPeak,
      inServer: inServer.count === 0 ? undefined : { count: inServer.count, p50Ms: us(inServer.percentile(50)), p99Ms: us(inServer.percentile(99)), maxMs: us(inServer.max) },
      gc: Object.fromEntries(Object.entries(gc).map(([kind, sum]) => [kind, { count: sum.count, totalMs: Math.round(sum.totalMs * 10) / 10, maxMs: Math.round(sum.maxMs * 10) / 10 }])),
    };
    histogram.disable();
    histogram = monitorEventLoopDelay({ resolution });
    histogram.enable();
    gc = {};
    inServer = createHistogram();
    writeFileSync(`${file}.tmp`, JSON.stringify(sample));
    renameSync(`${file}.tmp`, file);
  });
}
