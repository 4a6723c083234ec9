/**
 * Child process for test/integration/module-loading.test.ts: builds the app from the
 * environment, makes it ready (workers started), and prints what was loaded by then through the
 * ES module loader or require(): one line `loaded: {"packages": [...], "files": [...]}`, files
 * by their path under node_modules. Run as `node --import tsx test/helpers/loaded-packages.ts`
 * with the configuration in the environment.
 */
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
const resolved: string[] = [];
port1.on('message', (url: string) => resolved.push(url));
register('./resolved-urls-hook.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

const { buildApp } = await import('../../src/app.ts');
const { loadConfig } = await import('../../src/config/index.ts');
const app = await buildApp(loadConfig(process.env));
await app.ready();

// The hook's messages arrive in order: once this import's URL is back, every earlier one is.
const sentinel = `data:text/javascript,export default ${JSON.stringify(String(process.hrtime.bigint()))}`;
await import(sentinel);
await new Promise<void>((done) => {
  const check = () => (resolved.includes(sentinel) ? done() : setTimeout(check, 10));
  check();
});
port1.close();

/** `…/node_modules/@scope/name/dir/file.js` → `@scope/name/dir/file.js` (after the innermost node_modules). */
function fileOf(location: string): string | undefined {
  return /.*node_modules\/(.+)$/.exec(location)?.[1];
}
const cjs = Object.keys(createRequire(import.meta.url).cache);
const files = [...new Set([...resolved, ...cjs].map(fileOf).filter((file): file is string => file !== undefined))].sort();
const packages = [...new Set(files.map((file) => /^(?:@[^/]+\/)?[^/]+/.exec(file)![0]))].sort();
process.stdout.write(`\nloaded: ${JSON.stringify({ packages, files })}\n`);
// Then the hot paths, a code request and a guess: neither makes Prisma's client.
const request = await app.inject({ method: 'POST', url: '/passwordless/request/email', payload: { email: 'loading@example.test' } });
const guess = await app.inject({ method: 'POST', url: '/passwordless/exchange/email', payload: { email: 'loading@example.test', token: '000000' } });
process.stdout.write(`\nsign-in: ${JSON.stringify({ statuses: [request.statusCode, guess.statusCode], prismaMade: app.db.prismaMade() })}\n`);
await app.close();
