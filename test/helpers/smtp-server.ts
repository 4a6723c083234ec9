/**
 * A real SMTP server for tests (the `smtp-server` package), with a self-signed certificate made
 * at start: STARTTLS on `smtp://`, TLS from the first byte on `smtps://`, or plain text for the
 * local-tool mode. It keeps every message it accepts, parsed, and can answer a recipient with an
 * SMTP error (4xx temporary, 5xx permanent) to drive the outbox's retry rules.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Whether the session was encrypted when the message was sent. */
  secure: boolean;
  /** The authenticated user, when the client logged in. */
  user: string | undefined;
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://user:password@127.0.0.1:port` (or `smtps://`), with the test credentials. */
  url: string;
  /** A PEM file holding the server's self-signed certificate, for SMTP_CA_FILE. */
  caFile: string;
  user: string;
  password: string;
  mails: ReceivedMail[];
  /** Mail for this address, oldest first. */
  mailsTo(address: string): ReceivedMail[];
  /** Decides the RCPT TO answer: a reply code (451, 550, ...) to refuse with, or undefined to accept. */
  refuse(rule: ((address: string) => number | undefined) | undefined): void;
  /** RCPT TO commands seen per address, refused ones included. */
  attempts(address: string): number;
  /** Connections opened, and the most open at once, since the last reset. */
  connections(): { opened: number; peak: number };
  resetConnections(): void;
  close(): Promise<void>;
}

export async function startTestSmtpServer(options: { tls: 'starttls' | 'implicit' | 'none'; auth?: boolean }): Promise<TestSmtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-smtp-'));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const caFile = join(dir, 'smtp-ca.pem');
  writeFileSync(caFile, pems.cert);

  const user = 'sesame';
  // Characters that must be percent-encoded in a URL, to prove the decoding.
  const password = 'p@ss:w/rd-7f3a9c1e';
  const mails: ReceivedMail[] = [];
  const attempts = new Map<string, number>();
  let rule: ((address: string) => number | undefined) | undefined;
  let open = 0;
  let opened = 0;
  let peak = 0;
  const withAuth = options.auth ?? options.tls !== 'none';

  const server = new SMTPServer({
    secure: options.tls === 'implicit',
    key: pems.private,
    cert: pems.cert,
    hideSTARTTLS: options.tls === 'none',
    disabledCommands: options.tls === 'none' ? ['STARTTLS'] : [],
    authOptional: !withAuth,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onConnect(_session, callback) {
      open += 1;
      opened += 1;
      peak = Math.max(peak, open);
      callback();
    },
    onClose() {
      open -= 1;
    },
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      attempts.set(to, (attempts.get(to) ?? 0) + 1);
      const code = rule?.(to);
      if (code === undefined) return callback();
      return callback(Object.assign(new Error(code < 500 ? 'Try again later' : `No such mailbox <${to}>`), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((parsed) => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()).join(','),
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            raw,
          });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const scheme = options.tls === 'implicit' ? 'smtps' : 'smtp';
  const credentials = withAuth ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@` : '';
  return {
    port,
    url: `${scheme}://${credentials}127.0.0.1:${port}`,
    caFile,
    user,
    password,
    mails,
    mailsTo: (address) => mails.filter((mail) => mail.to === address),
    refuse(next) { rule = next; },
    attempts: (address) => attempts.get(address) ?? 0,
    connections: () => ({ opened, peak }),
    resetConnections() {
      opened = 0;
      peak = open;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
