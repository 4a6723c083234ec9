/**
 * The composition root: from the configuration and the infrastructure (database, metrics, log)
 * to the services and the workers. It builds and checks; it starts nothing: no timer runs and no
 * message is sent until the workers plugin starts the workers. A new dependency is wired here and
 * nowhere else; no Fastify here.
 */
import type { Config } from './config/index.ts';
import type { Database } from './db/database.ts';
import { createLocaleResolver } from './delivery/locale-negotiation.ts';
import type { EmailMessage, MessageSender, SmsMessage } from './delivery/message-sender.ts';
import { loadMessageTemplates } from './delivery/message-templates.ts';
import { createMessageRenderer } from './delivery/messages.ts';
import { createOutboxDispatcher, type OutboxDispatcher } from './delivery/outbox-dispatcher.ts';
import { CHANNELS, createAdmissionGate } from './delivery/admission-gate.ts';
import { createPayloadSealer } from './delivery/outbox-payload.ts';
import { createSenders } from './delivery/senders.ts';
import { createOutboundHttp, type Resolver } from './delivery/outbound-http.ts';
import { createHookClient } from './delivery/hook-client.ts';
import { createCustomClaimsHook, createSignupGate } from './services/hooks.ts';
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherSettings } from './delivery/webhook-dispatcher.ts';
import { createAccessTokenSigner } from './keys/access-token-signer.ts';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './keys/access-token-verifier.ts';
import { loadKeyStore, type KeyStore } from './keys/key-store.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createCodeHasher } from './lib/code-hasher.ts';
import { loadOrCreateDevSecret } from './lib/dev-secret.ts';
import { maskDestination } from './lib/mask.ts';
import { LATENCY_BUCKETS, type Metrics } from './lib/metrics.ts';
import { cryptoRandom, type RandomSource } from './lib/random.ts';
import { deriveSubkey } from './lib/secret-keys.ts';
import { createWebhookSecretBox } from './lib/webhook-secret-box.ts';
import { createWebhookRepository } from './repositories/webhook-repository.ts';
import { createWebhookAdmin, type WebhookAdmin } from './services/webhook-admin.ts';
import { createWebhookEvents, type WebhookEvents } from './services/webhook-events.ts';
import { createAdminKeyRepository } from './repositories/admin-key-repository.ts';
import { createAdminUserRepository } from './repositories/admin-user-repository.ts';
import { createAuditQueryRepository } from './repositories/audit-query-repository.ts';
import { createAuditEventRepository } from './repositories/audit-event-repository.ts';
import { createTableStatisticsRepository } from './repositories/table-statistics-repository.ts';
import { createTableStatistics } from './services/table-statistics.ts';
import { createClientRepository } from './repositories/client-repository.ts';
import { createDeliveryJobRepository, type DeliveryBacklogReader } from './repositories/delivery-job-repository.ts';
import { createOneTimeTokenRepository } from './repositories/one-time-token-repository.ts';
import { createRetentionRepository } from './repositories/retention-repository.ts';
import { createSessionRepository } from './repositories/session-repository.ts';
import { createSigningKeyRepository } from './repositories/signing-key-repository.ts';
import { createSmsCounterRepository } from './repositories/sms-counter-repository.ts';
import { createAccounts, type Accounts } from './services/accounts-composition.ts';
import { createAdminKeyService, type AdminKeyService } from './services/admin/admin-keys.ts';
import { createAdminAuditService, type AdminAuditService } from './services/admin/admin-audit.ts';
import { createAdminClientService, type AdminClientService } from './services/admin/admin-clients.ts';
import { createAdminUserService, type AdminUserService } from './services/admin/admin-users.ts';
import { createSigningKeyAdmin, type SigningKeyAdmin } from './services/admin/signing-key-admin.ts';
import { createBufferedAuditLog, type AuditLog } from './services/audit-log.ts';
import { createClientRegistry, type ClientDefaults, type ClientRegistry } from './services/client-registry.ts';
import { createDemoIdentities } from './services/demo-identities.ts';
import { createPasswordlessService, type PasswordlessService } from './services/passwordless-service.ts';
import { createRetentionCleanup, type RetentionCleanup } from './services/retention-cleanup.ts';
import { createSessionService, type SessionService } from './services/session-service.ts';
import { createSmsPumpingGuard } from './services/sms-pumping-guard.ts';
import type { Logger } from './services/types.ts';
import { createClientReloadWorker } from './workers/client-reload.ts';
import { createKeyMaintenanceWorker } from './workers/key-maintenance.ts';
import { createRetentionWorker } from './workers/retention.ts';
import { createSessionPurgeWorker } from './workers/session-purge.ts';
import { createTableStatisticsWorker } from './workers/table-statistics.ts';
import type { Worker } from './workers/worker.ts';

