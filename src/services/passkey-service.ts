/**
 * Passkeys (WebAuthn) with @simplewebauthn/server: registration for a signed-in user with a
 * recent sign-in (S45), management, and sign-in with a discoverable credential that answers
 * like a code exchange. Challenges are server-side, random, single-use, five minutes, bound to
 * their purpose and (registration) user (S44, S46). No HTTP and no SQL here.
 */
import type { WebhookEvents } from './webhook-events.ts';
import { createHash } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config/index.ts';
import { AppError } from '../errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { RandomSource } from '../lib/random.ts';
import { newRefreshToken } from '../lib/refresh-tokens.ts';
import type { AccessTokenSigner } from '../keys/access-token-signer.ts';
import type { ChallengePurpose, PasskeyRepository, StoredPasskey } from '../repositories/passkey-repository.ts';
import type { UserProfile } from '../repositories/session-repository.ts';
import type { AuditLog } from './audit-log.ts';
import { liveProfile, requireRecentSignIn } from './recent-sign-in.ts';
import type { Caller } from './session-service.ts';
import type { Client } from './client-registry.ts';
import type { IssuedTokens, Logger, RequestContext } from './types.ts';

export type PasskeySettings = Pick<Config,
  'webauthnRpId' | 'webauthnRpName' | 'webauthnOrigins' | 'reauthMaxAgeSeconds' | 'allowAdminAuthentication' | 'defaultClientId'>;

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backedUp: boolean;
}

export interface PasskeyService {
  registrationOptions(caller: Caller): Promise<PublicKeyCredentialCreationOptionsJSON>;
  register(caller: Caller, response: RegistrationResponseJSON, name: string | undefined, context: RequestContext): Promise<PasskeyView>;
  list(caller: Caller): Promise<PasskeyView[]>;
  rename(caller: Caller, id: string, name: string, context: RequestContext): Promise<PasskeyView>;
  remove(caller: Caller, id: string, context: RequestContext): Promise<void>;
  /** Sign-in options; the challenge in them signs in only under `client`. */
  authenticationOptions(client: Client): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /**
   * Signs in with an assertion, like a code exchange: a session of `client` (its refresh-token
   * lifetime) and an access token with its `client_id`, `aud` and lifetime.
   */
  authenticate(response: AuthenticationResponseJSON, context: RequestContext, client: Client): Promise<IssuedTokens>;
}

const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const CHALLENGE_BYTES = 32;
const DEFAULT_NAME = 'Passkey';

type WebAuthn = typeof import('@simplewebauthn/server');
let webauthnModule: Promise<WebAuthn> | undefined;
/**
 * @simplewebauthn/server (with its CBOR and ASN.1 parsers, about 3 MB of heap) is loaded by the
 * first passkey call, not at start: most deployments serve codes and links only. A failed load
 * is not cached, so the next call tries again.
 */
function webauthn(): Promise<WebAuthn> {
  webauthnModule ??= import('@simplewebauthn/server').catch((error: unknown) => {
    webauthnModule = undefined;
    throw error;
  });
  return webauthnModule;
}

