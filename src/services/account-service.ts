/**
 * Identifiers on a signed-in account: add or change an email or phone number by proving it
 * with a code, verify the current one, remove one. The codes are one-time tokens of purpose
 * `verify`, bound to the user who asked (S44), on the sign-in throttle, guess limits and outbox.
 * Like sign-in codes they are sent for a client (its methods, name and sender address) and
 * verified only under it. No HTTP and no SQL here.
 */
import type { Config } from '../config/index.ts';
import { AppError } from '../errors.ts';
import { normalizeEmail, normalizePhone } from '../lib/identifiers.ts';
import { maskDestination } from '../lib/mask.ts';
import { randomString } from '../lib/random.ts';
import { secretsEqual } from '../lib/secret-keys.ts';
import type { MessageKind } from '../delivery/outbox-payload.ts';
import type { AccountRepository } from '../repositories/account-repository.ts';
import type { OneTimeTokenRepository } from '../repositories/one-time-token-repository.ts';
import type { UserProfile } from '../repositories/session-repository.ts';
import type { AuditLog } from './audit-log.ts';
import { liveProfile, requireRecentSignIn } from './recent-sign-in.ts';
import type { Caller } from './session-service.ts';
import type { SmsPumpingGuard } from './sms-pumping-guard.ts';
import type { CodeSendingDeps } from './code-sending.ts';
import type { Client } from './client-registry.ts';
import type { Channel, Logger, RequestContext } from './types.ts';

export type AccountSettings = Pick<Config,
  | 'shortTokenChars' | 'shortTokenLength' | 'tokenLifetimeSeconds' | 'maxTokenAttempts'
  | 'maxDestinationFailures' | 'tokenRequestThrottleSeconds' | 'incorrectShortTokenRedeemsToken' | 'defaultPhoneRegion'
  | 'reauthMaxAgeSeconds' | 'defaultClientId'>;

export interface AccountService {
  /**
   * Sends a code to the address, or a notice when another account holds it; the same either way
   * (S45). A channel `client` does not allow is method_not_allowed; the messages carry its name
   * and sender address.
   */
  requestVerification(caller: Caller, channel: Channel, identifier: string, context: RequestContext, client: Client): Promise<void>;
  /**
   * Sets the address on the account, verified, when the code is right and was requested under
   * `client`; any failure is invalid_token.
   */
  verify(caller: Caller, channel: Channel, identifier: string, token: string, context: RequestContext, client: Client): Promise<UserProfile>;
  /** Removes the identifier unless it is the account's last way to sign in. */
  removeIdentifier(caller: Caller, channel: Channel, context: RequestContext): Promise<void>;
}

const FAILURE_WINDOW_MS = 60 * 60 * 1000;
/** A notice is worth delivering late; a code is not. */
const NOTICE_LIFETIME_MS = 24 * 60 * 60 * 1000;
const INVALID_IDENTIFIER = { email: 'invalid_email', mobile: 'invalid_phone_number' } as const;

