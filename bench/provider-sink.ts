/**
 * The benchmark's message provider, run as its own process (`startProviderSink` forks it) so
 * its work never shares the load generator's event loop. It speaks enough of the real APIs for
 * the real SDK clients: SES v2 `SendEmail` and `SendBulkEmail` (REST/JSON) and SNS `Publish`
 * (query/XML). Every call is answered after BENCH_PROVIDER_LATENCY_MS (default 30, about what
 * SES and SNS take from inside AWS), and each destination's acceptance time is recorded: that
 * is when a code counts as delivered. Nothing is stored or rendered.
 *
 * BENCH_PROVIDER_RATE (messages per second; unset or 0: no limit) makes it a provider of
 * bounded throughput, like an SES account's sending rate: messages pass one at a time, first
 * come first served, at that rate, and a call is answered once all of its messages have passed
 * (and not before the latency). Offered more than that, its answers slow down as its queue
 * grows, so delivery, not the cores, limits the sustainable rate: that is how `--sweep`
 * measures admission control at twice the sustainable rate on a machine whose cores could not
 * otherwise be overloaded by their own load generator. Email and SMS queue apart, as SES and SNS
 * do: BENCH_PROVIDER_SMS_RATE bounds SNS `Publish` on its own (unset: BENCH_PROVIDER_RATE, in a
 * queue of its own), so a slow SMS provider can be measured beside a fast email one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

type ToSink = { type: 'latency'; emailMs: number } | { type: 'collect'; id: number };
type FromSink = { type: 'ready'; port: number } | { type: 'collected'; id: number; accepted: [string, number][] };

export interface ProviderSink {
  url: string;
  /** SES answers after `ms` from now on (undefined: back to BENCH_PROVIDER_LATENCY_MS). */
  setEmailLatency(ms: number | undefined): void;
  /** Destinations accepted since the last call, with the time (epoch ms) each was accepted. */
  collect(): Promise<[string, number][]>;
  pid: number;
  close(): Promise<void>;
}

/** Messages per second each channel's queue lets through; 0: no limit. */
export interface ProviderRates { email: number; sms: number }

export async function startProviderSink(latencyMs: number, rates: ProviderRates = { email: 0, sms: 0 }): Promise<ProviderSink> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, BENCH_PROVIDER_LATENCY_MS: String(latencyMs), BENCH_PROVIDER_RATE: String(rates.email), BENCH_PROVIDER_SMS_RATE: String(rates.sms) },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (accepted: [string, number][]) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`provider sink exited (${code})`)));
    child.on('message', (message: FromSink) => {
      if (message.type === 'ready') resolve(message.port);
      else waiting.get(message.id)?.(message.accepted);
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    setEmailLatency(ms) { child.send({ type: 'latency', emailMs: ms ?? latencyMs } satisfies ToSink); },
    collect() {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, (accepted) => { waiting.delete(id); resolve(accepted); });
        child.send({ type: 'collect', id } satisfies ToSink);
      });
    },
    close: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

function serve(): void {
  const smsLatencyMs = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 30);
  let emailLatencyMs = smsLatencyMs;
  let accepted: [string, number][] = [];
  const emailRate = Number(process.env.BENCH_PROVIDER_RATE ?? 0);
  const queues = {
    email: { messagesPerSecond: emailRate, freeAt: 0 },
    sms: { messagesPerSecond: Number(process.env.BENCH_PROVIDER_SMS_RATE || emailRate), freeAt: 0 },
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '';
      if (path.startsWith('/v2/email/outbound-bulk-emails')) {
        const input = JSON.parse(body) as { BulkEmailEntries: { Destination: { ToAddresses: string[] } }[] };
        const to = input.BulkEmailEntries.map((entry) => entry.Destination.ToAddresses[0]!);
        return later(queues.email, emailLatencyMs, to, response, 'application/json', () => JSON.stringify({
          BulkEmailEntryResults: to.map(() => ({ Status: 'SUCCESS', MessageId: randomUUID() })),
        }));
      }
      if (path.startsWith('/v2/email/outbound-emails')) {
        const input = JSON.parse(body) as { Destination: { ToAddresses: string[] } };
        return later(queues.email, emailLatencyMs, [input.Destination.ToAddresses[0]!], response, 'application/json', () => JSON.stringify({ MessageId: randomUUID() }));
      }
      const phone = new URLSearchParams(body).get('PhoneNumber') ?? '';
      return later(queues.sms, smsLatencyMs, [phone], response, 'text/xml', () =>
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`);
    });
  });

  /** With a rate, a channel's queue is free again at `freeAt` (epoch ms). */
  function later(queue: { messagesPerSecond: number; freeAt: number }, latencyMs: number, to: string[], response: import('node:http').ServerResponse, type: string, body: () => string): void {
    let ms = latencyMs;
    if (queue.messagesPerSecond > 0) {
      const now = Date.now();
      queue.freeAt = Math.max(queue.freeAt, now) + (to.length * 1000) / queue.messagesPerSecond;
      ms = Math.max(ms, queue.freeAt - now);
    }
    const answer = () => {
      const at = Date.now();
      for (const address of to) accepted.push([address, at]);
      response.setHeader('content-type', type);
      response.end(body());
    };
    if (ms > 0) setTimeout(answer, ms);
    else answer();
  }

  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1', () => {
    process.send!({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies FromSink);
  });
  process.on('message', (message: ToSink) => {
    if (message.type === 'latency') emailLatencyMs = message.emailMs;
    else {
      const batch = accepted;
      accepted = [];
      process.send!({ type: 'collected', id: message.id, accepted: batch } satisfies FromSink);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv.includes('--serve')) serve();
