/**
 * The bench's fixed-rate load generator (the sweep and BENCH_RATE). Open loop: request i is
 * due at start + i / rate whatever happened to the ones before it (the clock starts once the
 * connections are open), and goes out on the first of
 * `connections` keep-alive connections that is free. Its latency is counted from when it was
 * due, not from when a connection became free, so a stall in the server shows up in full in
 * every request that arrived during it (no coordinated omission); the time from writing the
 * request to its answer is reported beside it as the service time.
 *
 * Why not autocannon's `overallRate`: it gives each connection rate/connections requests per
 * second, sent back to back when a one-second timer fires (all connections' timers fire
 * together), so 250 requests/s arrive as one burst of 250 at 32 in flight each second; and
 * its correction for coordinated omission adds, for each answer of L ms, synthetic samples
 * every ceil(1 / per-connection rate) = 1 ms down to 1 ms (the interval is taken in seconds as
 * if it were milliseconds), so one 300 ms answer weighs as much as 60 answers of 5 ms, and the
 * reported p99 is set by the few slowest answers. Both inflate the tail it reports.
 *
 * A minimal HTTP/1.1 client over node:net (one request in flight per connection, answers with
 * Content-Length, which Fastify always sends for these JSON replies): cheaper in CPU than
 * node:http, which matters on a machine whose cores the server and PostgreSQL share.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

export interface OpenLoopRequest {
  path: string;
  headers?: Record<string, string>;
  body: string;
  /** Passed back to onResponse. */
  context?: unknown;
}

export interface OpenLoopOptions {
  url: string;
  connections: number;
  /** Requests per second offered. */
  rate: number;
  durationSeconds: number;
  /** Builds request i when it is sent. */
  request(i: number): OpenLoopRequest;
  onResponse?(status: number, context: unknown): void;
}

export interface Quantiles { p50: number; p90: number; p99: number; max: number }

export interface OpenLoopResult {
  /** Requests written to a connection while the window was open. */
  sent: number;
  /** Due in the window but never sent: every connection was busy until the window closed. */
  unsent: number;
  completed: number;
  non2xx: number;
  errors: number;
  /** From when each request was due to its answer, ms. */
  latencyMs: Quantiles;
  /** From writing each request to its answer, ms. */
  serviceMs: Quantiles;
  /** The window, epoch ms. */
  start: number;
  end: number;
}

interface Pending { i: number; dueAt: number }

/** How long answers to requests already sent may take once the window has closed. */
const SETTLE_TIMEOUT_MS = 30_000;

