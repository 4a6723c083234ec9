/**
 * The composition root: builds repositories, senders, the key store and the services once, and
 * decorates the app with them. A new dependency is wired here and nowhere else.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { createLocaleResolver } from '../delivery/locale-negotiation.ts';
import type { EmailMessage, MessageSender, SmsMessage } from '../delivery/message-sender.ts';
import { loadMessageTemplates } from '../delivery/message-templates.ts';
import { createMessageRenderer } from '../delivery/messages.ts';
import { createOutboxDispatcher, type OutboxDispatcher } from '../delivery/outbox-dispatcher.ts';
import { createPayloadSealer } from '../delivery/outbox-payload.ts';
import { createSenders } from '../delivery/senders.ts';
import { createAccessTokenSigner } from '../keys/access-token-signer.ts';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../keys/access-token-verifier.ts';
import { loadKeyStore, type KeyStore } from '../keys/key-store.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { createCodeHasher } from '../lib/code-hasher.ts';
import { loadOrCreateDevSecret } from '../lib/dev-secret.ts';
import { cryptoRandom, type RandomSource } from '../lib/random.ts';
import { deriveSubkey } from '../lib/secret-keys.ts';
import { createDeliveryJobRepository } from '../repositories/delivery-job-repository.ts';
import { createOneTimeTokenRepository } from '../repositories/one-time-token-repository.ts';
import { createSessionRepository } from '../repositories/session-repository.ts';
import { createSigningKeyRepository } from '../repositories/signing-key-repository.ts';
import { createPasswordlessService, type PasswordlessService } from '../services/passwordless-service.ts';
import { createSessionService, type SessionService } from '../services/session-service.ts';
import { createAuditEventRepository } from '../repositories/audit-event-repository.ts';
import { createRetentionRepository } from '../repositories/retention-repository.ts';
import { createSmsCounterRepository } from '../repositories/sms-counter-repository.ts';
import { createBufferedAuditLog, type AuditLog } from '../services/audit-log.ts';
import { createDemoIdentities } from '../services/demo-identities.ts';
import { createRetentionCleanup, type RetentionCleanup } from '../services/retention-cleanup.ts';
import { createSmsPumpingGuard } from '../services/sms-pumping-guard.ts';
import { maskDestination } from '../lib/mask.ts';
import { createAccounts, type Accounts } from '../services/accounts-composition.ts';

const SESSION_CLEANUP_INTERVAL_MS = 10 * 60 * 1000;

/** What tests may replace: time, randomness and the message providers. */
export interface ServiceOverrides {
  clock?: Clock;
  random?: RandomSource;
  emailSender?: MessageSender<EmailMessage>;
  smsSender?: MessageSender<SmsMessage>;
  /** Builds the app without starting its outbox dispatcher (a process that dies before sending). */
  disableDispatcher?: boolean;
}

