/**
 * Users as operators manage them through the admin API: list and find, create (optionally
 * sending a sign-in code through the normal outbox), change, disable (every session ends at
 * once, S32), erase, and mint a sign-in link for support. Identifiers are normalised exactly as
 * at sign-in (S14, S15). No HTTP and no SQL here; every change is audited with the admin key's
 * id (S41).
 */
import type { CountryCode } from 'libphonenumber-js';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { CodeHasher } from '../../lib/code-hasher.ts';
import { normalizeEmail, normalizePhone } from '../../lib/identifiers.ts';
import { decodeCursor, encodeCursor } from '../../lib/page-cursor.ts';
import { randomString, type RandomSource } from '../../lib/random.ts';
import { magicLink } from '../../delivery/messages.ts';
import type { AuditLog } from '../audit-log.ts';
import { checkMetadata, type Metadata } from '../metadata.ts';
import type { PasswordlessService } from '../passwordless-service.ts';
import type { ClientRegistry } from '../client-registry.ts';
import type { Channel, Logger } from '../types.ts';
import { auditAdminChange, type AdminActor } from './admin-actor.ts';
import type { EventExecutor } from '../../repositories/webhook-repository.ts';
import { userEventData, type WebhookEvents } from '../webhook-events.ts';

/** Runs inside the change's transaction, after the change: where its webhook events are recorded. */
export type InTransaction<T> = (tx: EventExecutor, result: T) => Promise<void>;