/** What the composition is built on; the app's plugins provide it. */
export interface Infrastructure {
  db: Database;
  metrics: Pick<Metrics, 'counter' | 'histogram' | 'gauge'>;
  log: Logger & { child(bindings: Record<string, unknown>): Logger };
}

/** Parts an embedder or a test may supply instead of the defaults: time, randomness, the message providers. */
export interface Substitutes {
  clock?: Clock;
  random?: RandomSource;
  emailSender?: MessageSender<EmailMessage>;
  smsSender?: MessageSender<SmsMessage>;
  /** Host name resolution for outbound calls (tests point a name at a chosen address). */
  resolve?: Resolver;
  /** Webhook dispatcher timings (tests shorten them). */
  webhookDispatcher?: Partial<WebhookDispatcherSettings>;
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
  /** Webhook events: `record(tx, event)` inside a transaction, `emit(event)` after a reply. */
  events: WebhookEvents;
  webhooks: WebhookAdmin;
  webhookDelivery: WebhookDispatcher;
  /** Admin API keys: the admin listener authenticates with it (S41). */
  adminKeys: AdminKeyService;
  /** The admin API's signing-key list and rotation. */
  signingKeyAdmin: SigningKeyAdmin;
  /** The admin API's users, their sessions, erasure and sign-in links. */
  adminUsers: AdminUserService;
  /** The admin API's reading of the audit log. */
  adminAudit: AdminAuditService;
  /** Clients (applications), in memory; also what the CLI and the admin API manage. */
  clients: ClientRegistry;
  /** The admin API's clients: the registry's operations, audited. */
  adminClients: AdminClientService;
}

export interface Composition {
  services: Services;
  /** Built, not started; in start order. */
  workers: Worker[];
  /** After the workers have stopped: writes the audit buffer and closes the providers. */
  close(): Promise<void>;
}

