// EMAIL_PROVIDER=http and SMS_PROVIDER=http, the send hook, end to end: Sesame POSTs the
// rendered message to a real local receiver, which verifies every request with the
// `standardwebhooks` library as any team's endpoint would (S42). 2xx delivers; 429, 5xx and
// timeouts are retried with the same webhook-id; other 4xx and redirects (never followed) fail
// the message at once; an address that resolves to a private network is refused at send time.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createOutboundHttp } from '../../src/delivery/outbound-http.ts';
import { createSendHookSenders } from '../../src/delivery/send-hook-sender.ts';
import { createWebhookSigner, newWebhookSecret } from '../../src/lib/standard-webhooks.ts';
import { codeIn, eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { configProblems } from '../helpers/config-problems.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase } from '../helpers/fixtures.ts';

const FAST = {
  TOKEN_REQUEST_THROTTLE_SECONDS: '0',
  DELIVERY_POLL_INTERVAL_MS: '20',
  DELIVERY_RETRY_BASE_MS: '10',
  DELIVERY_RETRY_MAX_MS: '50',
};

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  /** The verified payload; undefined when the signature did not verify. */
  payload: Record<string, unknown> | undefined;
}

/** A team's endpoint: verifies each request with the standardwebhooks library and answers as told. */
interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Answers for the next requests, in order (a status, or a delay in ms before a 200); 200 after. */
  answer(...next: (number | { delayMs: number } | { redirectTo: string })[]): void;
  close(): Promise<void>;
}

