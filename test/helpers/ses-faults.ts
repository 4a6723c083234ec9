/**
 * A fault-injecting HTTP proxy in front of aws-ses-v2-local: point AWS_ENDPOINT_URL_SESV2 at
 * `url`. It can fail the next requests with an AWS error (REST-JSON, as SES v2 answers) or delay
 * every response, to test retries and to measure request latency with a slow provider.
 *
 *   const faults = await startSesFaults({ target: ses.url });
 *   faults.failNext('TooManyRequestsException', 429, 2);
 *   faults.failMatching('someone@example.com', 'InternalFailure', 500);
 *   faults.setDelay(5_000);
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SesFaults {
  url: string;
  /** The next `times` requests (default 1) answer this AWS error code and HTTP status. */
  failNext(code: string, status: number, times?: number): void;
  /** Every request whose body contains `text` (an address, say) answers this AWS error, until reset. */
  failMatching(text: string, code: string, status: number): void;
  /** Every response from now on (failures included) waits this long; 0 turns it off. */
  setDelay(ms: number): void;
  /** Forgets queued failures and the delay. */
  reset(): void;
  /** Requests received so far: [failed by injection, forwarded]. */
  counts(): { failed: number; forwarded: number };
  close(): Promise<void>;
}

export async function startSesFaults(options: { target: string }): Promise<SesFaults> {
  const target = new URL(options.target);
  const failures: { code: string; status: number }[] = [];
  const matching: { text: string; code: string; status: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let delayMs = 0;
  let failed = 0;
  let forwarded = 0;

  const later = (fn: () => void): void => {
    if (delayMs === 0) return fn();
    const timer = setTimeout(() => { timers.delete(timer); fn(); }, delayMs);
    timers.add(timer);
  };

  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const failure = matching.find((rule) => body.includes(rule.text)) ?? failures.shift();
      if (failure) {
        failed++;
        later(() => {
          response.writeHead(failure.status, { 'content-type': 'application/json', 'x-amzn-errortype': failure.code, 'x-amzn-requestid': 'injected' });
          response.end(JSON.stringify({ __type: failure.code, message: 'Injected failure' }));
        });
        return;
      }
      forwarded++;
      const upstream = httpRequest({
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      }, (answer: IncomingMessage) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => later(() => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          response.end(Buffer.concat(answerChunks));
        }));
      });
      upstream.on('error', () => { response.statusCode = 502; response.end(); });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    failNext(code, status, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ code, status });
    },
    failMatching(text, code, status) {
      matching.push({ text, code, status });
    },
    setDelay(ms) { delayMs = ms; },
    reset() {
      failures.length = 0;
      matching.length = 0;
      delayMs = 0;
    },
    counts: () => ({ failed, forwarded }),
    close: () => new Promise((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The same as startSesFaults, under the short name the benchmark uses. */
export const start = startSesFaults;