export function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const host = `${target.hostname}:${target.port}`;
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  const services: number[] = [];
  const queue: Pending[] = [];
  const idle: Connection[] = [];
  let queueHead = 0;
  let issued = 0;
  let sent = 0;
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  let closed = false;
  let start = 0;
  let end = 0;
  let timer: NodeJS.Timeout | undefined;
  let settle: (() => void) | undefined;
  // BENCH_LATENCY_DUMP=<dir>: every answer's due time (ms into the window), latency and service
  // time, written there as JSON when the run ends, to see when in a run the slow answers came.
  const dump: number[] | undefined = process.env.BENCH_LATENCY_DUMP ? [] : undefined;

  class Connection {
    socket!: Socket;
    buffered: Buffer | undefined;
    current: { dueAt: number; sentAt: number; context: unknown } | undefined;

    constructor() { this.open(); }

    open(): void {
      this.buffered = undefined;
      this.socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
      this.socket.on('data', (chunk: Buffer) => this.data(chunk));
      this.socket.on('error', () => { /* 'close' follows */ });
      this.socket.on('close', () => this.lost());
      release(this);
    }

    send(pending: Pending): void {
      const request = options.request(pending.i);
      const headers = Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      const body = Buffer.from(request.body);
      this.current = { dueAt: pending.dueAt, sentAt: performance.now(), context: request.context };
      inFlight++;
      sent++;
      this.socket.write(`POST ${request.path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n${headers}\r\n${body.toString()}`);
    }

    data(chunk: Buffer): void {
      this.buffered = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
      const headerEnd = this.buffered.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = this.buffered.subarray(0, headerEnd).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (length === null) {
        // Not an answer this client can frame: count it as an error and start a new connection.
        this.socket.destroy();
        return;
      }
      const total = headerEnd + 4 + Number(length[1]);
      if (this.buffered.length < total) return;
      const status = Number(head.slice(9, 12));
      const closing = /\r\nconnection:\s*close/i.test(head);
      this.buffered = this.buffered.length > total ? this.buffered.subarray(total) : undefined;
      const current = this.current;
      if (current === undefined) {
        // An answer to no request (seen once in a loaded sweep, not explained yet): counted as
        // an error; the connection starts afresh.
        errors++;
        this.socket.destroy();
        return;
      }
      this.current = undefined;
      const now = performance.now();
      inFlight--;
      completed++;
      latencies.push(now - current.dueAt);
      services.push(now - current.sentAt);
      if (dump !== undefined) dump.push(Math.round(current.dueAt - start), Math.round((now - current.dueAt) * 10) / 10, Math.round((now - current.sentAt) * 10) / 10);
      if (status < 200 || status >= 300) non2xx++;
      options.onResponse?.(status, current.context);
      if (closing) this.socket.destroy();
      else release(this);
    }

    lost(): void {
      if (this.current !== undefined) {
        this.current = undefined;
        inFlight--;
        errors++;
      }
      const index = idle.indexOf(this);
      if (index >= 0) idle.splice(index, 1);
      if (!closed) this.open();
      else maybeSettled();
    }
  }

  /** A connection is free: it takes the oldest request due, or waits for the next. */
  function release(connection: Connection): void {
    if (!closed && queueHead < queue.length) {
      connection.send(queue[queueHead]!);
      queue[queueHead++] = undefined as unknown as Pending;
      if (queueHead > 4_096 && queueHead * 2 > queue.length) { queue.splice(0, queueHead); queueHead = 0; }
      return;
    }
    idle.push(connection);
    maybeSettled();
  }

  function maybeSettled(): void {
    if (closed && inFlight === 0) settle?.();
  }

  /** Queues every request due by now and hands them to free connections; sleeps until the next is due. */
  function tick(): void {
    const now = performance.now();
    const windowEnd = start + options.durationSeconds * 1000;
    while (issued * intervalMs + start <= Math.min(now, windowEnd - 1e-9)) {
      queue.push({ i: issued, dueAt: start + issued * intervalMs });
      issued++;
    }
    // The connection idle longest goes first, so every connection stays in use at low rates.
    while (idle.length > 0 && queueHead < queue.length) {
      idle.shift()!.send(queue[queueHead]!);
      queue[queueHead++] = undefined as unknown as Pending;
    }
    if (now >= windowEnd) return finish();
    const next = start + issued * intervalMs;
    timer = setTimeout(tick, Math.max(0, Math.min(next, windowEnd) - performance.now()));
  }

  function finish(): void {
    closed = true;
    end = Date.now();
    if (timer !== undefined) clearTimeout(timer);
    maybeSettled();
  }

  const connections = Array.from({ length: options.connections }, () => new Connection());
  // The clock starts once every connection is open. Started at once, the first requests were
  // due before their connections existed, and the window's first 100-300 ms counted 32 connects
  // as latency (up to 141 answers over 25 ms at 1,000/s; docs/benchmarks.md, "Full collections
  // every 1.7 s"). A client in production keeps its connections open. A connection that fails to
  // open is replaced as during the run and does not hold up the start.
  const opened = Promise.all(connections.map((connection) => new Promise<void>((resolve) => {
    connection.socket.once('connect', resolve);
    connection.socket.once('close', () => resolve());
  })));
  return opened.then(() => new Promise<OpenLoopResult>((resolve) => {
    const startWall = Date.now();
    start = performance.now();
    let resolved = false;
    const done = () => {
      if (resolved) return;
      resolved = true;
      clearTimeout(giveUp);
      for (const connection of connections) connection.socket.destroy();
      const unsent = queue.length - queueHead;
      if (dump !== undefined) writeFileSync(join(process.env.BENCH_LATENCY_DUMP!, `latency-${startWall}.json`), JSON.stringify({ rate: options.rate, start: startWall, samples: dump }));
      resolve({
        sent, unsent, completed, non2xx, errors: errors + (inFlight > 0 ? inFlight : 0),
        latencyMs: quantiles(latencies), serviceMs: quantiles(services),
        start: startWall, end,
      });
    };
    const giveUp = setTimeout(() => { closed = true; done(); }, options.durationSeconds * 1000 + SETTLE_TIMEOUT_MS);
    settle = done;
    tick();
  }));
}

function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]! * 10) / 10 };
}
