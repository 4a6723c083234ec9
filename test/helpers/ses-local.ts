/** aws-ses-v2-local, started in this process on a free port; mail is read back over its HTTP API. */
import type { AddressInfo } from 'node:net';
import sesLocalModule from 'aws-ses-v2-local';

// A CommonJS module whose `exports.default` is the server factory.
const sesLocal = (sesLocalModule as unknown as { default: typeof sesLocalModule.default }).default;

export interface ReceivedEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at: number;
}

export interface SesLocal {
  url: string;
  /** Every email received so far, optionally only those to `to`. */
  emails(to?: string): Promise<ReceivedEmail[]>;
  close(): Promise<void>;
}

export async function startSesLocal(): Promise<SesLocal> {
  const server = await (sesLocal as unknown as (config: { host: string; port: number }) => Promise<import('node:http').Server>)({ host: '127.0.0.1', port: 0 });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async emails(to) {
      const response = await fetch(`${url}/store`);
      const { emails } = (await response.json()) as { emails: ReceivedEmail[] };
      return to === undefined ? emails : emails.filter((email) => email.destination.to.includes(to));
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
