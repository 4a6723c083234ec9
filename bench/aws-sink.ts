/**
 * Minimal local AWS endpoints for the benchmark: SES v2 `SendEmail` (REST/JSON) and SNS
 * `Publish` (query/XML). They accept, count and discard, so the benchmark measures Sesame and
 * not a mail store; the service still goes through the real SDK clients (signing, retries,
 * serialization). An optional delay makes SES answer slowly.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsSink {
  url: string;
  counts: { email: number; sms: number };
  /** Delays every SES answer by `ms` (0: answer at once). */
  setEmailDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startAwsSink(): Promise<AwsSink> {
  const counts = { email: 0, sms: 0 };
  let emailDelayMs = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      if (request.url?.startsWith('/v2/email/outbound-emails')) {
        counts.email++;
        const answer = () => {
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify({ MessageId: randomUUID() }));
        };
        if (emailDelayMs > 0) setTimeout(answer, emailDelayMs);
        else answer();
        return;
      }
      counts.sms++;
      response.setHeader('content-type', 'text/xml');
      response.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setEmailDelay(ms) { emailDelayMs = ms; },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
