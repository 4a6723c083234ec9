/**
 * The sign-in rules: ask for a code, exchange it for an access token. No HTTP and no SQL here;
 * the repository makes each state change atomic and this service decides what to ask of it.
 */
import type { Config } from '../config/index.ts';
import { AppError } from '../errors.ts';
import { normalizeEmail, normalizePhone } from '../lib/identifiers.ts';
import { maskDestination } from '../lib/mask.ts';
import { randomString } from '../lib/random.ts';
import { sourceNetwork } from '../lib/source-network.ts';
import { newRefreshToken } from '../lib/refresh-tokens.ts';
import { secretsEqual } from '../lib/secret-keys.ts';
import { magicLink } from '../delivery/messages.ts';
import type { AccessTokenSigner } from '../keys/access-token-signer.ts';
import type { AdmissionGate } from '../delivery/admission-gate.ts';
import type { GuessBudget, NewSession, OneTimeTokenRepository, SignedInUser } from '../repositories/one-time-token-repository.ts';
import type { Channel, IssuedTokens, Logger, RequestContext } from './types.ts';
import type { Client } from './client-registry.ts';
import type { AuditLog } from './audit-log.ts';
import type { DemoIdentities } from './demo-identities.ts';
import type { SmsPumpingGuard } from './sms-pumping-guard.ts';
import type { CodeSendingDeps } from './code-sending.ts';
import { userEventData, type WebhookEvents } from './webhook-events.ts';
import type { SignupGate } from './hooks.ts';

/** The settings the sign-in rules read; the names are the configuration's. */
export type PasswordlessSettings = Pick<Config,
  | 'allowedMethods' | 'shortTokenLength' | 'shortTokenChars' | 'longTokenLength' | 'longTokenChars'
  | 'tokenLifetimeSeconds' | 'maxTokenUses' | 'maxTokenAttempts' | 'maxDestinationFailures' | 'maxDestinationFailuresPerDay'
  | 'tokenRequestThrottleSeconds' | 'allowAdminAuthentication' | 'registerNonexistentUsers'
  | 'incorrectShortTokenRedeemsToken' | 'defaultPhoneRegion' | 'defaultClientId'>;

/**
 * Every operation runs for a client (application): its methods, login URL, name and sender
 * address go into the code's message, and a code is exchanged only under the client it was
 * requested under; the session it opens is that client's, with its lifetimes and audience.
 */
export interface PasswordlessService {
  /** Sends a code to the identifier when it may sign in; answers the same either way (S17). */
  requestCode(channel: Channel, identifier: string, context: RequestContext, client: Client): Promise<void>;
  /** Exchanges a code (or magic-link token) bound to the identifier for an access token. */
  exchange(channel: Channel, identifier: string, token: string, context: RequestContext, client: Client): Promise<IssuedTokens>;
  /** Exchanges a magic-link token on its own. */
  exchangeStandalone(token: string, context: RequestContext, client: Client): Promise<IssuedTokens>;
}

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
/** One source network may use this share of a destination's daily guess ceiling. */
const NETWORK_SHARE_OF_DAILY_CEILING = 1 / 3;
const INVALID_IDENTIFIER = { email: 'invalid_email', mobile: 'invalid_phone_number' } as const;

