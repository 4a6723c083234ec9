/**
 * Starts the background workers once the app is ready and stops them when it closes. A worker
 * that fails to start stops the ones already started before the error reaches the caller, so a
 * failed start leaves no timer behind. Sends in flight finish and record their outcome before
 * the providers and the pool close; jobs not yet claimed stay in the outbox for the next process.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createWorkerGroup, type Worker } from '../workers/worker.ts';

export const workersPlugin = fp(async (app: FastifyInstance, options: { workers: readonly Worker[] }) => {
  const group = createWorkerGroup(options.workers);
  app.addHook('onReady', async () => {
    await group.start();
    app.log.info({ workers: options.workers.map((worker) => worker.name) }, 'workers started');
  });
  app.addHook('onClose', async () => group.stop());
}, { name: 'workers', dependencies: ['services'] });