async function startReceiver(secret: string): Promise<Receiver> {
  const webhook = new Webhook(secret);
  const deliveries: Delivery[] = [];
  let queue: (number | { delayMs: number } | { redirectTo: string })[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let payload: Record<string, unknown> | undefined;
      try {
        payload = webhook.verify(body, request.headers as Record<string, string>) as Record<string, unknown>;
      } catch {
        payload = undefined;
      }
      deliveries.push({ path: request.url ?? '', headers: request.headers, payload });
      const next = queue.shift() ?? 200;
      if (payload === undefined) return void response.writeHead(401).end();
      if (typeof next === 'number') return void response.writeHead(next, { 'content-type': 'application/json' }).end('{"error":"jo@example.com is unknown"}');
      if ('redirectTo' in next) return void response.writeHead(307, { location: next.redirectTo }).end();
      setTimeout(() => { if (!response.destroyed) response.writeHead(200).end(); }, next.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/send`,
    deliveries,
    answer(...next) { queue = next; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

interface JobRow {
  status: string;
  attempts: number;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
}

describe('send hook delivery', () => {
  const secret = newWebhookSecret();
  let db: TestDatabase;
  let receiver: Receiver;
  const apps: TestApp[] = [];

  const suite = suiteScope();
  before(async () => {
    db = await withDatabase(suite);
    receiver = await startReceiver(secret);
    suite.after(() => receiver.close());
  });
  afterEach(async () => {
    for (let app = apps.pop(); app !== undefined; app = apps.pop()) await app.close();
    receiver.answer();
  });

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    const app = await startTestApp({
      db,
      env: {
        EMAIL_PROVIDER: 'http',
        SMS_PROVIDER: 'http',
        SEND_HOOK_URL: receiver.url,
        SEND_HOOK_SECRET: secret,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        ...FAST,
        ...env,
      },
    });
    apps.push(app);
    return app;
  }

  async function jobEnded(identifier: string): Promise<JobRow> {
    const column = identifier.startsWith('+') ? 'phone_number' : 'email';
    return eventually(async () => {
      const { rows: [job] } = await db.pool.query<JobRow>(
        `SELECT j.status, j.attempts, j.provider, j.provider_message_id, j.last_error
         FROM delivery_jobs j JOIN users u ON u.id = j.user_id WHERE u.${column} = $1 ORDER BY j.created_at DESC LIMIT 1`,
        [identifier],
      );
      return job && job.status !== 'pending' ? job : undefined;
    }, 10_000);
  }

  const to = (address: string) => receiver.deliveries.filter((delivery) => delivery.payload?.to === address);

  function assertNothingSecretLogged(app: TestApp, secrets: string[]): void {
    const logs = app.logs.join('\n');
    for (const value of [secret, ...secrets]) assert.ok(!logs.includes(value), 'no secret, code or address in the logs (S34)');
  }

  it('POSTs the rendered email, signed so the standardwebhooks library verifies it, and the code signs in (S42)', async () => {
    const app = await start({ PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/login?token={token}' });
    await createUser(db, 'ada@example.com');
    assert.equal((await app.post('/passwordless/request/email', { email: 'Ada@Example.com' })).status, 202);
    const job = await jobEnded('ada@example.com');
    const [delivery] = to('ada@example.com');
    assert.ok(delivery, 'the receiver got a request whose signature verified');
    assert.equal(delivery.path, '/send');
    assert.equal(delivery.headers['content-type'], 'application/json');
    const payload = delivery.payload!;
    assert.deepEqual(Object.keys(payload).sort(), ['channel', 'from', 'html', 'locale', 'subject', 'text', 'to']);
    assert.deepEqual([payload.channel, payload.to, payload.from, payload.locale], ['email', 'ada@example.com', 'Sesame <no-reply@sesame.test>', 'en']);
    assert.match(payload.subject as string, /^Your Sesame sign-in code: \d{6}$/);
    const code = codeIn(payload.text as string);
    assert.ok((payload.html as string).includes(code));
    assert.ok((payload.text as string).includes('https://app.sesame.test/login?token='));
    assert.deepEqual([job.status, job.provider, job.attempts], ['delivered', 'http', 1]);
    assert.equal(job.provider_message_id, delivery.headers['webhook-id'], 'the job keeps the webhook-id the receiver saw');

    assert.equal((await app.post('/passwordless/exchange/email', { email: 'ada@example.com', token: code })).status, 200);
    assertNothingSecretLogged(app, [code, 'ada@example.com']);
  });

  it('POSTs SMS as channel "mobile" with the text only, in the language asked for', async () => {
    const app = await start();
    await createUser(db, '+14155550123');
    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+1 415 555 0123', locale: 'de' })).status, 202);
    assert.equal((await jobEnded('+14155550123')).status, 'delivered');
    const [delivery] = to('+14155550123');
    assert.ok(delivery);
    assert.deepEqual(Object.keys(delivery.payload!).sort(), ['channel', 'locale', 'text', 'to']);
    assert.deepEqual([delivery.payload!.channel, delivery.payload!.locale], ['mobile', 'de']);
    assert.match(delivery.payload!.text as string, /ist Ihr Anmeldecode für Sesame/);
  });

  it('retries 503, 429 and a timeout with the same webhook-id, then delivers once', async () => {
    const app = await start({ DELIVERY_SEND_TIMEOUT_MS: '300' });
    await createUser(db, 'retry@example.com');
    receiver.answer(503, 429, { delayMs: 1_000 });
    assert.equal((await app.post('/passwordless/request/email', { email: 'retry@example.com' })).status, 202);
    const job = await jobEnded('retry@example.com');
    assert.deepEqual([job.status, job.attempts], ['delivered', 4]);
    const attempts = to('retry@example.com');
    assert.equal(attempts.length, 4);
    assert.equal(new Set(attempts.map((a) => a.headers['webhook-id'])).size, 1, 'one webhook-id across retries, so the endpoint can drop duplicates');
    const errors = app.logs.map((line) => JSON.parse(line) as { msg: string; error?: { name: string; status?: number } })
      .filter((entry) => entry.msg === 'code delivery will be retried').map((entry) => `${entry.error!.name} ${entry.error!.status ?? ''}`.trim());
    assert.deepEqual(errors, ['SendHookUnavailable 503', 'SendHookUnavailable 429', 'SendHookTimeout']);
  });

  it('fails the message at once on another 4xx, keeping the status and never the answer (S34)', async () => {
    const app = await start();
    await createUser(db, 'jo@example.com');
    receiver.answer(422);
    assert.equal((await app.post('/passwordless/request/email', { email: 'jo@example.com' })).status, 202);
    const job = await jobEnded('jo@example.com');
    assert.deepEqual([job.status, job.attempts, job.last_error], ['failed', 1, 'SendHookRejected 422']);
    assert.equal(to('jo@example.com').length, 1);
    assertNothingSecretLogged(app, ['jo@example.com is unknown']);
  });

  it('passes a client\'s own sender on as "from", else EMAIL_FROM, end to end', async () => {
    await db.pool.query(
      `INSERT INTO clients (client_id, name, allowed_origins, allowed_methods, email_from, created_at, updated_at)
       VALUES ('shop', 'Shop', '{}', '{email}', 'Shop Login <login@shop.example.test>', now(), now()) ON CONFLICT DO NOTHING`,
    );
    // The test environment sets EMAIL_FROM=Sesame <no-reply@sesame.test>.
    const app = await start();
    await createUser(db, 'client@example.com');
    await createUser(db, 'default-client@example.com');
    assert.equal((await app.post('/passwordless/request/email', { email: 'default-client@example.com' })).status, 202);
    assert.equal((await jobEnded('default-client@example.com')).status, 'delivered');
    assert.equal(to('default-client@example.com')[0]?.payload?.from, 'Sesame <no-reply@sesame.test>', 'EMAIL_FROM for the default client');
    assert.equal((await app.post('/passwordless/request/email', { email: 'client@example.com', client_id: 'shop' })).status, 202);
    assert.equal((await jobEnded('client@example.com')).status, 'delivered');
    const [delivery] = to('client@example.com');
    assert.equal(delivery?.payload?.from, 'Shop Login <login@shop.example.test>');
    assert.match(delivery.payload!.subject as string, /^Your Shop sign-in code: \d{6}$/);
  });

  it('passes a message\'s own From (a client\'s sender) on, and omits it otherwise', async () => {
    const senders = createSendHookSenders({
      url: receiver.url,
      signer: createWebhookSigner(secret),
      http: createOutboundHttp({ allowPrivateNetworks: true }),
      timeoutMs: 2000,
    });
    const message = { subject: 's', text: 't', html: '<p>h</p>', locale: 'fr' };
    await senders.email.send({ ...message, to: 'from@example.com', from: 'Acme <login@acme.test>' }, { idempotencyKey: 'job-1' });
    await senders.email.send({ ...message, to: 'nofrom@example.com' });
    const [withFrom] = to('from@example.com');
    assert.deepEqual(withFrom?.payload, { channel: 'email', to: 'from@example.com', from: 'Acme <login@acme.test>', subject: 's', text: 't', html: '<p>h</p>', locale: 'fr' });
    assert.equal(withFrom?.headers['webhook-id'], 'msg_job-1');
    assert.ok(!('from' in (to('nofrom@example.com')[0]?.payload ?? { from: 'missing' })));
  });

  it('never follows a redirect: a 3xx fails the message and the target is not called (S42)', async () => {
    const app = await start();
    await createUser(db, 'redirected@example.com');
    receiver.answer({ redirectTo: `${receiver.url}/elsewhere` });
    assert.equal((await app.post('/passwordless/request/email', { email: 'redirected@example.com' })).status, 202);
    const job = await jobEnded('redirected@example.com');
    assert.deepEqual([job.status, job.last_error], ['failed', 'SendHookRejected 307']);
    assert.deepEqual(to('redirected@example.com').map((d) => d.path), ['/send']);
  });

  it('refuses at send time a host that resolves to a private address unless WEBHOOK_ALLOW_PRIVATE_NETWORKS (S42)', async () => {
    const port = new URL(receiver.url).port;
    // https passes the configuration check; "localhost" resolves to loopback only when sending.
    const app = await start({ SEND_HOOK_URL: `https://localhost:${port}/send`, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' });
    await createUser(db, 'inward@example.com');
    const before = receiver.deliveries.length;
    assert.equal((await app.post('/passwordless/request/email', { email: 'inward@example.com' })).status, 202);
    const job = await jobEnded('inward@example.com');
    assert.deepEqual([job.status, job.attempts, job.last_error], ['failed', 1, 'SendHookRefused']);
    assert.equal(receiver.deliveries.length, before, 'nothing reached the private address');
  });
});