export function createPasswordlessService(deps: CodeSendingDeps & {
  tokens: OneTimeTokenRepository;
  signer: AccessTokenSigner;
  log: Logger;
  settings: PasswordlessSettings;
  audit: AuditLog;
  /** Only the country allowlist is checked here; the caps are counted by the dispatcher before it sends. */
  smsGuard: Pick<SmsPumpingGuard, 'screenCountry'>;
  demo: DemoIdentities;
  /** Admission control: refuses new codes while delivery is too far behind (issue 9). */
  admission: Pick<AdmissionGate, 'admit' | 'retryAfterSeconds'>;
  /** Webhook events, written after the reply. */
  events?: Pick<WebhookEvents, 'emit'>;
  /** Whether an unknown identifier may register (email domains, the before-user-created hook). */
  signup?: SignupGate;
}): PasswordlessService {
  const { tokens, signer, delivery, sealer, locales, hasher, clock, random, log, settings, audit, smsGuard, demo, admission } = deps;
  const shortShape = shapeOf(settings.shortTokenChars, settings.shortTokenLength);
  const longShape = shapeOf(settings.longTokenChars, settings.longTokenLength);

  /**
   * The wrong guesses a destination may take, over sliding windows of one-minute buckets. The
   * daily ones count from 24 hours before the current minute began, so every span of 24 hours
   * is covered and none sees more than the ceiling (docs/security.md has the arithmetic); the
   * hourly one forgets a guess up to a minute early, which only the ceiling needs to be exact about.
   */
  function guessBudget(minuteStart: Date): GuessBudget {
    return {
      perNetworkPerHour: settings.maxDestinationFailures,
      perNetworkPerDay: Math.max(1, Math.floor(settings.maxDestinationFailuresPerDay * NETWORK_SHARE_OF_DAILY_CEILING)),
      perDay: settings.maxDestinationFailuresPerDay,
      hourWindowStart: new Date(minuteStart.getTime() - HOUR_MS + MINUTE_MS),
      dayWindowStart: new Date(minuteStart.getTime() - 24 * HOUR_MS),
    };
  }

  function normalize(channel: Channel, identifier: string): string | undefined {
    return channel === 'email' ? normalizeEmail(identifier) : normalizePhone(identifier, settings.defaultPhoneRegion);
  }

  /** The session a successful exchange opens, and the refresh token only the client will see. */
  function newSession(now: Date, context: RequestContext, client: Client): { session: NewSession; refreshToken: string } {
    const refresh = newRefreshToken(random);
    const expiresAt = new Date(now.getTime() + client.refreshTokenTtlSeconds * 1000);
    return { session: { expiresAt, ip: context.ip, userAgent: context.userAgent, refreshHash: refresh.hash, clientId: client.clientId }, refreshToken: refresh.token };
  }

  async function tokensFor(user: SignedInUser, refreshToken: string, session: NewSession, client: Client, now: Date): Promise<IssuedTokens> {
    // The session row holds the same time and methods, so refreshes carry them on.
    const access = await signer.issue(user, user.sessionId, { authTime: now, amr: user.amr }, client);
    return { ...access, refresh_token: refreshToken, refreshTokenExpiresIn: client.refreshTokenTtlSeconds };
  }

  /** Which client's codes an exchange may spend (rows from before clients belong to the default one). */
  function clientBinding(client: Client): { clientId: string; defaultClientId: string } {
    return { clientId: client.clientId, defaultClientId: settings.defaultClientId };
  }

  /** Every exchange failure looks the same to the caller (S18). */
  function invalidToken(): AppError {
    return new AppError('invalid_token');
  }

  return {
    async requestCode(channel, identifier, context, client) {
      if (!client.allowedMethods.includes(channel)) throw new AppError('method_not_allowed');
      const destination = normalize(channel, identifier);
      if (destination === undefined) throw new AppError(INVALID_IDENTIFIER[channel]);
      // Delivery is behind: refuse before anything is stored or sent, whoever asks (S17). The
      // verdict is in memory; counting and logging the refusal is the gate's.
      if (!admission.admit(channel)) throw new AppError('overloaded', { headers: { 'retry-after': String(admission.retryAfterSeconds(channel)) } });
      const to = { channel, destination };
      const masked = maskDestination(channel, destination);
      const demoUser = demo.find(channel, destination);

      // S21: a country off the allowlist is answered like an accepted request, throttle included;
      // nothing is registered, stored or sent.
      const screened = channel === 'mobile' && demoUser === undefined ? smsGuard.screenCountry(destination) : { allowed: true as const };
      const blocked = !screened.allowed;

      // Codes are drawn, hashed and sealed for known and unknown identifiers alike, so the work
      // done before the database answers does not depend on whether the account exists (S17).
      // A demo identity's fixed code goes through the same storage and guess limits.
      const code = demoUser?.code ?? randomString(random, settings.shortTokenChars, settings.shortTokenLength);
      const longToken = channel === 'email' && client.loginUrl !== undefined && demoUser === undefined
        ? randomString(random, settings.longTokenChars, settings.longTokenLength)
        : undefined;
      // What the dispatcher needs to send, sealed (S8); written with the token in one statement.
      // A demo identity's code is never sent, so it gets no delivery job.
      const link = longToken === undefined ? undefined : magicLink(client.loginUrl!, longToken);
      const locale = locales.resolve(context.locale, context.acceptLanguage);
      // Registration on: SIGNUP_ALLOWED_EMAIL_DOMAINS and the before-user-created hook are asked
      // for every identifier, known or not, so the hook's latency cannot tell whether an account
      // exists (S17); only an unknown identifier's registration depends on the answer, and a
      // refusal looks exactly like registration being off. A failing hook under `deny` answers
      // 503 hook_unavailable before anything is stored or sent (S43).
      const mayRegister = settings.registerNonexistentUsers && !blocked && demoUser === undefined
        ? await (deps.signup?.mayRegister(channel, destination, client.clientId) ?? Promise.resolve(true))
        : false;
      const deliveryPayload = demoUser === undefined && !blocked ? sealer.seal({ channel, to: destination, code, link, locale, appName: client.name, from: client.emailFrom, clientId: client.clientId }) : null;
      const now = clock.now();
      const result = await tokens.issue({
        channel,
        destination,
        throttleKey: hasher.throttleKey(channel, destination),
        throttleSeconds: settings.tokenRequestThrottleSeconds,
        now,
        expiresAt: new Date(now.getTime() + settings.tokenLifetimeSeconds * 1000),
        shortHash: hasher.short(channel, destination, code),
        longHash: longToken === undefined ? null : hasher.long(longToken),
        maxUses: settings.maxTokenUses,
        maxAttempts: settings.maxTokenAttempts,
        // A demo identity's user is created on its first request.
        registerUnknown: !blocked && (mayRegister || demoUser !== undefined),
        allowAdmin: settings.allowAdminAuthentication,
        deliveryPayload,
        maskedDestination: masked,
        clientIp: context.ip,
        blocked,
        clientId: client.clientId,
      });

      if (result.outcome === 'throttled') {
        const elapsed = result.previousRequestAt ? (now.getTime() - result.previousRequestAt.getTime()) / 1000 : 0;
        const retryAfter = Math.max(1, Math.ceil(settings.tokenRequestThrottleSeconds - elapsed));
        log.info({ channel, to: masked }, 'code request throttled');
        audit.record({ event: 'code.requested', outcome: 'throttled', to, context });
        throw new AppError('throttled', { headers: { 'retry-after': String(retryAfter) } });
      }
      if (!screened.allowed) {
        audit.record({ event: 'code.blocked', outcome: 'blocked', to, context, reason: screened.reason });
        deps.events?.emit({ type: 'code.blocked', data: { user_id: result.userId, channel, destination: masked, reason: screened.reason } });
        log.info({ channel, to: masked, reason: screened.reason }, 'code request blocked; nothing sent');
        return;
      }
      if (result.userId === null) {
        log.info({ channel, to: masked }, 'code request for an identifier that may not sign in; nothing sent');
        audit.record({ event: 'code.requested', outcome: 'ignored', to, context });
        return;
      }
      const userId = result.userId;
      if (demoUser !== undefined) {
        log.info({ channel, to: masked, userId }, 'demo code issued; nothing sent');
        audit.record({ event: 'code.requested', outcome: 'issued', userId, to, context, reason: 'demo' });
        return;
      }
      log.info({ channel, to: masked, userId, registered: result.created, deliveryJobId: result.deliveryJobId, locale }, 'code issued');
      audit.record({ event: 'code.requested', outcome: 'issued', userId, to, context, ...(result.created ? { reason: 'registered' } : {}) });
      if (result.created) {
        deps.events?.emit({ type: 'user.created', data: userEventData({ id: userId, email: channel === 'email' ? destination : null, phoneNumber: channel === 'mobile' ? destination : null }) });
      }
      // The statement has committed: the local dispatcher sends it now, without holding the reply.
      if (result.deliveryJobId !== null) delivery.wake();
    },

    async exchange(channel, identifier, token, context, client) {
      const failed = (reason: string, extra: { to?: { channel: Channel; destination: string }; userId?: string } = {}): AppError => {
        audit.record({ event: 'sign_in.failed', outcome: 'failed', context, reason, ...extra });
        return invalidToken();
      };
      if (!client.allowedMethods.includes(channel)) throw failed('method_not_allowed');
      const destination = normalize(channel, identifier);
      const presented = token.trim();
      const asShort = shortShape.normalize(presented);
      const asLong = longShape.normalize(presented);
      if (destination === undefined) throw failed('malformed');
      const to = { channel, destination };
      if (asShort === undefined && asLong === undefined) throw failed('malformed', { to });

      const now = clock.now();
      // The guess is booked to the requester's network (S38) in one-minute windows.
      const minuteStart = new Date(now.getTime() - (now.getTime() % MINUTE_MS));
      const guess = { network: sourceNetwork(context.ip), windowStart: minuteStart };
      // The guess is counted before we compare (S5); a null means no live token with attempts left.
      const claimed = await tokens.claimAttempt({ channel, destination, now, guess, budget: guessBudget(minuteStart) });
      // No live token, or its guesses or the destination's failure budgets are used up.
      if (claimed === null) throw failed('no_live_token', { to });

      // S9, S10: constant-time comparison against hashes bound to this channel and destination.
      const matches =
        (asShort !== undefined && hasher.shortCandidates(channel, destination, asShort).some((hash) => secretsEqual(hash, claimed.shortHash))) ||
        (asLong !== undefined && claimed.longHash !== null && hasher.longCandidates(asLong).some((hash) => secretsEqual(hash, claimed.longHash!)));
      if (!matches) {
        if (settings.incorrectShortTokenRedeemsToken) await tokens.burnUse(claimed.id);
        log.info({ channel, to: maskDestination(channel, destination) }, 'sign-in failed: wrong code');
        throw failed('wrong_code', { to, userId: claimed.userId });
      }

      const { session, refreshToken } = newSession(now, context, client);
      // A code requested under another client is not consumed here (the statement checks it).
      const user = await tokens.consume({ id: claimed.id, userId: claimed.userId, now, allowAdmin: settings.allowAdminAuthentication, session, guess, client: clientBinding(client) });
      if (user === null) throw failed('user_ineligible_or_other_client', { to, userId: claimed.userId });
      log.info({ channel, userId: user.id, sessionId: user.sessionId }, 'sign-in succeeded');
      const issued = await tokensFor(user, refreshToken, session, client, now);
      const isDemo = demo.find(channel, destination) !== undefined;
      audit.record({ event: 'sign_in.succeeded', outcome: 'succeeded', userId: user.id, to, context, ...(isDemo ? { reason: 'demo' } : {}) });
      deps.events?.emit({ type: 'user.signed_in', data: { user_id: user.id, session_id: user.sessionId, method: 'code' } });
      return issued;
    },

    async exchangeStandalone(token, context, client) {
      const presented = longShape.normalize(token.trim());
      if (presented === undefined) {
        audit.record({ event: 'sign_in.failed', outcome: 'failed', context, reason: 'malformed', detail: { method: 'link' } });
        throw invalidToken();
      }
      const now = clock.now();
      const { session, refreshToken } = newSession(now, context, client);
      const user = await tokens.consumeByLongHash({
        longHashes: hasher.longCandidates(presented),
        now,
        allowAdmin: settings.allowAdminAuthentication,
        session,
        client: clientBinding(client),
      });
      if (user === null) {
        audit.record({ event: 'sign_in.failed', outcome: 'failed', context, reason: 'no_live_token', detail: { method: 'link' } });
        throw invalidToken();
      }
      log.info({ channel: 'standalone', userId: user.id, sessionId: user.sessionId }, 'sign-in succeeded');
      const issued = await tokensFor(user, refreshToken, session, client, now);
      audit.record({
        event: 'sign_in.succeeded', outcome: 'succeeded', userId: user.id, context, detail: { method: 'link' },
        ...(user.email !== null ? { to: { channel: 'email' as const, destination: user.email } } : {}),
      });
      deps.events?.emit({ type: 'user.signed_in', data: { user_id: user.id, session_id: user.sessionId, method: 'link' } });
      return issued;
    },
  };
}

/**
 * Recognises a presented token of the given alphabet and length. Case is folded when the
 * alphabet has a single case, so people may type a code either way.
 */
function shapeOf(alphabet: string, length: number): { normalize(input: string): string | undefined } {
  const hasLower = /[a-z]/.test(alphabet);
  const hasUpper = /[A-Z]/.test(alphabet);
  const allowed = new Set(alphabet);
  return {
    normalize(input) {
      if (input.length !== length) return undefined;
      const folded = hasLower && !hasUpper ? input.toLowerCase() : hasUpper && !hasLower ? input.toUpperCase() : input;
      for (const char of folded) if (!allowed.has(char)) return undefined;
      return folded;
    },
  };
}