export interface Services {
  passwordless: PasswordlessService;
  keys: KeyStore;
  delivery: OutboxDispatcher;
  sessions: SessionService;
  accessTokens: AccessTokenVerifier;
  audit: AuditLog;
  cleanup: RetentionCleanup;
  accounts: Accounts['accounts'];
  passkeys: Accounts['passkeys'];
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export const servicesPlugin = fp(async (app: FastifyInstance, options: { config: Config; overrides?: ServiceOverrides }) => {
  const { config, overrides = {} } = options;
  // Templates are parsed first, so a broken TEMPLATES_DIR stops the start before anything else
  // is opened, rather than failing a send later.
  const templates = loadMessageTemplates({ dir: config.templatesDir, defaultLocale: config.defaultLocale });
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? cryptoRandom;
  let secrets = config.secrets;
  if (secrets === undefined) {
    secrets = [await loadOrCreateDevSecret(config.dataDir)];
    app.log.warn('SESAME_SECRET is not set: using a development secret stored under DATA_DIR');
  }

  const keys = await loadKeyStore({
    keys: createSigningKeyRepository(app.db.prisma),
    secrets,
    alg: config.jwtAlg,
    clock,
    policy: config,
    log: app.log.child({ component: 'keys' }),
    operatorKey: config.operatorKey,
  });
  // Every replica reloads the key set and runs the lifecycle step; the lock makes one act.
  keys.startSchedule(config.keyReloadIntervalSeconds);
  const senders = createSenders(config);
  await senders.check();
  const auditDropped = app.metrics.counter('sesame_audit_events_dropped_total', 'Audit events dropped because the database could not take them in time.');
  const audit = createBufferedAuditLog(
    { writer: createAuditEventRepository(app.db.pool), clock, log: app.log.child({ component: 'audit' }) },
    { onDropped: (count) => auditDropped.inc(undefined, count) },
  );
  const smsBlocked = app.metrics.counter('sesame_sms_blocked_total', 'Code requests answered normally but not sent by the SMS-pumping defences, by reason.');
  const smsGuard = createSmsPumpingGuard({ counters: createSmsCounterRepository(app.db.pool), clock, settings: config, blocked: smsBlocked });
  const sealer = createPayloadSealer(secrets);
  const delivery = createOutboxDispatcher({
    jobs: createDeliveryJobRepository(app.db.pool),
    sealer,
    renderer: createMessageRenderer({ templates, appName: config.appName, smsOrigin: config.smsOrigin }),
    email: overrides.emailSender ?? senders.email,
    sms: overrides.smsSender ?? senders.sms,
    clock,
    random,
    log: app.log.child({ component: 'delivery' }),
    audit,
    smsCaps: smsGuard,
    settings: {
      pollIntervalMs: config.deliveryPollIntervalMs,
      maxConcurrency: config.deliveryMaxConcurrency,
      leaseSeconds: config.deliveryLeaseSeconds,
      sendTimeoutMs: config.deliverySendTimeoutMs,
      retryBaseMs: config.deliveryRetryBaseMs,
      retryMaxMs: config.deliveryRetryMaxMs,
    },
  });
  const signer = createAccessTokenSigner({
    keys,
    clock,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    clientId: config.jwtClientId,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const oneTimeTokens = createOneTimeTokenRepository(app.db.pool);
  const hasher = createCodeHasher(secrets);
  const locales = createLocaleResolver(templates.locales, templates.defaultLocale);
  const passwordless = createPasswordlessService({
    tokens: oneTimeTokens,
    signer,
    delivery,
    sealer,
    locales,
    hasher,
    clock,
    random,
    log: app.log.child({ component: 'passwordless' }),
    settings: config,
    audit,
    smsGuard,
    demo: createDemoIdentities(config.demoUsers, clock),
  });

  const sessions = createSessionService({
    sessions: createSessionRepository(app.db.pool),
    signer,
    refreshKey: deriveSubkey(secrets[0]!, 'refresh-token'),
    clock,
    log: app.log.child({ component: 'sessions' }),
    audit,
    settings: config,
  });
  const accessTokens = createAccessTokenVerifier({
    keys,
    clock,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    maxTokenAgeSeconds: config.accessTokenTtlSeconds,
  });

  // Identifiers and passkeys on a signed-in account.
  const { accounts, passkeys } = createAccounts({ db: app.db, tokens: oneTimeTokens, sessions, signer, delivery, sealer, locales, hasher, clock, random, audit, smsGuard, config, log: app.log.child({ component: 'accounts' }) });

  // Expired sessions and their refresh tokens are deleted in the background, by every replica.
  const sessionCleanup = setInterval(() => {
    sessions.purgeExpired().catch((error: unknown) => {
      app.log.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'session cleanup failed');
    });
  }, SESSION_CLEANUP_INTERVAL_MS);
  sessionCleanup.unref();

  const cleanup = createRetentionCleanup({ repository: createRetentionRepository(app.db.pool), clock, log: app.log.child({ component: 'retention' }), settings: config });
  cleanup.start();

  if (config.allowedMethods.includes('mobile') && config.smsAllowedCountries === 'all') {
    app.log.warn('SMS_ALLOWED_COUNTRIES allows every country (no DEFAULT_PHONE_REGION): set it to the countries you serve (S21)');
  }
  for (const user of config.demoUsers) {
    const expired = user.expiresAt !== null && user.expiresAt <= clock.now();
    app.log.warn({ to: maskDestination(user.channel, user.destination), expiresAt: user.expiresAt, expired }, expired ? 'demo identity has expired; it is an ordinary identifier again' : 'demo identity enabled: a fixed code signs it in');
  }

  app.decorate('services', { passwordless, keys, delivery, sessions, accessTokens, audit, cleanup, accounts, passkeys });
  if (!overrides.disableDispatcher) app.addHook('onReady', async () => delivery.start());
  // Sends in flight finish and record their outcome before the pool and providers close; jobs
  // not yet claimed stay in the outbox for the next dispatcher.
  // The audit buffer is written before the pool closes.
  app.addHook('onClose', async () => {
    keys.close();
    clearInterval(sessionCleanup);
    await cleanup.stop();
    await delivery.stop();
    await audit.close();
    senders.close();
  });
}, { name: 'services', dependencies: ['database', 'metrics'] });