export function createAccountService(deps: CodeSendingDeps & {
  tokens: Pick<OneTimeTokenRepository, 'issueVerification' | 'claimVerificationAttempt' | 'consumeVerification' | 'enqueueNotice' | 'burnUse'>;
  accounts: AccountRepository;
  sessions: { profile(caller: Caller): Promise<UserProfile | null> };
  log: Logger;
  audit: Pick<AuditLog, 'record'>;
  smsGuard: Pick<SmsPumpingGuard, 'screenCountry'>;
  settings: AccountSettings;
}): AccountService {
  const { tokens, accounts, sessions, delivery, sealer, locales, hasher, clock, random, log, audit, smsGuard, settings } = deps;

  function normalize(channel: Channel, identifier: string): string | undefined {
    return channel === 'email' ? normalizeEmail(identifier) : normalizePhone(identifier, settings.defaultPhoneRegion);
  }

  /** The session is live and its sign-in recent enough to change how the account signs in (S45). */
  async function authorize(caller: Caller): Promise<UserProfile> {
    const profile = await liveProfile(sessions, caller);
    requireRecentSignIn(caller, clock.now(), settings.reauthMaxAgeSeconds);
    return profile;
  }

  /** What a message sent for `client` carries of it: its name and sender address; none: APP_NAME and EMAIL_FROM. */
  function branding(client: Client | undefined): { appName?: string; from?: string; clientId?: string } {
    return client === undefined ? {} : { appName: client.name, from: client.emailFrom, clientId: client.clientId };
  }

  async function notify(userId: string, channel: Channel, destination: string, kind: MessageKind, context: RequestContext, client?: Client): Promise<void> {
    const now = clock.now();
    const locale = locales.resolve(context.locale, context.acceptLanguage);
    await tokens.enqueueNotice({
      userId,
      channel,
      maskedDestination: maskDestination(channel, destination),
      clientIp: context.ip,
      payload: sealer.seal({ kind, channel, to: destination, code: '', locale, ...branding(client) }),
      now,
      expiresAt: new Date(now.getTime() + NOTICE_LIFETIME_MS),
    });
    delivery.wake();
  }

  return {
    async requestVerification(caller, channel, identifier, context, client) {
      if (!client.allowedMethods.includes(channel)) throw new AppError('method_not_allowed');
      const destination = normalize(channel, identifier);
      if (destination === undefined) throw new AppError(INVALID_IDENTIFIER[channel]);
      await authorize(caller);
      const to = { channel, destination };
      // S21: a number off the SMS allowlist is answered like any other and sent nothing.
      const screened = channel === 'mobile' ? smsGuard.screenCountry(destination) : { allowed: true as const };
      if (!screened.allowed) {
        audit.record({ event: 'identifier.verification_requested', outcome: 'blocked', userId: caller.userId, to, context, reason: screened.reason });
        return;
      }

      // Both messages are sealed every time and the statement picks one, so an address held by
      // another account costs the same work as a free one (S45).
      const code = randomString(random, settings.shortTokenChars, settings.shortTokenLength);
      const locale = locales.resolve(context.locale, context.acceptLanguage);
      const now = clock.now();
      const result = await tokens.issueVerification({
        channel,
        destination,
        userId: caller.userId,
        throttleKey: hasher.throttleKey(channel, destination),
        throttleSeconds: settings.tokenRequestThrottleSeconds,
        now,
        expiresAt: new Date(now.getTime() + settings.tokenLifetimeSeconds * 1000),
        shortHash: hasher.verification(channel, destination, caller.userId, code),
        maxAttempts: settings.maxTokenAttempts,
        maskedDestination: maskDestination(channel, destination),
        clientIp: context.ip,
        codePayload: sealer.seal({ kind: 'verify', channel, to: destination, code, locale, ...branding(client) }),
        noticePayload: sealer.seal({ kind: 'notice_taken', channel, to: destination, code: '', locale, ...branding(client) }),
        noticeExpiresAt: new Date(now.getTime() + NOTICE_LIFETIME_MS),
        clientId: client.clientId,
      });
      if (result.outcome === 'throttled') {
        const elapsed = result.previousRequestAt ? (now.getTime() - result.previousRequestAt.getTime()) / 1000 : 0;
        const retryAfter = Math.max(1, Math.ceil(settings.tokenRequestThrottleSeconds - elapsed));
        audit.record({ event: 'identifier.verification_requested', outcome: 'throttled', userId: caller.userId, to, context });
        throw new AppError('throttled', { headers: { 'retry-after': String(retryAfter) } });
      }
      const outcome = result.sent === null ? 'ignored' : 'issued';
      // Operators may see that the address was taken; the caller never does.
      audit.record({ event: 'identifier.verification_requested', outcome, userId: caller.userId, to, context, ...(result.sent === 'notice' ? { reason: 'taken' } : {}) });
      log.info({ channel, to: maskDestination(channel, destination), userId: caller.userId, sent: result.sent }, 'identifier verification requested');
      if (result.sent !== null) delivery.wake();
    },

    async verify(caller, channel, identifier, token, context, client) {
      const failed = (reason: string, to?: { channel: Channel; destination: string }): AppError => {
        audit.record({ event: 'identifier.verification_failed', outcome: 'failed', userId: caller.userId, context, reason, ...(to ? { to } : {}) });
        return new AppError('invalid_token');
      };
      if (!client.allowedMethods.includes(channel)) throw failed('method_not_allowed');
      const destination = normalize(channel, identifier);
      if (destination === undefined) throw failed('malformed');
      const to = { channel, destination };
      const presented = token.trim();
      if (presented.length !== settings.shortTokenLength) throw failed('malformed', to);
      await authorize(caller);

      const now = clock.now();
      // Counted before comparing (S5), against the same per-destination budget as sign-in (S6).
      const claimed = await tokens.claimVerificationAttempt({
        channel,
        destination,
        userId: caller.userId,
        now,
        failureWindowStart: new Date(now.getTime() - FAILURE_WINDOW_MS),
        maxDestinationFailures: settings.maxDestinationFailures,
      });
      if (claimed === null) throw failed('no_live_token', to);
      const folded = /[a-z]/.test(settings.shortTokenChars) && !/[A-Z]/.test(settings.shortTokenChars) ? presented.toLowerCase()
        : /[A-Z]/.test(settings.shortTokenChars) && !/[a-z]/.test(settings.shortTokenChars) ? presented.toUpperCase() : presented;
      const matches = hasher.verificationCandidates(channel, destination, caller.userId, folded).some((hash) => secretsEqual(hash, claimed.shortHash));
      if (!matches) {
        if (settings.incorrectShortTokenRedeemsToken) await tokens.burnUse(claimed.id);
        throw failed('wrong_code', to);
      }
      const changed = await tokens.consumeVerification({
        id: claimed.id, userId: caller.userId, now, client: { clientId: client.clientId, defaultClientId: settings.defaultClientId },
      });
      // Spent by a concurrent request, requested under another client, or the address was taken meanwhile.
      if (changed === null) throw failed('not_consumed', to);

      const previous = channel === 'email' ? changed.previousEmail : changed.previousPhoneNumber;
      const replaced = previous !== null && previous !== destination;
      audit.record({
        event: 'identifier.verified', outcome: 'succeeded', userId: caller.userId, to, context,
        ...(replaced ? { reason: 'changed', detail: { previous: maskDestination(channel, previous) } } : { reason: previous === destination ? 'verified' : 'added' }),
      });
      log.info({ channel, userId: caller.userId, replaced }, 'identifier verified');
      // The old address hears of the change, so a stolen session cannot quietly take the account (S45).
      if (replaced) await notify(caller.userId, channel, previous, 'notice_changed', context, client);
      return liveProfile(sessions, caller);
    },

    async removeIdentifier(caller, channel, context) {
      await authorize(caller);
      const result = await accounts.removeIdentifier({ userId: caller.userId, channel, now: clock.now() });
      if (result.outcome === 'absent') throw new AppError('not_found');
      if (result.outcome === 'last_method') {
        audit.record({ event: 'identifier.removed', outcome: 'refused', userId: caller.userId, context, reason: 'last_sign_in_method', detail: { channel } });
        throw new AppError('last_sign_in_method');
      }
      const to = { channel, destination: result.previous };
      audit.record({ event: 'identifier.removed', outcome: 'succeeded', userId: caller.userId, to, context });
      log.info({ channel, userId: caller.userId }, 'identifier removed');
      await notify(caller.userId, channel, result.previous, 'notice_changed', context);
    },
  };
}
