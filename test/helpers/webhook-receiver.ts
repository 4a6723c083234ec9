/**
 * A local HTTP endpoint standing in for a team's backend: it records every request (headers and
 * raw body) and answers from a queue of programmed replies (default 200 `{}`), so tests can make
 * it fail first, stall, or answer malformed JSON.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Scope } from './fixtures.ts';

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Reply = { status: number; body?: string; delayMs?: number } | ((request: ReceivedRequest) => { status: number; body?: string; delayMs?: number });

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Replies for the next requests, in order; afterwards the default answers. */
  queue(...replies: Reply[]): void;
  /** The answer once the queue is empty. */
  setDefault(reply: Reply): void;
  close(): Promise<void>;
}

export async function withWebhookReceiver(t: Scope): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const queued: Reply[] = [];
  let fallback: Reply = { status: 200, body: '{}' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        path: req.url ?? '/',
        headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)])),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      const next = queued.shift() ?? fallback;
      const reply = typeof next === 'function' ? next(request) : next;
      const send = () => { if (!res.destroyed) res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body ?? ''); };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}`,
    received,
    queue: (...replies) => { queued.push(...replies); },
    setDefault: (reply) => { fallback = reply; },
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
  t.after(() => receiver.close());
  return receiver;
}