export interface AdminUserRecord {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  emailVerified: boolean;
  phoneNumberVerified: boolean;
  disabled: boolean;
  isAdmin: boolean;
  appMetadata: Metadata;
  userMetadata: Metadata;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export interface AdminSessionRecord {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  authTime: Date;
  amr: string[];
}

/** Keyset position: the last item's creation time and id. */
export interface CreatedAfter { createdAt: Date; id: string }

export interface UserChanges {
  email?: string | null;
  phoneNumber?: string | null;
  appMetadata?: Metadata;
  userMetadata?: Metadata;
  disabled?: boolean;
}

export type UpdateResult =
  | { outcome: 'updated'; user: AdminUserRecord; revokedSessions: string[] }
  | { outcome: 'not_found' | 'exists' | 'no_identifier' };

export interface AdminUserRepository {
  list(filter: { email?: string; phoneNumber?: string; prefix?: string; after?: CreatedAfter; limit: number }): Promise<AdminUserRecord[]>;
  find(id: string): Promise<AdminUserRecord | null>;
  /** 'exists' when the email address or phone number is taken. */
  create(user: { email: string | null; phoneNumber: string | null; appMetadata: Metadata; userMetadata: Metadata; now: Date }, then: InTransaction<AdminUserRecord>): Promise<AdminUserRecord | 'exists'>;
  /**
   * Applies the changes under the row lock. A changed or removed identifier loses its
   * verification and its live codes; disabling revokes every live session and code at once.
   */
  update(id: string, changes: UserChanges, now: Date, then: InTransaction<{ user: AdminUserRecord; revokedSessions: string[] }>): Promise<UpdateResult>;
  /**
   * Erasure: deletes the user, sessions, refresh tokens, passkeys, one-time tokens, delivery
   * jobs and guess counters, and strips every identifier from the user's audit rows. False
   * when there is no such user.
   */
  erase(id: string, then: InTransaction<{ id: string; email: string | null; phoneNumber: string | null }>): Promise<boolean>;
  listSessions(userId: string, filter: { now: Date; idleSeconds: number; after?: CreatedAfter; limit: number }): Promise<AdminSessionRecord[]>;
  revokeSessions(userId: string, now: Date, then: InTransaction<string[]>): Promise<string[]>;
  /** Stores a magic-link token for the user's identifier; no code matches its short hash. */
  storeSignInToken(token: { userId: string; clientId: string; channel: Channel; destination: string; longHash: Buffer; unusableShortHash: Buffer; maxUses: number; maxAttempts: number; now: Date; expiresAt: Date }): Promise<void>;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface AdminUserService {
  list(query: { email?: string; phoneNumber?: string; q?: string; limit: number; cursor?: string }): Promise<Page<AdminUserRecord>>;
  get(id: string): Promise<AdminUserRecord>;
  create(input: { email?: string; phoneNumber?: string; appMetadata?: unknown; userMetadata?: unknown; sendInvite?: boolean }, actor: AdminActor): Promise<{ user: AdminUserRecord; inviteRequested: boolean }>;
  update(id: string, input: { email?: string | null; phoneNumber?: string | null; appMetadata?: unknown; userMetadata?: unknown; disabled?: boolean }, actor: AdminActor): Promise<AdminUserRecord>;
  remove(id: string, actor: AdminActor): Promise<void>;
  listSessions(id: string, query: { limit: number; cursor?: string }): Promise<Page<AdminSessionRecord>>;
  revokeSessions(id: string, actor: AdminActor): Promise<number>;
  /** A magic-link token for the user under `clientId` (default: the default client), sending nothing. */
  signInLink(id: string, clientId: string | undefined, actor: AdminActor): Promise<{ link: string | null; token: string; expiresAt: Date }>;
}

export interface AdminUserSettings {
  defaultPhoneRegion: CountryCode | undefined;
  longTokenChars: string;
  longTokenLength: number;
  tokenLifetimeSeconds: number;
  maxTokenUses: number;
  maxTokenAttempts: number;
  refreshTokenIdleTtlSeconds: number;
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UPDATE_REFUSED = { not_found: 'not_found', exists: 'user_exists', no_identifier: 'identifier_required' } as const;
/** Errors of a code request that leave a created user created: the invite is simply not sent now. */
const INVITE_NOT_SENT = new Set(['throttled', 'overloaded', 'method_not_allowed']);

export function createAdminUserService(deps: {
  users: AdminUserRepository;
  passwordless: Pick<PasswordlessService, 'requestCode'>;
  /** Invites go out under the default client (its name, login URL and sender); a sign-in link under the one named. */
  clients: Pick<ClientRegistry, 'find'>;
  hasher: Pick<CodeHasher, 'long'>;
  audit: Pick<AuditLog, 'record' | 'flush'>;
  clock: Clock;
  random: RandomSource;
  log: Logger;
  settings: AdminUserSettings;
  /** Webhook events (user.created, user.updated, user.deleted, session.revoked), recorded in each change's transaction. */
  events?: Pick<WebhookEvents, 'record' | 'wake'>;
}): AdminUserService {
  const { users, passwordless, hasher, audit, clock, random, log, settings, events } = deps;

  async function sessionEvents(tx: EventExecutor, userId: string, sessionIds: readonly string[], reason: string): Promise<void> {
    for (const sessionId of sessionIds) await events?.record(tx, { type: 'session.revoked', data: { user_id: userId, session_id: sessionId, reason } });
  }

  const email = (input: string): string => normalizeEmail(input) ?? fail('invalid_email');
  const phone = (input: string): string => normalizePhone(input, settings.defaultPhoneRegion) ?? fail('invalid_phone_number');

  async function existing(id: string): Promise<AdminUserRecord> {
    const user = UUID_SHAPE.test(id) ? await users.find(id.toLowerCase()) : null;
    if (user === null) throw new AppError('not_found');
    return user;
  }

  function sessionsRevoked(actor: AdminActor, userId: string, sessionIds: readonly string[], reason: string): void {
    for (const sessionId of sessionIds) {
      audit.record({ event: 'session.revoked', outcome: 'revoked', userId, context: actor.context, reason, detail: { sessionId, adminKeyId: actor.keyId } });
    }
  }

  return {
    async list(query) {
      const after = query.cursor === undefined ? undefined : createdAfter(query.cursor);
      const filter = {
        ...(query.email !== undefined ? { email: email(query.email) } : {}),
        ...(query.phoneNumber !== undefined ? { phoneNumber: phone(query.phoneNumber) } : {}),
        // Addresses are stored lower-cased, so the prefix is too; numbers have no case.
        ...(query.q !== undefined ? { prefix: query.q.trim().toLowerCase() } : {}),
      };
      const rows = await users.list({ ...filter, after, limit: query.limit + 1 });
      return page(rows, query.limit);
    },

    get: existing,

    async create(input, actor) {
      const normalized = {
        email: input.email === undefined ? null : email(input.email),
        phoneNumber: input.phoneNumber === undefined ? null : phone(input.phoneNumber),
      };
      if (normalized.email === null && normalized.phoneNumber === null) throw new AppError('identifier_required');
      const appMetadata = input.appMetadata === undefined ? {} : checkMetadata(input.appMetadata);
      const userMetadata = input.userMetadata === undefined ? {} : checkMetadata(input.userMetadata);
      const created = await users.create({ ...normalized, appMetadata, userMetadata, now: clock.now() }, async (tx, user) => {
        await events?.record(tx, { type: 'user.created', data: userEventData(user) });
      });
      if (created === 'exists') throw new AppError('user_exists');
      events?.wake();
      auditAdminChange(audit, actor, 'admin.user_created', { userId: created.id });

      let inviteRequested = false;
      if (input.sendInvite === true) {
        // The normal sign-in path: throttle, outbox, templates and audit as for any code request.
        const [channel, identifier]: [Channel, string] = created.email !== null ? ['email', created.email] : ['mobile', created.phoneNumber!];
        try {
          await passwordless.requestCode(channel, identifier, actor.context, deps.clients.find(undefined)!);
          inviteRequested = true;
        } catch (error) {
          if (!(error instanceof AppError) || !INVITE_NOT_SENT.has(error.code)) throw error;
          log.info({ userId: created.id, reason: error.code }, 'invite not sent');
        }
      }
      return { user: created, inviteRequested };
    },

    async update(id, input, actor) {
      const user = await existing(id);
      const changes: UserChanges = {};
      if (input.email !== undefined) changes.email = input.email === null ? null : email(input.email);
      if (input.phoneNumber !== undefined) changes.phoneNumber = input.phoneNumber === null ? null : phone(input.phoneNumber);
      if (input.appMetadata !== undefined) changes.appMetadata = checkMetadata(input.appMetadata);
      if (input.userMetadata !== undefined) changes.userMetadata = checkMetadata(input.userMetadata);
      if (input.disabled !== undefined) changes.disabled = input.disabled;
      const result = await users.update(user.id, changes, clock.now(), async (tx, updated) => {
        await events?.record(tx, { type: 'user.updated', data: userEventData(updated.user) });
        await sessionEvents(tx, user.id, updated.revokedSessions, 'user_disabled');
      });
      if (result.outcome !== 'updated') throw new AppError(UPDATE_REFUSED[result.outcome]);
      events?.wake();
      auditAdminChange(audit, actor, 'admin.user_updated', { userId: user.id, detail: { fields: Object.keys(input).sort().join(',') } });
      sessionsRevoked(actor, user.id, result.revokedSessions, 'user_disabled');
      return result.user;
    },

    async remove(id, actor) {
      const user = await existing(id);
      // Buffered events about the user are written first, so the erasure reaches them too.
      await audit.flush();
      const erased = await users.erase(user.id, async (tx, gone) => {
        // Masked identifiers only, as in every event (S34).
        await events?.record(tx, { type: 'user.deleted', data: userEventData(gone) });
      });
      if (!erased) throw new AppError('not_found');
      events?.wake();
      // The id stays on this one row: it links to nothing any more, and answers "was it erased, when, by which key".
      auditAdminChange(audit, actor, 'admin.user_deleted', { userId: user.id });
    },

    async listSessions(id, query) {
      const user = await existing(id);
      const after = query.cursor === undefined ? undefined : createdAfter(query.cursor);
      const rows = await users.listSessions(user.id, { now: clock.now(), idleSeconds: settings.refreshTokenIdleTtlSeconds, after, limit: query.limit + 1 });
      return page(rows, query.limit);
    },

    async revokeSessions(id, actor) {
      const user = await existing(id);
      const revoked = await users.revokeSessions(user.id, clock.now(), (tx, ids) => sessionEvents(tx, user.id, ids, 'admin_revoked'));
      events?.wake();
      auditAdminChange(audit, actor, 'admin.sessions_revoked', { userId: user.id, detail: { count: revoked.length } });
      sessionsRevoked(actor, user.id, revoked, 'admin_revoked');
      return revoked.length;
    },

    async signInLink(id, clientId, actor) {
      const client = deps.clients.find(clientId);
      if (client === undefined) throw new AppError('invalid_client');
      const user = await existing(id);
      if (user.disabled) throw new AppError('user_disabled');
      const [channel, destination]: [Channel, string] = user.email !== null ? ['email', user.email] : ['mobile', user.phoneNumber!];
      const token = randomString(random, settings.longTokenChars, settings.longTokenLength);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + settings.tokenLifetimeSeconds * 1000);
      await users.storeSignInToken({
        userId: user.id,
        clientId: client.clientId,
        channel,
        destination,
        longHash: hasher.long(token),
        // Random bytes, not the hash of any code: only the link's token can use this row.
        unusableShortHash: random.bytes(32),
        maxUses: settings.maxTokenUses,
        maxAttempts: settings.maxTokenAttempts,
        now,
        expiresAt,
      });
      auditAdminChange(audit, actor, 'admin.sign_in_link_created', { userId: user.id, detail: { clientId: client.clientId, expiresAt: expiresAt.toISOString() } });
      return { link: client.loginUrl === undefined ? null : magicLink(client.loginUrl, token), token, expiresAt };
    },
  };
}

function fail(code: 'invalid_email' | 'invalid_phone_number'): never {
  throw new AppError(code);
}

function createdAfter(cursor: string): CreatedAfter {
  const key = decodeCursor(cursor, 2);
  const createdAt = key === undefined ? NaN : Date.parse(key[0]!);
  if (key === undefined || Number.isNaN(createdAt) || !UUID_SHAPE.test(key[1]!)) throw new AppError('invalid_cursor');
  return { createdAt: new Date(createdAt), id: key[1]! };
}

/** `limit + 1` rows were read: the extra one says whether there is a next page. */
function page<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
}
