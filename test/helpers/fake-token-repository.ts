/**
 * An in-memory OneTimeTokenRepository with the rules the SQL statements implement (throttle
 * gate, registration, revoking older tokens, guess counting, single use), for unit tests of the
 * passwordless service. The integration tests hold the real statements to the same rules.
 */
import type { Channel } from '../../src/services/types.ts';
import type { ClaimedToken, IssueTokenInput, NewSession, OneTimeTokenRepository, SignedInUser } from '../../src/repositories/one-time-token-repository.ts';

export interface FakeUser {
  id: string;
  email: string | null;
  phoneNumber: string | null;
  isAdmin: boolean;
  disabled: boolean;
}

export interface FakeToken {
  id: string;
  userId: string;
  channel: Channel;
  destination: string;
  shortHash: Buffer;
  longHash: Buffer | null;
  uses: number;
  maxUses: number;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface FakeTokenRepository extends OneTimeTokenRepository {
  users: FakeUser[];
  tokens: FakeToken[];
  /** Sealed payloads of the delivery jobs written, in order. */
  jobs: Buffer[];
  sessions: (NewSession & { id: string; userId: string })[];
  addUser(user: Partial<FakeUser> & Pick<FakeUser, 'email' | 'phoneNumber'>): FakeUser;
}

export function createFakeTokenRepository(): FakeTokenRepository {
  const throttle = new Map<string, Date>();
  let sequence = 0;
  const nextId = (prefix: string) => `${prefix}-${++sequence}`;
  const repository: FakeTokenRepository = {
    users: [],
    tokens: [],
    jobs: [],
    sessions: [],

    addUser(user) {
      const created = { id: nextId('user'), isAdmin: false, disabled: false, ...user };
      repository.users.push(created);
      return created;
    },

    async issue(input: IssueTokenInput) {
      const key = input.throttleKey.toString('hex');
      const previous = throttle.get(key) ?? null;
      if (previous !== null && previous.getTime() > input.now.getTime() - input.throttleSeconds * 1000) {
        return { outcome: 'throttled', previousRequestAt: previous };
      }
      throttle.set(key, input.now);
      const byDestination = (user: FakeUser) => (input.channel === 'email' ? user.email : user.phoneNumber) === input.destination;
      let user = repository.users.find(byDestination);
      let created = false;
      if (user === undefined && input.registerUnknown) {
        user = repository.addUser(input.channel === 'email' ? { email: input.destination, phoneNumber: null } : { email: null, phoneNumber: input.destination });
        created = true;
      }
      if (user === undefined || user.disabled || (user.isAdmin && !input.allowAdmin) || input.blocked) {
        return { outcome: 'accepted', userId: null, created: false, deliveryJobId: null };
      }
      for (const token of live(input.channel, input.destination, input.now)) token.revokedAt = input.now;
      repository.tokens.push({
        id: nextId('token'), userId: user.id, channel: input.channel, destination: input.destination, shortHash: input.shortHash,
        longHash: input.longHash, uses: 0, maxUses: input.maxUses, attempts: 0, maxAttempts: input.maxAttempts,
        createdAt: input.now, expiresAt: input.expiresAt, revokedAt: null,
      });
      let deliveryJobId: string | null = null;
      if (input.deliveryPayload !== null) {
        repository.jobs.push(input.deliveryPayload);
        deliveryJobId = nextId('job');
      }
      return { outcome: 'accepted', userId: user.id, created, deliveryJobId };
    },

    async claimAttempt(input): Promise<ClaimedToken | null> {
      const [newest] = live(input.channel, input.destination, input.now).reverse();
      const failures = repository.tokens
        .filter((token) => token.channel === input.channel && token.destination === input.destination && token.createdAt >= input.budget.hourWindowStart)
        .reduce((sum, token) => sum + token.attempts, 0);
      if (!newest || newest.attempts >= newest.maxAttempts || newest.uses >= newest.maxUses || failures >= input.budget.perNetworkPerHour) return null; // one network: the fake has no others
      newest.attempts += 1;
      return { id: newest.id, userId: newest.userId, shortHash: newest.shortHash, longHash: newest.longHash };
    },

    async consume(input) {
      const token = repository.tokens.find((candidate) => candidate.id === input.id);
      if (token === undefined || !usable(token, input.now)) return null;
      token.uses += 1;
      token.attempts -= 1;
      return signIn(token, input);
    },

    async consumeByLongHash(input) {
      const token = repository.tokens.find((candidate) => candidate.longHash !== null && input.longHashes.some((hash) => hash.equals(candidate.longHash!)));
      if (token === undefined || !usable(token, input.now) || token.attempts >= token.maxAttempts) return null;
      token.uses += 1;
      return signIn(token, input);
    },

    async burnUse(id) {
      const token = repository.tokens.find((candidate) => candidate.id === id);
      if (token && token.uses < token.maxUses) token.uses += 1;
    },

    // Identifier verification belongs to the account service; the passwordless service never calls it.
    issueVerification: notModelled,
    claimVerificationAttempt: notModelled,
    consumeVerification: notModelled,
    enqueueNotice: notModelled,
  };

  function live(channel: Channel, destination: string, now: Date): FakeToken[] {
    return repository.tokens.filter((token) => token.channel === channel && token.destination === destination && token.revokedAt === null && token.expiresAt > now);
  }

  function usable(token: FakeToken, now: Date): boolean {
    return token.uses < token.maxUses && token.revokedAt === null && token.expiresAt > now;
  }

  function signIn(token: FakeToken, input: { allowAdmin: boolean; session: NewSession }): SignedInUser | null {
    const user = repository.users.find((candidate) => candidate.id === token.userId)!;
    if (user.disabled || (user.isAdmin && !input.allowAdmin)) return null;
    const session = { ...input.session, id: nextId('session'), userId: user.id };
    repository.sessions.push(session);
    return { id: user.id, email: user.email, phoneNumber: user.phoneNumber, appMetadata: {}, sessionId: session.id, amr: token.channel === 'mobile' ? ['sms'] : ['otp'] };
  }

  return repository;
}

function notModelled(): never {
  throw new Error('not modelled by the fake token repository');
}
