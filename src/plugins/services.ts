/**
 * The composition root: builds repositories, senders, the key store and the services once, and
 * decorates the app with them. A new dependency is wired here and nowhere else.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { createBackgroundDelivery, type MessageDispatcher } from '../delivery/background-delivery.ts';
import type { EmailMessage, MessageSender, SmsMessage } from '../delivery/message-sender.ts';
import { createSenders } from '../delivery/senders.ts';
import { createAccessTokenSigner } from '../keys/access-token-signer.ts';
import { loadKeyStore, type KeyStore } from '../keys/key-store.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { createCodeHasher } from '../lib/code-hasher.ts';
import { loadOrCreateDevSecret } from '../lib/dev-secret.ts';
import { cryptoRandom, type RandomSource } from '../lib/random.ts';
import { createOneTimeTokenRepository } from '../repositories/one-time-token-repository.ts';
import { createSigningKeyRepository } from '../repositories/signing-key-repository.ts';
import { createPasswordlessService, type PasswordlessService } from '../services/passwordless-service.ts';
import { createBackgroundTasks, type BackgroundTasks } from '../lib/background-tasks.ts';
import { createAuditEventRepository } from '../repositories/audit-event-repository.ts';
import { createRetentionRepository } from '../repositories/retention-repository.ts';
import { createSmsCounterRepository } from '../repositories/sms-counter-repository.ts';
import { createBufferedAuditLog, type AuditLog } from '../services/audit-log.ts';
import { createAuditedSender } from '../services/audited-sender.ts';
import { createDemoIdentities } from '../services/demo-identities.ts';
import { createRetentionCleanup, type RetentionCleanup } from '../services/retention-cleanup.ts';
import { createSmsPumpingGuard } from '../services/sms-pumping-guard.ts';
import { maskDestination } from '../lib/mask.ts';

/** What tests may replace: time, randomness and the message providers. */
export interface ServiceOverrides {
  clock?: Clock;
  random?: RandomSource;
  emailSender?: MessageSender<EmailMessage>;
  smsSender?: MessageSender<SmsMessage>;
}

export interface Services {
  passwordless: PasswordlessService;
  keys: KeyStore;
  delivery: MessageDispatcher;
  audit: AuditLog;
  /** Work started after replies (the SMS caps check); tests drain it. */
  background: BackgroundTasks;
  cleanup: RetentionCleanup;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export const servicesPlugin = fp(async (app: FastifyInstance, options: { config: Config; overrides?: ServiceOverrides }) => {
  const { config, overrides = {} } = options;
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? cryptoRandom;
  let secrets = config.secrets;
  if (secrets === undefined) {
    secrets = [await loadOrCreateDevSecret(config.dataDir)];
    app.log.warn('SESAME_SECRET is not set: using a development secret stored under DATA_DIR');
  }

  const keys = await loadKeyStore({ keys: createSigningKeyRepository(app.db.prisma), secrets, alg: config.jwtAlg, clock });
  const senders = createSenders(config);
  await senders.check();
  const auditDropped = app.metrics.counter('sesame_audit_events_dropped_total', 'Audit events dropped because the database could not take them in time.');
  const audit = createBufferedAuditLog(
    { writer: createAuditEventRepository(app.db.pool), clock, log: app.log.child({ component: 'audit' }) },
    { onDropped: (count) => auditDropped.inc(undefined, count) },
  );
  const smsBlocked = app.metrics.counter('sesame_sms_blocked_total', 'Code requests answered normally but not sent by the SMS-pumping defences, by reason.');
  const background = createBackgroundTasks(app.log.child({ component: 'background' }));
  const delivery = createBackgroundDelivery({
    email: createAuditedSender('email', overrides.emailSender ?? senders.email, audit),
    sms: createAuditedSender('mobile', overrides.smsSender ?? senders.sms, audit),
    log: app.log.child({ component: 'delivery' }),
  });
  const signer = createAccessTokenSigner({
    key: keys.signingKey,
    clock,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    clientId: config.jwtClientId,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const passwordless = createPasswordlessService({
    tokens: createOneTimeTokenRepository(app.db.pool),
    signer,
    delivery,
    hasher: createCodeHasher(secrets),
    clock,
    random,
    log: app.log.child({ component: 'passwordless' }),
    settings: config,
    audit,
    smsGuard: createSmsPumpingGuard({ counters: createSmsCounterRepository(app.db.pool), clock, settings: config, blocked: smsBlocked }),
    demo: createDemoIdentities(config.demoUsers, clock),
    background,
  });
  const cleanup = createRetentionCleanup({ repository: createRetentionRepository(app.db.pool), clock, log: app.log.child({ component: 'retention' }), settings: config });
  cleanup.start();

  if (config.allowedMethods.includes('mobile') && config.smsAllowedCountries === 'all') {
    app.log.warn('SMS_ALLOWED_COUNTRIES allows every country (no DEFAULT_PHONE_REGION): set it to the countries you serve (S21)');
  }
  for (const user of config.demoUsers) {
    const expired = user.expiresAt !== null && user.expiresAt <= clock.now();
    app.log.warn({ to: maskDestination(user.channel, user.destination), expiresAt: user.expiresAt, expired }, expired ? 'demo identity has expired; it is an ordinary identifier again' : 'demo identity enabled: a fixed code signs it in');
  }

  // Draining delivery includes the SMS caps checks still deciding whether to send.
  const drainAll = async () => {
    await background.drain();
    await delivery.drain();
  };
  app.decorate('services', { passwordless, keys, delivery: { dispatch: delivery.dispatch, drain: drainAll }, audit, background, cleanup });
  // Messages already accepted are sent before the process lets go of its providers; the audit
  // buffer is written before the pool closes.
  app.addHook('onClose', async () => {
    await cleanup.stop();
    await background.drain();
    await delivery.drain();
    await audit.close();
    senders.close();
  });
}, { name: 'services', dependencies: ['database', 'metrics'] });