/** Builds everything the app serves with. Throws on a configuration found wrong here (templates, AWS region). */
export async function compose(config: Config, infrastructure: Infrastructure, substitutes: Substitutes = {}): Promise<Composition> {
  const { db, metrics, log } = infrastructure;
  // Templates are parsed first, so a broken TEMPLATES_DIR stops the start before anything else
  // is opened, rather than failing a send later.
  const templates = loadMessageTemplates({ dir: config.templatesDir, defaultLocale: config.defaultLocale });
  const clock = substitutes.clock ?? systemClock;
  const random = substitutes.random ?? cryptoRandom;
  let secrets = config.secrets;
  if (secrets === undefined) {
    secrets = [await loadOrCreateDevSecret(config.dataDir)];
    log.warn({}, 'SESAME_SECRET is not set: using a development secret stored under DATA_DIR');
  }

  const signingKeyRepository = createSigningKeyRepository(db.pool);
  const keys = await loadKeyStore({
    keys: signingKeyRepository,
    secrets,
    alg: config.jwtAlg,
    clock,
    policy: config,
    log: log.child({ component: 'keys' }),
    operatorKey: config.operatorKey,
  });
  const senders = await createSenders(config);
  await senders.check();
  const auditDropped = metrics.counter('sesame_audit_events_dropped_total', 'Audit events dropped because the database could not take them in time.');
  const audit = createBufferedAuditLog(
    { writer: createAuditEventRepository(db.pool), clock, log: log.child({ component: 'audit' }) },
    { onDropped: (count) => auditDropped.inc(undefined, count) },
  );
  const smsBlocked = metrics.counter('sesame_sms_blocked_total', 'Code requests answered normally but not sent by the SMS-pumping defences, by reason.');
  const smsGuard = createSmsPumpingGuard({
    counters: createSmsCounterRepository(db.pool),
    clock,
    settings: config,
    blocked: smsBlocked,
    crossed: metrics.counter('sesame_sms_cap_reached_total', 'SMS blocked because a cap, its part open to new numbers, or one requester\'s or account\'s share of it was used up, by cap and scope; alert on it.'),
    log: log.child({ component: 'sms-caps' }),
  });
  const sealer = createPayloadSealer(secrets);
  const deliveryJobs = createDeliveryJobRepository(db.pool);
  // Admission control (issue 9, S48): every replica reads the shared outbox once a second.
  const admission = createAdmissionGate({
    backlog: (cap, since) => deliveryJobs.backlog(cap, since),
    clock,
    log: log.child({ component: 'admission' }),
    refused: metrics.counter('sesame_code_requests_overloaded_total', 'Code requests refused with 503 overloaded because delivery was behind.'),
    settings: config,
  });
  metrics.gauge('sesame_delivery_projected_wait_seconds', 'Admission control\'s last projection of how long a code of the channel accepted now would wait for its send (the channel\'s pending jobs over the rate the outbox empties them at; 0 below 50 pending jobs, +Inf while none leaves it). Code requests of the channel are refused above half of DELIVERY_MAX_LAG_SECONDS (a stall is left to the age rule).', {
    labelNames: ['channel'],
    read: () => CHANNELS.map((channel) => ({ labels: { channel }, value: admission.projectedWaitSeconds(channel) })),
  });
  // Webhooks (S42): one outbound client for every configured URL; deliveries are an outbox of
  // their own, sent by their own dispatcher.
  const outbound = createOutboundHttp({ allowPrivateNetworks: config.webhookAllowPrivateNetworks, ...(substitutes.resolve ? { resolve: substitutes.resolve } : {}) });
  const webhookRepository = createWebhookRepository(db.pool);
  const webhookSecrets = createWebhookSecretBox(secrets);
  const webhookAttempts = metrics.counter('sesame_webhook_attempts_total', 'Webhook delivery attempts, by outcome (delivered, retry, failed).', ['outcome']);
  const webhookDelivery = createWebhookDispatcher({
    repository: webhookRepository,
    http: outbound,
    secrets: webhookSecrets,
    clock,
    random,
    log: log.child({ component: 'webhooks' }),
    attempted: (outcome) => webhookAttempts.inc({ outcome }),
    ...(substitutes.webhookDispatcher ? { settings: substitutes.webhookDispatcher } : {}),
  });
  const eventsLost = metrics.counter('sesame_webhook_events_lost_total', 'Webhook events that could not be recorded (database unreachable after the reply).');
  const events = createWebhookEvents({
    repository: webhookRepository,
    pool: db.pool,
    clock,
    log: log.child({ component: 'webhooks' }),
    wake: () => webhookDelivery.wake(),
    onLost: () => eventsLost.inc(),
  });
  const webhooks = createWebhookAdmin({
    repository: webhookRepository,
    secrets: webhookSecrets,
    policy: { allowPrivateNetworks: config.webhookAllowPrivateNetworks },
    clock,
    audit,
    wake: () => webhookDelivery.wake(),
    changed: () => events.invalidate(),
  });
  const delivery = createOutboxDispatcher({
    jobs: deliveryJobs,
    sealer,
    renderer: createMessageRenderer({ templates, appName: config.appName, smsOrigin: config.smsOrigin }),
    email: substitutes.emailSender ?? senders.email,
    sms: substitutes.smsSender ?? senders.sms,
    clock,
    random,
    log: log.child({ component: 'delivery' }),
    audit,
    smsCaps: smsGuard,
    events,
    latency: metrics.histogram('sesame_delivery_latency_seconds', 'From the code request to the provider accepting the message (outcome delivered), or to the job ending otherwise, by channel, provider and outcome.', {
      labelNames: ['channel', 'provider', 'outcome'],
      buckets: LATENCY_BUCKETS,
    }),
    settings: {
      pollIntervalMs: config.deliveryPollIntervalMs,
      maxConcurrency: config.deliveryMaxConcurrency,
      leaseSeconds: config.deliveryLeaseSeconds,
      sendTimeoutMs: config.deliverySendTimeoutMs,
      retryBaseMs: config.deliveryRetryBaseMs,
      retryMaxMs: config.deliveryRetryMaxMs,
    },
  });
  observeBacklogAndKeys(metrics, { backlog: (cap) => deliveryJobs.backlog(cap), keys, clock });
  // Loaded before the first request: an unknown client_id must never pass for the default one.
  const clients = createClientRegistry({ repository: createClientRepository(db.pool), defaults: clientDefaults(config), clock, log: log.child({ component: 'clients' }) });
  await clients.reload();
  // The synchronous hooks (S43): signed with HOOK_SECRET, bounded by HOOK_TIMEOUT_MS, counted
  // and logged without bodies when they fail.
  const hookFailures = metrics.counter('sesame_hook_failures_total', 'Synchronous hook calls that timed out, failed or answered malformed JSON, by hook and reason.', ['hook', 'reason']);
  const hookClient = config.hookSecret === undefined ? undefined : createHookClient({
    http: outbound,
    secret: config.hookSecret,
    timeoutMs: config.hookTimeoutMs,
    log: log.child({ component: 'hooks' }),
    failed: (hook, reason) => hookFailures.inc({ hook, reason }),
  });
  const customClaims = hookClient && config.hookCustomClaimsUrl !== undefined
    ? createCustomClaimsHook({ client: hookClient, url: config.hookCustomClaimsUrl, onFailure: config.hookCustomClaimsOnFailure })
    : undefined;
  const signup = createSignupGate({
    allowedEmailDomains: config.signupAllowedEmailDomains,
    ...(hookClient && config.hookBeforeUserCreatedUrl !== undefined
      ? { hook: { client: hookClient, url: config.hookBeforeUserCreatedUrl, onFailure: config.hookBeforeUserCreatedOnFailure } }
      : {}),
  });
  const signer = createAccessTokenSigner({
    keys,
    clock,
    issuer: config.jwtIssuer,
    defaultClient: () => clients.defaultClient(),
    ...(customClaims ? { customClaims } : {}),
  });
  const oneTimeTokens = createOneTimeTokenRepository(db.pool);
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
    log: log.child({ component: 'passwordless' }),
    settings: config,
    audit,
    smsGuard,
    demo: createDemoIdentities(config.demoUsers, clock),
    admission,
    events,
    signup,
  });
  const sessions = createSessionService({
    sessions: createSessionRepository(db.pool),
    signer,
    refreshKey: deriveSubkey(secrets[0]!, 'refresh-token'),
    clock,
    log: log.child({ component: 'sessions' }),
    audit,
    settings: config,
    events,
  });
  const accessTokens = createAccessTokenVerifier({
    keys,
    clock,
    issuer: config.jwtIssuer,
    audiences: () => clients.audiences(),
    maxTokenAgeSeconds: () => clients.maxAccessTokenTtlSeconds(),
  });
  // Identifiers and passkeys on a signed-in account.
  const { accounts, passkeys } = createAccounts({ db, tokens: oneTimeTokens, sessions, signer, delivery, sealer, locales, hasher, clock, random, audit, smsGuard, config, events, log: log.child({ component: 'accounts' }) });
  const cleanup = createRetentionCleanup({ repository: createRetentionRepository(db.pool), clock, log: log.child({ component: 'retention' }), settings: config });

  const adminKeys = createAdminKeyService({ keys: createAdminKeyRepository(db.prisma), clock, random });
  const signingKeyAdmin = createSigningKeyAdmin({ keys, repository: signingKeyRepository, audit, operatorManaged: config.operatorKey !== undefined });
  const adminUsers = createAdminUserService({
    users: createAdminUserRepository(db.prisma), passwordless, clients, hasher, audit, clock, random, log: log.child({ component: 'admin' }), settings: config, events,
  });
  const adminClients = createAdminClientService({ clients, audit });
  const adminAudit = createAdminAuditService({ events: createAuditQueryRepository(db.prisma), audit });

  const workers: Worker[] = [
    // An operator-managed key is never rotated: nothing to maintain.
    ...(config.operatorKey === undefined ? [createKeyMaintenanceWorker({ keys, intervalSeconds: config.keyReloadIntervalSeconds, log: log.child({ component: 'keys' }) })] : []),
    createClientReloadWorker({ clients, intervalSeconds: config.clientReloadIntervalSeconds, log: log.child({ component: 'clients' }) }),
    createSessionPurgeWorker({ sessions, log }),
    createTableStatisticsWorker({
      statistics: createTableStatistics({ repository: createTableStatisticsRepository(db.pool), log: log.child({ component: 'statistics' }) }),
      intervalSeconds: config.databaseStatisticsIntervalSeconds,
      log: log.child({ component: 'statistics' }),
    }),
    createRetentionWorker({ cleanup, intervalSeconds: config.cleanupIntervalSeconds, log: log.child({ component: 'retention' }) }),
    admission,
    delivery,
    webhookDelivery,
  ];

  warnAboutRiskySettings(config, clock, log);
  return {
    services: { passwordless, keys, delivery, sessions, accessTokens, audit, cleanup, accounts, passkeys, adminKeys, signingKeyAdmin, adminUsers, adminAudit, adminClients, clients, events, webhooks, webhookDelivery },
    workers,
    async close() {
      await audit.close();
      senders.close();
    },
  };
}

