/** Entry point: loadConfig → buildApp → listen, and a graceful shutdown on SIGTERM/SIGINT. */
import { buildApp } from './app.ts';
import { ConfigError, loadProcessConfig } from './config/index.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadProcessConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = await buildApp(config);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, 10_000);
    timer.unref();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A closed terminal or a wrapper (npm, a shell) going away must still stop the embedded database.
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  await app.listen({ host: config.host, port: config.port });
  app.log.info({ methods: config.allowedMethods, email: config.emailProvider, sms: config.smsProvider, alg: config.jwtAlg }, 'sesame is ready');
}

main().catch((error: unknown) => {
  // Configuration found wrong while starting (e.g. a broken template) reads like loadConfig's.
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`sesame failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
