/**
 * `npx tsx bench/loadgen-check.ts`: checks the bench's fixed-rate load generators against a
 * server whose answer times are known: every request is answered after DELAY ms (a timer, no
 * CPU), one in 200 after SLOW ms, so the true p99 is DELAY plus scheduling noise. It prints what
 * autocannon's `overallRate` and bench/open-loop.ts report at 250 and 500 requests/s, and how
 * evenly the requests arrived (most in one 100 ms slot per second means bursts).
 */
import { createServer } from 'node:http';
import autocannon from 'autocannon';
import { openLoop } from './open-loop.ts';
const DELAY = 5, SLOW = 100;
let n = 0; const arrivals: number[] = [];
const server = createServer((req, res) => { req.resume(); req.on('end', () => { arrivals.push(performance.now()); const d = ++n % 200 === 0 ? SLOW : DELAY; setTimeout(() => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}'); }, d); }); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as any).port}`;
function spread() { const t0 = arrivals[0]!; const bins = new Map<number, number>(); for (const a of arrivals) { const b = Math.floor((a - t0) / 100); bins.set(b, (bins.get(b) ?? 0) + 1); } const v = [...bins.values()]; arrivals.length = 0; return `arrivals per 100 ms: max ${Math.max(...v)}, bins with none ${Array.from({length: Math.max(...bins.keys())+1}, (_, i) => bins.get(i) ?? 0).filter((x) => x === 0).length} of ${Math.max(...bins.keys())+1}`; }
for (const rate of [250, 500]) {
  const a = await autocannon({ url, connections: 32, duration: 10, overallRate: rate, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  console.log(`autocannon overallRate ${rate}: ${a.requests.total} requests, p50 ${a.latency.p50} p99 ${a.latency.p99} max ${a.latency.max} ms; ${spread()}`);
  const o = await openLoop({ url, connections: 32, rate, durationSeconds: 10, request: () => ({ path: '/', body: '{}' }) });
  console.log(`open loop ${rate}: ${o.sent} requests, p50 ${o.latencyMs.p50} p99 ${o.latencyMs.p99} max ${o.latencyMs.max} ms; ${spread()}`);
}
server.close();