/** What the environment gives the clients: the default client whole, the others their fallbacks. */
export function clientDefaults(config: Config): ClientDefaults {
  return {
    defaultClientId: config.defaultClientId,
    allowedOrigins: config.allowedOrigins,
    jwtIssuer: config.jwtIssuer,
    appName: config.appName,
    emailLoginUrl: config.emailLoginUrl,
    allowedMethods: config.allowedMethods,
    jwtAudience: config.jwtAudience,
    jwtClientId: config.jwtClientId,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  };
}

/** Settings that are allowed but deserve a line in the log at every start. */
function warnAboutRiskySettings(config: Config, clock: Clock, log: Logger): void {
  if (config.allowedMethods.includes('mobile') && config.smsAllowedCountries === 'all') {
    log.warn({}, 'SMS_ALLOWED_COUNTRIES allows every country (no DEFAULT_PHONE_REGION): set it to the countries you serve (S21)');
  }
  for (const user of config.demoUsers) {
    const expired = user.expiresAt !== null && user.expiresAt <= clock.now();
    log.warn({ to: maskDestination(user.channel, user.destination), expiresAt: user.expiresAt, expired }, expired ? 'demo identity has expired; it is an ordinary identifier again' : 'demo identity enabled: a fixed code signs it in');
  }
}

