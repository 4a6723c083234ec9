// Optional OpenTelemetry traces: the real entry point (src/server.ts) started with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP receiver (JSON), a sign-in through it,
// and the spans that arrive: one per request, per SQL statement and per provider call, and no
// secret or identifier in any attribute (S34).
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { codeIn, eventually, TEST_SECRET, testEnv } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';
import { suiteScope, withDatabase, withLocalAws } from '../helpers/fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

interface OtlpValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number; arrayValue?: { values: OtlpValue[] } }
interface OtlpAttribute { key: string; value: OtlpValue }
interface OtlpSpan { name: string; spanId: string; parentSpanId?: string; kind: number; attributes?: OtlpAttribute[]; events?: { name: string; attributes?: OtlpAttribute[] }[]; status?: { code?: number } }
interface OtlpExport { resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }

function valueText(value: OtlpValue): string {
  if (value.arrayValue) return value.arrayValue.values.map(valueText).join(' ');
  return String(value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue ?? '');
}

function attributes(span: { attributes?: OtlpAttribute[] }): Record<string, string> {
  return Object.fromEntries((span.attributes ?? []).map((attribute) => [attribute.key, valueText(attribute.value)]));
}

/** A local OTLP/HTTP collector: every JSON export posted to /v1/traces. */
async function startReceiver(): Promise<{ url: string; exports: OtlpExport[]; paths: string[]; contentTypes: string[]; close(): Promise<void> }> {
  const exports: OtlpExport[] = [];
  const paths: string[] = [];
  const contentTypes: string[] = [];
  const server: Server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      paths.push(request.url ?? '');
      contentTypes.push(request.headers['content-type'] ?? '');
      try {
        exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
      } catch { /* a non-JSON body fails the content-type assertion below */ }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`, exports, paths, contentTypes,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('telemetry', () => {
  let ses: SesLocal;
  let sns: SnsFake;
  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
  });

  it('exports spans for requests, SQL statements and the provider calls, with no secret or identifier in any attribute (S34)', async () => {
    const db = await withDatabase(suite);
    const receiver = await startReceiver();
    suite.after(() => receiver.close());
    const port = await freePort();
    const env = {
      ...testEnv(db, {
        HOST: '127.0.0.1', PORT: String(port), ADMIN_PORT: '0', SHUTDOWN_DRAIN_SECONDS: '0',
        REGISTER_NONEXISTENT_USERS: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'sesame-telemetry-test',
        // Export every 100 ms instead of every 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      }),
      PATH: process.env.PATH!, HOME: process.env.HOME!,
      AWS_REGION: process.env.AWS_REGION!, AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY!,
      AWS_ENDPOINT_URL_SESV2: process.env.AWS_ENDPOINT_URL_SESV2!, AWS_ENDPOINT_URL_SNS: process.env.AWS_ENDPOINT_URL_SNS!,
    };
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => (stdout.includes('sesame is ready') ? true : undefined), 60_000).catch((error: unknown) => {
        throw new Error(`the server did not start: ${stderr}`, { cause: error });
      });
      const base = `http://127.0.0.1:${port}`;
      const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

      const email = 'trace-subject@example.com';
      assert.equal((await post('/passwordless/request/email', { email })).status, 202);
      const message = await eventually(async () => (await ses.emails(email))[0], 15_000);
      const text = message.body.text ?? message.body.html ?? '';
      const code = codeIn(text);
      const links = [...text.matchAll(/https?:\/\/\S+/g)].map((match) => match[0]);
      const exchange = await post('/passwordless/exchange/email?probe=query-string-value', { email, token: code });
      assert.equal(exchange.status, 200);
      const tokens = await exchange.json() as { access_token: string; refresh_token: string };
      const refresh = await post('/token/refresh', { refresh_token: tokens.refresh_token });
      assert.equal(refresh.status, 200);
      const refreshed = await refresh.json() as { access_token: string; refresh_token: string };

      // An SMS too: its span must not carry the phone number nor its code.
      const phone = '+33612345678';
      assert.equal((await post('/passwordless/request/mobile', { phone_number: phone })).status, 202);
      const sms = await eventually(() => sns.messages.find((published) => published.phoneNumber === phone), 15_000);
      const smsCode = codeIn(sms.message);

      const spans = () => receiver.exports.flatMap((batch) => batch.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
      const named = (name: string) => spans().find((span) => span.name === name);
      await eventually(() => (named('POST /token/refresh') && spans().some((span) => span.name.startsWith('send') && attributes(span)['sesame.channel'] === 'sms') ? true : undefined), 15_000);

      // OTLP/HTTP with the JSON encoding, to <endpoint>/v1/traces.
      assert.ok(receiver.paths.every((path) => path === '/v1/traces'), receiver.paths.join(', '));
      assert.ok(receiver.contentTypes.every((type) => type.startsWith('application/json')), receiver.contentTypes.join(', '));
      for (const resource of receiver.exports.flatMap((batch) => batch.resourceSpans)) {
        assert.equal(attributes(resource.resource ?? {})['service.name'], 'sesame-telemetry-test');
      }

      // A span per request, named by the route pattern; the query string is nowhere.
      for (const route of ['POST /passwordless/request/email', 'POST /passwordless/exchange/email', 'POST /token/refresh']) {
        const span = named(route);
        assert.ok(span, `a span for ${route}`);
        assert.equal(attributes(span)['http.route'], route.split(' ')[1]);
        assert.match(attributes(span)['http.response.status_code'] ?? '', /^20[02]$/);
      }
      // A span per SQL statement, with the statement's text and its placeholders.
      const statements = spans().filter((span) => attributes(span)['db.system.name'] === 'postgresql');
      assert.ok(statements.length >= 3, `SQL spans: ${statements.length}`);
      assert.ok(statements.some((span) => /\$1/.test(attributes(span)['db.query.text'] ?? '')), 'a statement with placeholders');
      // The exchange's statements are children of its request span.
      const exchangeSpan = named('POST /passwordless/exchange/email')!;
      assert.ok(statements.some((span) => span.parentSpanId === exchangeSpan.spanId), 'SQL spans under the request span');
      // A span per provider call: channel, provider, outcome.
      const sends = spans().filter((span) => span.name.startsWith('send')).map(attributes);
      assert.ok(sends.some((attrs) => attrs['sesame.channel'] === 'email' && attrs['sesame.provider'] === 'ses'), 'an SES span');
      assert.ok(sends.some((attrs) => attrs['sesame.channel'] === 'sms' && attrs['sesame.provider'] === 'sns'), 'an SNS span');
      for (const attrs of sends) assert.equal(attrs['sesame.outcome'], 'accepted');

      // S34: no attribute (span, event or resource) nor span name carries a secret or identifier.
      const secrets = [
        email, 'trace-subject', code, phone, phone.slice(1), smsCode, sms.message, tokens.access_token, tokens.refresh_token, refreshed.access_token, refreshed.refresh_token,
        TEST_SECRET, 'query-string-value', ...links,
      ];
      const texts = [
        ...spans().flatMap((span) => [span.name, ...Object.values(attributes(span)), ...(span.events ?? []).flatMap((event) => [event.name, ...Object.values(attributes(event))])]),
        ...receiver.exports.flatMap((batch) => batch.resourceSpans.flatMap((resource) => Object.values(attributes(resource.resource ?? {})))),
      ];
      for (const secret of secrets) {
        const leak = texts.find((value) => value.includes(secret));
        assert.equal(leak, undefined, `an attribute carries a secret: ${leak}`);
      }

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('imports no OpenTelemetry module unless traces are on: only types, and dynamic imports in src/telemetry.ts', () => {
    const files = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((file) => file.endsWith('.ts') && !file.startsWith('generated'));
    for (const file of files) {
      const source = readFileSync(join(ROOT, 'src', file), 'utf8');
      for (const line of source.split('\n').filter((text) => /['"]@opentelemetry\//.test(text))) {
        const allowed = /^\s*import type /.test(line) || (file === 'telemetry.ts' && /^\s*import\('@opentelemetry\//.test(line))
          || /^\s*type OtelApi = typeof import\('@opentelemetry\/api'\);/.test(line);
        assert.ok(allowed, `${file}: ${line.trim()}`);
      }
    }
  });
});
