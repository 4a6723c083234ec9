// What a server loads is what its configuration uses: the AWS SDK clients only for SES and SNS,
// nodemailer only for SMTP, ioredis only with REDIS_URL, the API reference's assets only with
// DOCS_ENABLED, and neither @simplewebauthn/server (until a passkey call) nor OpenTelemetry's
// SDK (without OTEL_EXPORTER_OTLP_ENDPOINT) at all; and Prisma's query compiler (WebAssembly)
// not before a request needs Prisma: start-up, key and client reloads and sign-ins run on the
// pool, and Prisma's client itself is made only when first used (src/db/database.ts). Each of them is megabytes of resident memory (docs/benchmarks.md, "Memory"). Each case
// builds the app in a child process of its own from the environment, makes it ready, and lists
// what was loaded by then.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { testEnv } from '../helpers/app.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { suiteScope, withDatabase } from '../helpers/fixtures.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every package that only some configurations need. */
const OPTIONAL = ['@aws-sdk/client-sesv2', '@aws-sdk/client-sns', 'nodemailer', 'ioredis', '@fastify/swagger-ui', '@simplewebauthn/server', '@opentelemetry/sdk-node'];

interface Loaded { packages: string[]; files: string[]; signIn: { statuses: number[]; prismaMade: boolean } }

async function loadedAtStart(db: TestDatabase, env: Record<string, string>): Promise<Loaded> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/loaded-packages.ts'], {
    cwd: ROOT,
    env: {
      ...testEnv(db, { ADMIN_PORT: '0', PORT: '0', LOG_LEVEL: 'warn', ...env }),
      PATH: process.env.PATH!, HOME: process.env.HOME!,
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const line = /^loaded: (.*)$/m.exec(stdout);
  const signIn = /^sign-in: (.*)$/m.exec(stdout);
  assert.ok(code === 0 && line && signIn, `the app did not start (exit ${code}): ${stderr}${stdout}`);
  return { ...JSON.parse(line[1]!), signIn: JSON.parse(signIn[1]!) } as Loaded;
}

function optionalLoaded(loaded: Loaded): string[] {
  return OPTIONAL.filter((name) => loaded.packages.includes(name));
}

function queryCompilerLoaded(loaded: Loaded): string[] {
  return loaded.files.filter((file) => file.startsWith('@prisma/client/') && file.includes('query_compiler'));
}

describe('modules loaded at start', () => {
  const suite = suiteScope();

  it('console delivery, in-memory rate limits, no docs: none of the optional packages, and no Prisma query compiler', async () => {
    const db = await withDatabase(suite);
    const loaded = await loadedAtStart(db, { EMAIL_PROVIDER: 'console', SMS_PROVIDER: 'console', DOCS_ENABLED: 'false' });
    // The app did start: the packages every configuration needs are there.
    for (const name of ['fastify', 'pg', 'jose']) assert.ok(loaded.packages.includes(name), `${name} in ${loaded.packages.join(', ')}`);
    assert.deepEqual(optionalLoaded(loaded), []);
    assert.deepEqual(queryCompilerLoaded(loaded), []);
    // Nor is Prisma's client made, at start or by a code request and a guess.
    assert.deepEqual(loaded.signIn, { statuses: [202, 400], prismaMade: false });
  });

  it('SES and SNS: their two AWS clients and the API reference, nothing else optional, and no Prisma query compiler', async () => {
    const db = await withDatabase(suite);
    const loaded = await loadedAtStart(db, { EMAIL_PROVIDER: 'ses', SMS_PROVIDER: 'sns' });
    assert.deepEqual(optionalLoaded(loaded), ['@aws-sdk/client-sesv2', '@aws-sdk/client-sns', '@fastify/swagger-ui']);
    assert.deepEqual(queryCompilerLoaded(loaded), []);
    assert.equal(loaded.signIn.prismaMade, false);
  });

  it('SMTP and a Redis rate-limit store: nodemailer and ioredis, no AWS client', async () => {
    const db = await withDatabase(suite);
    const loaded = await loadedAtStart(db, {
      EMAIL_PROVIDER: 'smtp', SMTP_URL: 'smtps://127.0.0.1:1', SMS_PROVIDER: 'console', DOCS_ENABLED: 'false',
      // Nothing listens there: the start goes on, and readiness would report the store down.
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    assert.deepEqual(optionalLoaded(loaded), ['nodemailer', 'ioredis']);
  });
});
