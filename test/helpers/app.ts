/**
 * Starts the real app on a free port against a test database, with SES and SNS reached through
 * the SDK's endpoint variables. Tests talk to it over HTTP with fetch.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import type { EmailMessage, MessageSender, SmsMessage } from '../../src/delivery/message-sender.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { RandomSource } from '../../src/lib/random.ts';
import type { Substitutes } from '../../src/composition.ts';
import { checkResponsesAgainstDocument } from './contract.ts';
import type { TestDatabase } from './database.ts';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

// The AWS SDK reads these itself; the endpoints are set by the local SES/SNS helpers' callers.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

/** Points the SDK at the local endpoints. Call before starting apps. */
export function useLocalAws(endpoints: { ses?: string; sns?: string }): void {
  if (endpoints.ses) process.env.AWS_ENDPOINT_URL_SESV2 = endpoints.ses;
  if (endpoints.sns) process.env.AWS_ENDPOINT_URL_SNS = endpoints.sns;
}

export interface TestClock extends Clock {
  advance(seconds: number): void;
  set(date: Date): void;
}

/** A clock frozen at real time now (so jose accepts the tokens), moved only by the test. */
export function createTestClock(start = new Date()): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(seconds) { current += seconds * 1000; },
    set(date) { current = date.getTime(); },
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  url: string;
  /** The admin listener's base URL (ADMIN_PORT), or undefined when the test turned it off with ADMIN_PORT=0. */
  adminUrl: string | undefined;
  logs: string[];
  /** Responses that did not match the OpenAPI document; close() fails when there are any. */
  contractViolations: string[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export function testEnv(db: TestDatabase, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    SESAME_SECRET: TEST_SECRET,
    EMAIL_PROVIDER: 'ses',
    EMAIL_FROM: 'Sesame <no-reply@sesame.test>',
    SMS_PROVIDER: 'sns',
    ALLOWED_PASSWORDLESS_METHODS: 'email,mobile',
    JWT_ISSUER: 'https://auth.sesame.test',
    JWT_AUDIENCE: 'sesame-tests',
    LOG_LEVEL: 'info',
    DATABASE_POOL_SIZE: '25',
    // Limits stay on (their hooks run) but out of reach of ordinary tests; rate-limit tests set their own.
    RATE_LIMIT_REQUEST_PER_MINUTE: '1000000',
    RATE_LIMIT_EXCHANGE_PER_MINUTE: '1000000',
    RATE_LIMIT_GLOBAL_REQUEST_PER_MINUTE: '1000000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    // Every test request comes from 127.0.0.1 (one requester), to numbers nobody signed in with
    // before: the SMS share and reserve tests set their own.
    SMS_REQUESTER_SHARE_PERCENT: '100',
    SMS_RESERVED_PERCENT: '0',
    ...env,
  };
}

export async function startTestApp(options: {
  db: TestDatabase;
  env?: Record<string, string>;
  clock?: Clock;
  random?: RandomSource;
  emailSender?: MessageSender<EmailMessage>;
  smsSender?: MessageSender<SmsMessage>;
  disableDispatcher?: boolean;
  /** Host name resolution for outbound calls (webhooks, hooks). */
  resolve?: Substitutes['resolve'];
  webhookDispatcher?: Substitutes['webhookDispatcher'];
  /** Called with the built app before it listens (a test adds hooks or routes here). */
  configure?: (app: FastifyInstance) => void;
}): Promise<TestApp> {
  const config = loadConfig(testEnv(options.db, options.env));
  const logs: string[] = [];
  const app = await buildApp(config, {
    substitutes: { clock: options.clock, random: options.random, emailSender: options.emailSender, smsSender: options.smsSender, resolve: options.resolve, webhookDispatcher: options.webhookDispatcher },
    logStream: { write: (line) => { logs.push(line); } },
    // A process that dies before sending: it accepts requests and leaves the jobs in the outbox.
    runsWorker: (worker) => !(options.disableDispatcher && worker.name === 'outbox-dispatcher'),
  });
  options.configure?.(app);
  // Every response of every test is checked against the OpenAPI document the app serves.
  const contractViolations: string[] = [];
  checkResponsesAgainstDocument(app, contractViolations);
  if (app.adminApp) checkResponsesAgainstDocument(app.adminApp, contractViolations);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = listeningUrl(app);
  // Tests never bind the configured admin port: a free one, like the public listener's.
  if (app.adminApp) await app.adminApp.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    config,
    url,
    adminUrl: app.adminApp ? listeningUrl(app.adminApp) : undefined,
    logs,
    contractViolations,
    post: (path, body, headers = {}) => fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    async close() {
      await app.close();
      if (contractViolations.length > 0) {
        throw new Error(`responses that do not match the OpenAPI document (test/helpers/contract.ts):\n  ${[...new Set(contractViolations)].join('\n  ')}`);
      }
    },
  };
}

function listeningUrl(instance: FastifyInstance): string {
  const address = instance.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Resolves once `check` returns a value, polling; for mail that is sent after the reply. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Extracts the numeric code from a delivered text. */
export function codeIn(text: string, length = 6): string {
  const match = new RegExp(`\\b(\\d{${length}})\\b`).exec(text);
  if (!match) throw new Error('no code in message');
  return match[1]!;
}
