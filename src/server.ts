/** Entry point: loadConfig → buildApp → listen, and a graceful shutdown on SIGTERM/SIGINT. */
import { buildApp } from './app.ts';
import { ConfigError, loadProcessConfig } from './config/index.ts';
import { startTelemetry, stopTelemetry } from './telemetry.ts';

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

  // Traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing is loaded.
  await startTelemetry(config);
  const app = await buildApp(config);
  let closing = false;
  // SIGTERM (an orchestrator stopping this replica): /readyz turns 503 at once and the listener
  // keeps serving for SHUTDOWN_DRAIN_SECONDS, so load balancers stop routing here; then the
  // listener closes, in-flight requests finish, idle keep-alive connections close, the dispatcher
  // finishes its sends and stops claiming, the audit buffer is written. All of it within
  // SHUTDOWN_GRACE_SECONDS, else exit 1. SIGINT/SIGHUP (a terminal) skip the drain pause.
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.lifecycle.draining = true;
    app.log.info({ signal, drainSeconds: config.shutdownDrainSeconds, graceSeconds: config.shutdownGraceSeconds }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    timer.unref();
    if (signal === 'SIGTERM' && config.shutdownDrainSeconds > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
    }
    await app.close();
    await stopTelemetry();
    app.log.info({ signal }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A closed terminal or a wrapper (npm, a shell) going away must still stop the embedded database.
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  await app.listen({ host: config.host, port: config.port });
  if (app.adminApp) await app.adminApp.listen({ host: config.adminHost, port: config.adminPort });
  app.log.info({ methods: config.allowedMethods, email: config.emailProvider, sms: config.smsProvider, alg: config.jwtAlg, adminPort: config.adminPort }, 'sesame is ready');
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