describe('send hook settings', () => {
  const secret = newWebhookSecret();

  it('requires SEND_HOOK_URL and a whsec_ SEND_HOOK_SECRET when either provider is http', () => {
    assert.deepEqual(configProblems({ SMS_PROVIDER: 'http' }).map((p) => p.split(':')[0]).sort(), ['SEND_HOOK_SECRET', 'SEND_HOOK_URL']);
    assert.deepEqual(configProblems({ EMAIL_PROVIDER: 'http', SEND_HOOK_URL: 'https://hooks.example.com/send', SEND_HOOK_SECRET: 'not-a-secret' }).map((p) => p.split(':')[0]), ['SEND_HOOK_SECRET']);
    assert.deepEqual(configProblems({ EMAIL_PROVIDER: 'http', SEND_HOOK_URL: 'https://hooks.example.com/send', SEND_HOOK_SECRET: secret }), []);
  });

  it('accepts https only, or http to loopback with WEBHOOK_ALLOW_PRIVATE_NETWORKS (S42)', () => {
    const env = { EMAIL_PROVIDER: 'http', SEND_HOOK_SECRET: secret };
    for (const url of ['http://hooks.example.com/send', 'http://127.0.0.1:9000/send', 'ftp://hooks.example.com', 'https://user:pw@hooks.example.com/']) {
      assert.deepEqual(configProblems({ ...env, SEND_HOOK_URL: url }).map((p) => p.split(':')[0]), ['SEND_HOOK_URL'], url);
    }
    assert.deepEqual(configProblems({ ...env, SEND_HOOK_URL: 'http://127.0.0.1:9000/send', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }), []);
    assert.ok(!configProblems({ ...env, SEND_HOOK_URL: 'https://user:pw@hooks.example.com/' }).join(' ').includes('pw@'), 'the URL\'s credentials are not quoted');
  });
});
