// EMAIL_PROVIDER=smtp end to end against a real SMTP server started here (smtp-server) with a
// self-signed certificate made by the test: STARTTLS required on smtp://, TLS from the start on
// smtps://, plain text only with SMTP_ALLOW_INSECURE. The outbox rules are SES's: a 4xx reply is
// retried until the code arrives once, a 5xx reply fails the job at once, and neither the SMTP
// password nor the server's reply text (which quotes the address) reaches a log or a job (S34).
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { codeIn, eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase } from '../helpers/fixtures.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { createSmtpEmailSender } from '../../src/delivery/smtp-email-sender.ts';
import { parseSmtpUrl, type SmtpUrl } from '../../src/config/providers.ts';
import { describeProviderError, formatProviderError } from '../../src/delivery/provider-errors.ts';

const FAST = {
  TOKEN_REQUEST_THROTTLE_SECONDS: '0',
  DELIVERY_POLL_INTERVAL_MS: '20',
  DELIVERY_RETRY_BASE_MS: '10',
  DELIVERY_RETRY_MAX_MS: '50',
};

interface JobRow {
  status: string;
  attempts: number;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  payload: Buffer | null;
}

describe('SMTP delivery', () => {
  let db: TestDatabase;
  let starttls: TestSmtpServer;
  const apps: TestApp[] = [];

  const suite = suiteScope();
  before(async () => {
    db = await withDatabase(suite);
    starttls = await startTestSmtpServer({ tls: 'starttls' });
    suite.after(() => starttls.close());
  });
  afterEach(async () => {
    for (let app = apps.pop(); app !== undefined; app = apps.pop()) await app.close();
    starttls.refuse(undefined);
  });

  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp({ db, env: { EMAIL_PROVIDER: 'smtp', ...FAST, ...env } });
    apps.push(app);
    return app;
  }

  const viaStarttls = () => ({ SMTP_URL: starttls.url, SMTP_CA_FILE: starttls.caFile });

  async function jobEnded(email: string): Promise<JobRow> {
    return eventually(async () => {
      const { rows: [job] } = await db.pool.query<JobRow>(
        `SELECT j.status, j.attempts, j.provider, j.provider_message_id, j.last_error, j.payload
         FROM delivery_jobs j JOIN users u ON u.id = j.user_id WHERE u.email = $1 ORDER BY j.created_at DESC LIMIT 1`,
        [email],
      );
      return job && job.status !== 'pending' ? job : undefined;
    }, 10_000);
  }

  function assertNoSecretsIn(app: TestApp, secrets: string[]): void {
    const logs = app.logs.join('\n');
    for (const secret of secrets) assert.ok(!logs.includes(secret), `logs do not contain ${secret.slice(0, 3)}…`);
  }

  it('sends over STARTTLS with the configured credentials and From; the code signs in', async () => {
    const app = await start({ ...viaStarttls(), PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/login?token={token}' });
    await createUser(db, 'ada@example.com');
    assert.equal((await app.post('/passwordless/request/email', { email: 'Ada@Example.com' })).status, 202);
    const job = await jobEnded('ada@example.com');
    const [mail] = starttls.mailsTo('ada@example.com');
    assert.ok(mail, 'the SMTP server received the message');
    assert.equal(mail.secure, true, 'the session was upgraded with STARTTLS before the message');
    assert.equal(mail.user, starttls.user, 'logged in with the URL\'s (percent-decoded) credentials');
    assert.equal(mail.from, '"Sesame" <no-reply@sesame.test>');
    assert.match(mail.subject, /^Your Sesame sign-in code: \d{6}$/);
    const code = codeIn(mail.text);
    assert.ok(mail.html.includes(code), 'the HTML part carries the code');
    assert.ok(!mail.text.includes('ada@example.com') && !mail.html.includes('ada@example.com'), 'the identifier is not echoed (S16)');
    assert.deepEqual([job.status, job.provider, job.attempts, job.payload], ['delivered', 'smtp', 1, null]);
    assert.match(job.provider_message_id ?? '', /^<.+@sesame\.test>$/, 'the Message-ID nodemailer gave the message');
    assert.ok(mail.raw.includes(`Message-ID: ${job.provider_message_id}`));

    const exchanged = await app.post('/passwordless/exchange/email', { email: 'ada@example.com', token: code });
    assert.equal(exchanged.status, 200);
    assertNoSecretsIn(app, [code, starttls.password, encodeURIComponent(starttls.password)]);
  });

  it('sends a client\'s code from that client\'s own sender, with its name', async () => {
    await db.pool.query(
      `INSERT INTO clients (client_id, name, allowed_origins, allowed_methods, email_from, created_at, updated_at)
       VALUES ('shop', 'Shop', '{}', '{email}', 'Shop Login <login@shop.example.test>', now(), now()) ON CONFLICT DO NOTHING`,
    );
    const app = await start(viaStarttls());
    await createUser(db, 'client@example.com');
    assert.equal((await app.post('/passwordless/request/email', { email: 'client@example.com', client_id: 'shop' })).status, 202);
    assert.equal((await jobEnded('client@example.com')).status, 'delivered');
    const [mail] = starttls.mailsTo('client@example.com');
    assert.equal(mail?.from, '"Shop Login" <login@shop.example.test>');
    assert.match(mail.subject, /^Your Shop sign-in code: \d{6}$/);
  });

  it('escapes every value in the HTML part and none in the text part or subject (S16)', async () => {
    const app = await start({
      ...viaStarttls(),
      APP_NAME: 'Acme <b>Sign-in</b> & "Co"',
      PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/login?next=<script>&token={token}',
    });
    await createUser(db, 'html@example.com');
    assert.equal((await app.post('/passwordless/request/email', { email: 'html@example.com' })).status, 202);
    await jobEnded('html@example.com');
    const [mail] = starttls.mailsTo('html@example.com');
    assert.ok(mail);
    assert.ok(!mail.html.includes('<b>Sign-in</b>') && !mail.html.includes('<script>'), 'no markup from a value reaches the HTML');
    assert.ok(mail.html.includes('Acme &lt;b&gt;Sign-in&lt;&#x2F;b&gt; &amp; &quot;Co&quot;'), 'the app name is escaped in HTML');
    assert.ok(mail.html.includes('next&#x3D;&lt;script&gt;&amp;token&#x3D;'), 'the link is escaped in HTML');
    assert.ok(mail.text.includes('next=<script>&token='), 'the text part carries the link as it is');
    assert.ok(mail.subject.startsWith('Your Acme <b>Sign-in</b> & "Co" sign-in code'), 'the subject is plain text');
  });

  it('retries a 4xx temporary failure until the message is accepted, and delivers it once', async () => {
    const app = await start(viaStarttls());
    await createUser(db, 'greylisted@example.com');
    let refusals = 2;
    starttls.refuse((address) => (address === 'greylisted@example.com' && refusals-- > 0 ? 451 : undefined));
    assert.equal((await app.post('/passwordless/request/email', { email: 'greylisted@example.com' })).status, 202);
    const job = await jobEnded('greylisted@example.com');
    assert.deepEqual([job.status, job.attempts, job.provider], ['delivered', 3, 'smtp']);
    assert.equal(starttls.attempts('greylisted@example.com'), 3);
    assert.equal(starttls.mailsTo('greylisted@example.com').length, 1, 'exactly one message arrived');
    const retries = app.logs.map((line) => JSON.parse(line) as { msg: string; error?: unknown }).filter((entry) => entry.msg === 'code delivery will be retried');
    assert.equal(retries.length, 2);
    assert.deepEqual(retries[0]!.error, { name: 'SmtpTemporaryFailure', status: 451, transient: true });
    assertNoSecretsIn(app, ['greylisted@example.com', 'Try again later']);
  });

  it('fails a 5xx permanent failure at once, keeping the reply code and never the reply text (S34)', async () => {
    const app = await start(viaStarttls());
    await createUser(db, 'gone@example.com');
    starttls.refuse((address) => (address === 'gone@example.com' ? 550 : undefined));
    assert.equal((await app.post('/passwordless/request/email', { email: 'gone@example.com' })).status, 202);
    const job = await jobEnded('gone@example.com');
    assert.deepEqual([job.status, job.attempts, job.last_error, job.payload], ['failed', 1, 'SmtpPermanentFailure 550', null]);
    assert.equal(starttls.attempts('gone@example.com'), 1, 'not asked again');
    assert.equal(starttls.mailsTo('gone@example.com').length, 0);
    const audit = await eventually(async () => (await db.pool.query<{ reason: string; detail: { status: number } }>(
      `SELECT reason, detail FROM audit_events WHERE event = 'code.failed' AND destination = 'g***@example.com'`,
    )).rows[0]);
    assert.deepEqual([audit.reason, audit.detail.status], ['SmtpPermanentFailure', 550]);
    assertNoSecretsIn(app, ['gone@example.com', 'No such mailbox']);
  });

  it('sends over smtps:// (TLS from the first byte)', async () => {
    const implicit = await startTestSmtpServer({ tls: 'implicit' });
    try {
      const app = await start({ SMTP_URL: implicit.url, SMTP_CA_FILE: implicit.caFile });
      await createUser(db, 'tls@example.com');
      assert.equal((await app.post('/passwordless/request/email', { email: 'tls@example.com' })).status, 202);
      assert.equal((await jobEnded('tls@example.com')).status, 'delivered');
      assert.equal(implicit.mailsTo('tls@example.com')[0]?.secure, true);
      await apps.pop()!.close();
    } finally {
      await implicit.close();
    }
  });

  it('many codes at once share a bounded pool of connections and each arrives once', async () => {
    const app = await start({ ...viaStarttls(), SMTP_MAX_CONNECTIONS: '3' });
    starttls.resetConnections();
    const addresses = Array.from({ length: 40 }, (_, i) => `pool-${i}@example.com`);
    for (const address of addresses) await createUser(db, address);
    const responses = await Promise.all(addresses.map((email) => app.post('/passwordless/request/email', { email })));
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([202]));
    for (const address of addresses) assert.equal((await jobEnded(address)).status, 'delivered');
    for (const address of addresses) assert.equal(starttls.mailsTo(address).length, 1, address);
    const { opened, peak } = starttls.connections();
    assert.ok(peak <= 3, `at most the pool's 3 connections were open at once (peak ${peak})`);
    assert.ok(opened <= 3, `connections were reused: ${opened} opened for ${addresses.length} messages`);
  });
});

