/**
 * Parts for the fault suite (issue 8): replicas as real processes (so they can be killed with
 * SIGKILL or stopped with SIGTERM), a SES front that can hold, fail or pass SendEmail calls, a
 * TCP proxy that can black-hole PostgreSQL, and the per-case tally of codes and statuses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SesLocal } from '../helpers/ses-local.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePromise(port));
    });
  });
}

/** `count` distinct free ports, all held open until every one is chosen. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolvePromise(server));
  })));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((r) => server.close(r))));
  return ports;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Replica {
  name: string;
  url: string;
  child: ChildProcess;
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `src/server.ts` as its own process (on env.PORT, else a free port) and waits until /healthz answers. */
export async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, PORT: String(port), ADMIN_PORT: env.ADMIN_PORT ?? String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) => child.on('exit', (code, signal) => r({ code, signal, at: Date.now() })));
  const url = `http://127.0.0.1:${port}`;
  const died = exited.then(() => { throw new Error(`${name} exited while starting:\n${logs.slice(-20).join('\n')}`); });
  died.catch(() => undefined);
  try {
    await Promise.race([died, waitFor(`${name} to answer /healthz`, async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined), 240_000, 200)]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${logs.slice(-20).join('\n')}`);
  }
  return { name, url, child, logs, exited };
}

export async function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica || replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  replica.child.kill('SIGKILL');
  await replica.exited;
}

/**
 * In front of aws-ses-v2-local. `hold` parks SendEmail calls without forwarding them (a provider
 * that has not accepted yet); a parked call whose client went away (killed replica) is dropped,
 * never forwarded, exactly as a provider never sees a request that did not arrive.
 */
export interface SesFront {
  url: string;
  mode(mode: 'pass' | 'hold' | { status: number; code: string }): void;
  parked(): number;
  counts(): { forwarded: number; failed: number; dropped: number };
  close(): Promise<void>;
}

export async function startSesFront(ses: SesLocal): Promise<SesFront> {
  const target = new URL(ses.url);
  let current: 'pass' | 'hold' | { status: number; code: string } = 'pass';
  const parked = new Set<() => void>();
  let forwarded = 0;
  let failed = 0;
  let dropped = 0;
  const forward = (incoming: IncomingMessage, body: Buffer, response: ServerResponse) => {
    forwarded++;
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: target.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => { response.statusCode = 502; response.end(); });
    upstream.end(body);
  };
  const handle = (incoming: IncomingMessage, body: Buffer, response: ServerResponse) => {
    if (current === 'hold') {
      const release = () => { parked.delete(release); if (response.destroyed || incoming.socket.destroyed) dropped++; else handle(incoming, body, response); };
      parked.add(release);
      response.on('close', () => { if (parked.delete(release)) dropped++; });
      return;
    }
    if (current !== 'pass') {
      failed++;
      response.writeHead(current.status, { 'content-type': 'application/json', 'x-amzn-errortype': current.code, 'x-amzn-requestid': 'injected' });
      response.end(JSON.stringify({ __type: current.code, message: 'Injected failure' }));
      return;
    }
    forward(incoming, body, response);
  };
  const server = createHttpServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => handle(incoming, Buffer.concat(chunks), response));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode(mode) {
      current = mode;
      if (mode !== 'hold') for (const release of [...parked]) release();
    },
    parked: () => parked.size,
    counts: () => ({ forwarded, failed, dropped }),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The per-case figures the issue asks for. */
export interface Tally {
  case: string;
  requested: number;
  accepted: number;
  delivered: number;
  deliveredTwice: number;
  lost: number;
  failed: Record<string, number>;
  slowestFailureMs: number;
  notes: string;
}

export function newTally(name: string): Tally {
  return { case: name, requested: 0, accepted: 0, delivered: 0, deliveredTwice: 0, lost: 0, failed: {}, slowestFailureMs: 0, notes: '' };
}

/** One code request; counts its status into the tally. Returns the status (0: no answer in time). */
export async function requestCode(base: string, email: string, tally: Tally, accepted: Set<string>, timeoutMs = 20_000): Promise<number> {
  tally.requested++;
  const started = Date.now();
  let status = 0;
  try {
    const response = await fetch(`${base}/passwordless/request/email`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }), signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    await response.arrayBuffer();
  } catch {
    status = 0;
  }
  if (status === 202) {
    tally.accepted++;
    accepted.add(email);
  } else {
    const key = status === 0 ? 'no answer' : String(status);
    tally.failed[key] = (tally.failed[key] ?? 0) + 1;
    tally.slowestFailureMs = Math.max(tally.slowestFailureMs, Date.now() - started);
  }
  return status;
}

/** Waits until every accepted address has mail (or the deadline), then counts delivered, twice, lost. */
export async function settleDeliveries(ses: SesLocal, accepted: Set<string>, tally: Tally, timeoutMs: number): Promise<Map<string, string[]>> {
  const deadline = Date.now() + timeoutMs;
  let byAddress = new Map<string, string[]>();
  for (;;) {
    byAddress = new Map();
    for (const email of await ses.emails()) {
      for (const to of email.destination.to) if (accepted.has(to)) byAddress.set(to, [...(byAddress.get(to) ?? []), email.body.text ?? '']);
    }
    if (byAddress.size >= accepted.size || Date.now() > deadline) break;
    await sleep(250);
  }
  await sleep(1_000); // a late duplicate would show up now
  byAddress = new Map();
  for (const email of await ses.emails()) {
    for (const to of email.destination.to) if (accepted.has(to)) byAddress.set(to, [...(byAddress.get(to) ?? []), email.body.text ?? '']);
  }
  tally.delivered = byAddress.size;
  tally.deliveredTwice = [...byAddress.values()].filter((texts) => texts.length > 1).length;
  tally.lost = accepted.size - byAddress.size;
  return byAddress;
}

export function formatTable(tallies: Tally[]): string {
  const rows = tallies.map((t) => `| ${t.case} | ${t.requested} | ${t.accepted} | ${t.delivered} | ${t.deliveredTwice} | ${t.lost} | ${Object.entries(t.failed).map(([s, n]) => `${n}× ${s}`).join(', ') || 'none'} | ${t.slowestFailureMs ? `${(t.slowestFailureMs / 1000).toFixed(2)} s` : '–'} | ${t.notes} |`);
  return ['| case | requested | accepted (202) | delivered | delivered twice | lost | failed requests | slowest failure | notes |', '|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

/**
 * HAProxy (Debian's package) in front of replicas: health checks on /readyz every 300 ms, a
 * server down after three failed checks, and a request that could not reach a server (refused, or
 * closed without an answer) retried on another one.
 */
export interface LoadBalancer {
  url: string;
  close(): Promise<void>;
}

export const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((path) => existsSync(path));

export async function startHaproxy(servers: { name: string; port: number }[], dir: string): Promise<LoadBalancer> {
  if (HAPROXY === undefined) throw new Error('haproxy is not installed; .ci/run installs it (apt-get install haproxy)');
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    'frontend public',
    `  bind 127.0.0.1:${port}`,
    '  default_backend sesame',
    'backend sesame',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    // Three failed checks (about 1 s) take a server out: one slow check on a loaded machine must
    // not, and a draining replica (SHUTDOWN_DRAIN_SECONDS) is out well before its listener closes.
    '  timeout check 2s',
    '  default-server inter 300ms fall 3 rise 2',
    ...servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`),
    '',
  ].join('\n'));
  const child = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('haproxy to route to a replica', async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined), 30_000, 200);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${logs.join('')}`);
  }
  return {
    url,
    async close() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
