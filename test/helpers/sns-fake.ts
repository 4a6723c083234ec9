/**
 * A local stand-in for Amazon SNS's query API, just enough for `Publish` to a phone number:
 * form-encoded POST in, XML out, as the AWS SDK expects. Errors can be queued to test failures.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PublishedSms {
  phoneNumber: string;
  message: string;
  attributes: Record<string, string>;
  messageId: string;
}

export interface SnsFake {
  url: string;
  messages: PublishedSms[];
  /** The next Publish calls fail with these AWS error codes and HTTP statuses. */
  failNext(code: string, status: number, times?: number): void;
  /** Every answer from now on waits this long (a stall); 0 turns it off for later calls. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function startSnsFake(): Promise<SnsFake> {
  const messages: PublishedSms[] = [];
  const failures: { code: string; status: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let delayMs = 0;
  const server: Server = createServer((request, response) => {
    if (delayMs > 0) {
      const wait = delayMs;
      const end = response.end.bind(response);
      response.end = ((...args: Parameters<typeof end>) => {
        const timer = setTimeout(() => { timers.delete(timer); end(...args); }, wait);
        timers.add(timer);
        return response;
      }) as typeof response.end;
    }
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => { body += chunk; });
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const requestId = randomUUID();
      response.setHeader('content-type', 'text/xml');
      if (form.get('Action') !== 'Publish') {
        response.statusCode = 400;
        response.end(errorXml('InvalidAction', `Unsupported action ${form.get('Action')}`, requestId));
        return;
      }
      const failure = failures.shift();
      if (failure) {
        response.statusCode = failure.status;
        response.end(errorXml(failure.code, 'Injected failure', requestId));
        return;
      }
      const attributes: Record<string, string> = {};
      for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
        attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
      }
      const messageId = randomUUID();
      messages.push({ phoneNumber: form.get('PhoneNumber') ?? '', message: form.get('Message') ?? '', attributes, messageId });
      response.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    failNext(code, status, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ code, status });
    },
    setDelay(ms) { delayMs = ms; },
    close: () => new Promise((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function errorXml(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