describe('SMTP sender', () => {
  const server = (url: string): SmtpUrl => parseSmtpUrl(url) as SmtpUrl;
  const message = { to: 'jo@example.com', subject: 's', text: 't', html: '<p>h</p>' };

  async function failure(send: Promise<unknown>): Promise<string> {
    try {
      await send;
    } catch (error) {
      const summary = describeProviderError(error);
      assert.ok(!(error as Error).message.includes('jo@example.com'), 'the error carries no address');
      return `${formatProviderError(summary)} ${summary.transient ? 'transient' : 'permanent'}`;
    }
    throw new Error('the send succeeded');
  }

  it('refuses to send without TLS when smtp:// is not upgraded, unless SMTP_ALLOW_INSECURE', async () => {
    const plain = await startTestSmtpServer({ tls: 'none' });
    try {
      const strict = createSmtpEmailSender({ from: 'a@sesame.test', server: server(plain.url), allowInsecure: false, maxConnections: 1, timeoutMs: 2000 });
      assert.match(await failure(strict.send(message)), /^SmtpTlsFailed( 5\d\d)? transient$/);
      strict.close();
      assert.equal(plain.mails.length, 0, 'nothing crossed the network in clear');

      const local = createSmtpEmailSender({ from: 'a@sesame.test', server: server(plain.url), allowInsecure: true, maxConnections: 1, timeoutMs: 2000 });
      await local.send(message);
      local.close();
      assert.equal(plain.mailsTo('jo@example.com')[0]?.secure, false);
    } finally {
      await plain.close();
    }
  });

  it('verifies the server certificate: a self-signed one not named in SMTP_CA_FILE is refused', async () => {
    const tls = await startTestSmtpServer({ tls: 'starttls' });
    try {
      const untrusted = createSmtpEmailSender({ from: 'a@sesame.test', server: server(tls.url), allowInsecure: false, maxConnections: 1, timeoutMs: 2000 });
      assert.match(await failure(untrusted.send(message)), / transient$/);
      untrusted.close();
      assert.equal(tls.mails.length, 0);
    } finally {
      await tls.close();
    }
  });

  it('wrong credentials are retried like AWS credential trouble; the password is in no error (S34)', async () => {
    const tls = await startTestSmtpServer({ tls: 'starttls' });
    try {
      const wrong = tls.url.replace(encodeURIComponent(tls.password), 'not-the-password');
      const sender = createSmtpEmailSender({ from: 'a@sesame.test', server: server(wrong), allowInsecure: false, ca: await readCa(tls), maxConnections: 1, timeoutMs: 2000 });
      assert.equal(await failure(sender.send(message)), 'SmtpAuthenticationFailed 535 transient');
      sender.close();
    } finally {
      await tls.close();
    }
  });

  it('uses a message\'s own From (a client\'s sender) over EMAIL_FROM', async () => {
    const tls = await startTestSmtpServer({ tls: 'starttls' });
    try {
      const sender = createSmtpEmailSender({ from: 'Sesame <no-reply@sesame.test>', server: server(tls.url), allowInsecure: false, ca: await readCa(tls), maxConnections: 1, timeoutMs: 2000 });
      await sender.send({ ...message, from: 'Acme Login <login@acme.test>' });
      await sender.send({ ...message, to: 'default@example.com' });
      sender.close();
      assert.deepEqual(tls.mails.map((mail) => mail.from), ['"Acme Login" <login@acme.test>', '"Sesame" <no-reply@sesame.test>']);
    } finally {
      await tls.close();
    }
  });

  it('a send that times out waiting for a pooled connection is dropped before the server sees it', async () => {
    const tls = await startTestSmtpServer({ tls: 'starttls' });
    try {
      const sender = createSmtpEmailSender({ from: 'a@sesame.test', server: server(tls.url), allowInsecure: false, ca: await readCa(tls), maxConnections: 1, timeoutMs: 2000 });
      const first = sender.send({ ...message, to: 'first@example.com' });
      const second = sender.send({ ...message, to: 'second@example.com' }, { signal: AbortSignal.abort() });
      assert.equal(await failure(second), 'SmtpTimeout transient');
      await first;
      sender.close();
      assert.deepEqual(tls.mails.map((mail) => mail.to), ['first@example.com']);
    } finally {
      await tls.close();
    }
  });
});

async function readCa(server: TestSmtpServer): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(server.caFile, 'utf8');
}