export function createPasskeyService(deps: {
  passkeys: PasskeyRepository;
  sessions: { profile(caller: Caller): Promise<UserProfile | null> };
  signer: AccessTokenSigner;
  clock: Clock;
  random: RandomSource;
  log: Logger;
  audit: Pick<AuditLog, 'record'>;
  settings: PasskeySettings;
  /** Webhook events (user.signed_in), written after the reply. */
  events?: Pick<WebhookEvents, 'emit'>;
}): PasskeyService {
  const { passkeys, sessions, signer, clock, random, log, audit, settings } = deps;
  const rp = { rpID: settings.webauthnRpId, expectedOrigin: settings.webauthnOrigins };

  /**
   * A random challenge, stored by the hash of its base64url form (what clientDataJSON echoes).
   * Given as bytes: @simplewebauthn/server would take a string for UTF-8 text and encode it again.
   */
  async function newChallenge(purpose: ChallengePurpose, userId: string | null, clientId?: string): Promise<Uint8Array<ArrayBuffer>> {
    const challenge = random.bytes(CHALLENGE_BYTES);
    const now = clock.now();
    await passkeys.saveChallenge({
      hash: challengeHash(challenge.toString('base64url')), purpose, userId, ...(clientId === undefined ? {} : { clientId }), now, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS),
    });
    return new Uint8Array(challenge);
  }

  /**
   * Takes the challenge the browser signed, if it is ours, live, of this purpose (and user, or
   * client: one handed out to another client is not taken); single use.
   */
  async function takeChallenge(clientDataJSON: string, purpose: ChallengePurpose, userId: string | null, client?: Client): Promise<string | undefined> {
    const challenge = challengeOf(clientDataJSON);
    if (challenge === undefined) return undefined;
    const binding = client === undefined ? {} : { client: { clientId: client.clientId, defaultClientId: settings.defaultClientId } };
    const taken = await passkeys.takeChallenge({ hash: challengeHash(challenge), purpose, userId, ...binding, now: clock.now() });
    return taken ? challenge : undefined;
  }

  async function ownPasskey(caller: Caller, id: string): Promise<StoredPasskey> {
    const passkey = await passkeys.find(id);
    if (passkey === null || passkey.userId !== caller.userId) throw new AppError('not_found');
    return passkey;
  }

  return {
    async registrationOptions(caller) {
      const { generateRegistrationOptions } = await webauthn();
      const profile = await liveProfile(sessions, caller);
      requireRecentSignIn(caller, clock.now(), settings.reauthMaxAgeSeconds);
      const existing = await passkeys.listForUser(caller.userId);
      const challenge = await newChallenge('registration', caller.userId);
      return generateRegistrationOptions({
        rpName: settings.webauthnRpName,
        rpID: settings.webauthnRpId,
        // The user handle is the account's opaque id: nothing personal is stored on the authenticator as the handle.
        userID: new Uint8Array(Buffer.from(caller.userId.replaceAll('-', ''), 'hex')),
        userName: profile.email ?? profile.phoneNumber ?? caller.userId,
        challenge,
        timeout: CHALLENGE_TTL_MS,
        attestationType: 'none',
        excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: passkey.transports })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      });
    },

    async register(caller, response, name, context) {
      // Loaded before the challenge is taken: a failed load must not use up the user's challenge.
      const { verifyRegistrationResponse } = await webauthn();
      await liveProfile(sessions, caller);
      requireRecentSignIn(caller, clock.now(), settings.reauthMaxAgeSeconds);
      const failed = (reason: string): AppError => {
        audit.record({ event: 'passkey.registration_failed', outcome: 'failed', userId: caller.userId, context, reason });
        return new AppError('invalid_passkey');
      };
      const challenge = await takeChallenge(response.response?.clientDataJSON, 'registration', caller.userId);
      if (challenge === undefined) throw failed('no_live_challenge');
      let verification: Awaited<ReturnType<WebAuthn['verifyRegistrationResponse']>>;
      try {
        verification = await verifyRegistrationResponse({ response, expectedChallenge: challenge, ...rp, expectedRPID: settings.webauthnRpId, requireUserVerification: false });
      } catch {
        throw failed('unverified');
      }
      if (!verification.verified) throw failed('unverified');
      const info = verification.registrationInfo;
      const now = clock.now();
      const stored = await passkeys.insert({
        id: info.credential.id,
        userId: caller.userId,
        publicKey: info.credential.publicKey,
        counter: info.credential.counter,
        transports: info.credential.transports ?? response.response.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        name: name ?? DEFAULT_NAME,
        createdAt: now,
      });
      if (!stored) throw failed('duplicate_credential');
      audit.record({ event: 'passkey.registered', outcome: 'succeeded', userId: caller.userId, context, detail: { passkeyId: info.credential.id, deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp } });
      log.info({ userId: caller.userId, deviceType: info.credentialDeviceType }, 'passkey registered');
      return { id: info.credential.id, name: name ?? DEFAULT_NAME, createdAt: now, lastUsedAt: null, backedUp: info.credentialBackedUp };
    },

    async list(caller) {
      await liveProfile(sessions, caller);
      return (await passkeys.listForUser(caller.userId)).map(view);
    },

    async rename(caller, id, name, context) {
      await liveProfile(sessions, caller);
      const passkey = await ownPasskey(caller, id);
      if (!(await passkeys.rename({ userId: caller.userId, id, name }))) throw new AppError('not_found');
      audit.record({ event: 'passkey.renamed', outcome: 'succeeded', userId: caller.userId, context, detail: { passkeyId: id } });
      return view({ ...passkey, name });
    },

    async remove(caller, id, context) {
      await liveProfile(sessions, caller);
      // Removing a way to sign in is a change to the account like an identifier's (S45).
      requireRecentSignIn(caller, clock.now(), settings.reauthMaxAgeSeconds);
      await ownPasskey(caller, id);
      if (!(await passkeys.remove({ userId: caller.userId, id }))) throw new AppError('not_found');
      audit.record({ event: 'passkey.deleted', outcome: 'succeeded', userId: caller.userId, context, detail: { passkeyId: id } });
    },

    async authenticationOptions(client) {
      const { generateAuthenticationOptions } = await webauthn();
      const challenge = await newChallenge('authentication', null, client.clientId);
      // Discoverable credentials: no allowCredentials, so the options name no user (nothing to enumerate).
      return generateAuthenticationOptions({ rpID: settings.webauthnRpId, challenge, timeout: CHALLENGE_TTL_MS, userVerification: 'preferred' });
    },

    async authenticate(response, context, client) {
      const { verifyAuthenticationResponse } = await webauthn();
      // Every failure is the same invalid_passkey; the reason goes to the audit trail only.
      const failed = (reason: string, userId?: string): AppError => {
        audit.record({ event: 'sign_in.failed', outcome: 'failed', context, reason, ...(userId ? { userId } : {}), detail: { method: 'passkey' } });
        return new AppError('invalid_passkey');
      };
      // Live, unused, and handed out to this client (S44): else the same invalid_passkey.
      const challenge = await takeChallenge(response.response?.clientDataJSON, 'authentication', null, client);
      if (challenge === undefined) throw failed('no_live_challenge');
      const passkey = await passkeys.find(response.id);
      if (passkey === null) throw failed('unknown_credential');
      // A discoverable credential names its user; it must be the one the credential belongs to.
      const handle = response.response.userHandle;
      if (handle !== undefined && handle !== '' && handle !== Buffer.from(passkey.userId.replaceAll('-', ''), 'hex').toString('base64url')) {
        throw failed('user_handle_mismatch', passkey.userId);
      }
      let verification: Awaited<ReturnType<WebAuthn['verifyAuthenticationResponse']>>;
      try {
        verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          ...rp,
          expectedRPID: settings.webauthnRpId,
          // The counter is checked below, where a regression can be audited as a suspected clone.
          credential: { id: passkey.id, publicKey: new Uint8Array(passkey.publicKey), counter: 0, transports: passkey.transports },
          requireUserVerification: false,
        });
      } catch {
        throw failed('unverified', passkey.userId);
      }
      if (!verification.verified) throw failed('unverified', passkey.userId);
      const info = verification.authenticationInfo;
      // S46: a counter that does not go up (when either side counts) means two authenticators
      // hold this key: refused and audited.
      if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) {
        audit.record({ event: 'passkey.clone_suspected', outcome: 'refused', userId: passkey.userId, context, detail: { passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter: info.newCounter } });
        log.warn({ userId: passkey.userId, passkeyId: passkey.id }, 'passkey counter went backwards; sign-in refused (clone suspected)');
        throw failed('counter_regression', passkey.userId);
      }

      // RFC 8176: a synced (multi-device) passkey is a software-secured key, a device-bound one hardware.
      const amr = [info.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk', ...(info.userVerified ? ['user'] : [])];
      const now = clock.now();
      const refresh = newRefreshToken(random);
      const signedIn = await passkeys.signIn({
        passkeyId: passkey.id,
        expectedCounter: passkey.counter,
        newCounter: info.newCounter,
        backedUp: info.credentialBackedUp,
        now,
        allowAdmin: settings.allowAdminAuthentication,
        amr,
        session: {
          expiresAt: new Date(now.getTime() + client.refreshTokenTtlSeconds * 1000), ip: context.ip, userAgent: context.userAgent, refreshHash: refresh.hash, clientId: client.clientId,
        },
      });
      if (signedIn === null) throw failed('user_ineligible', passkey.userId);
      log.info({ userId: signedIn.user.id, sessionId: signedIn.sessionId, method: 'passkey', clientId: client.clientId }, 'sign-in succeeded');
      audit.record({ event: 'sign_in.succeeded', outcome: 'succeeded', userId: signedIn.user.id, context, detail: { method: 'passkey', passkeyId: passkey.id } });
      deps.events?.emit({ type: 'user.signed_in', data: { user_id: signedIn.user.id, session_id: signedIn.sessionId, method: 'passkey' } });
      const access = await signer.issue(signedIn.user, signedIn.sessionId, { authTime: now, amr }, client);
      return { ...access, refresh_token: refresh.token, refreshTokenExpiresIn: client.refreshTokenTtlSeconds };
    },
  };
}

function view(passkey: StoredPasskey): PasskeyView {
  return { id: passkey.id, name: passkey.name, createdAt: passkey.createdAt, lastUsedAt: passkey.lastUsedAt, backedUp: passkey.backedUp };
}

function challengeHash(challenge: string): Buffer {
  return createHash('sha256').update(challenge).digest();
}

/** The challenge inside clientDataJSON (base64url JSON), or undefined when it is not readable. */
function challengeOf(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' && parsed.challenge.length <= 128 ? parsed.challenge : undefined;
  } catch {
    return undefined;
  }
}
