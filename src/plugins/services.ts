/**
 * Decorates `services` with what the composition root built (src/composition.ts), and closes
 * what it opened when the app closes: after the workers have stopped (hooks close in reverse
 * order of registration) and before the database pool does.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Composition, Services } from '../composition.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export const servicesPlugin = fp(async (app: FastifyInstance, options: { composition: Composition }) => {
  const { composition } = options;
  app.decorate('services', composition.services);
  // The audit buffer is written before the pool closes.
  app.addHook('onClose', async () => composition.close());
}, { name: 'services', dependencies: ['database'] });