/** Pending jobs are counted up to this many per scrape, so the reading stays one cheap statement. */
const OUTBOX_GAUGE_CAP = 1_000_000;

/** Gauges read at scrape time: the outbox's depth and oldest pending job, and the signing key's age. */
function observeBacklogAndKeys(
  metrics: Pick<Metrics, 'gauge'>,
  deps: { backlog: DeliveryBacklogReader['backlog']; keys: Pick<KeyStore, 'signingKey'>; clock: Clock },
): void {
  // Both outbox gauges come from one statement per scrape.
  let reading: { at: number; backlog: ReturnType<DeliveryBacklogReader['backlog']> } | undefined;
  const backlog = () => {
    if (reading === undefined || performance.now() - reading.at > 1_000) reading = { at: performance.now(), backlog: deps.backlog(OUTBOX_GAUGE_CAP) };
    return reading.backlog;
  };
  metrics.gauge('sesame_outbox_pending_jobs', `Delivery jobs waiting to be sent (counted up to ${OUTBOX_GAUGE_CAP}).`, {
    read: async () => [{ value: (await backlog()).pending }],
  });
  metrics.gauge('sesame_outbox_oldest_pending_age_seconds', 'Age of the oldest pending delivery job by the database clock; 0 when none is pending.', {
    read: async () => [{ value: (await backlog()).databaseLagSeconds }],
  });
  metrics.gauge('sesame_signing_key_age_seconds', 'Age of the key that signs access tokens now, by algorithm (absent for an operator key).', {
    labelNames: ['alg'],
    read: () => {
      const key = deps.keys.signingKey();
      return key.createdAt === undefined ? [] : [{ labels: { alg: key.alg }, value: Math.max(0, deps.clock.now().getTime() - key.createdAt.getTime()) / 1000 }];
    },
  });
}
