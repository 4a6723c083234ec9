/**
 * The benchmark's custom-claims hook (HOOK_CUSTOM_CLAIMS_URL), run as its own process so its
 * work never shares the load generator's or the server's event loop. Like a team's backend, it
 * verifies each call's Standard Webhooks signature and answers two claims at once; the calls
 * are counted so the report can show the hook was really asked.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';

type ToHook = { type: 'count'; id: number };
type FromHook = { type: 'ready'; port: number } | { type: 'counted'; id: number; calls: number; rejected: number };

export interface ClaimsHook {
  url: string;
  /** Calls answered and calls refused (bad signature) so far. */
  counts(): Promise<{ calls: number; rejected: number }>;
  close(): Promise<void>;
}

export async function startClaimsHook(secret: string): Promise<ClaimsHook> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, BENCH_HOOK_SECRET: secret },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (counts: { calls: number; rejected: number }) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`claims hook exited (${code})`)));
    child.on('message', (message: FromHook) => {
      if (message.type === 'ready') resolve(message.port);
      else waiting.get(message.id)?.({ calls: message.calls, rejected: message.rejected });
    });
  });
  return {
    url: `http://127.0.0.1:${port}/claims`,
    counts() {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, (counts) => { waiting.delete(id); resolve(counts); });
        child.send({ type: 'count', id } satisfies ToHook);
      });
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv.includes('--serve')) {
  const webhook = new Webhook(process.env.BENCH_HOOK_SECRET!);
  const answer = JSON.stringify({ claims: { tenant: 'bench', roles: ['reader', 'writer'] } });
  let calls = 0;
  let rejected = 0;
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
      } catch {
        rejected++;
        res.writeHead(401).end();
        return;
      }
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send!({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies FromHook);
  });
  process.on('message', (message: ToHook) => {
    if (message.type === 'count') process.send!({ type: 'counted', id: message.id, calls, rejected } satisfies FromHook);
  });
  process.on('SIGTERM', () => { server.close(); process.exit(0); });
}
