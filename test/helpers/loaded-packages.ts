/**
 * Child process for test/integration/module-loading.test.ts: builds the app from the
 * environment, makes it ready (workers started), and prints the npm packages loaded by
 * then, through the ES module loader or require(), on a line `loaded packages: [...]` (JSON). Run as
 * `node --import tsx test/helpers/loaded-packages.ts` with the configuration in the environment.
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

/** `…/node_modules/@scope/name/…` → `@scope/name` (the innermost node_modules). */
function packageOf(location: string): string | undefined {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(location);
  return match?.[1];
}
const cjs = Object.keys(createRequire(import.meta.url).cache);
const packages = [...new Set([...resolved, ...cjs].map(packageOf).filter((name): name is string => name !== undefined))].sort();
process.stdout.write(`\nloaded packages: ${JSON.stringify(packages)}\n`);
await app.close();
