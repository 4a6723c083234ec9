/**
 * The benchmark's data: the schema comes from the project's migrations (src/db/migrator.ts) and
 * the rows from the Prisma client, so the seed follows schema.prisma and never restates it.
 *   - users for the request flows (`<prefix><i>@bench.test`), one fresh identity per request;
 *   - users with a live code for the exchange flows (the hash made as the service makes it);
 *   - one live session per refresh token for the refresh flow;
 *   - for the client flows, a client (application) and live codes requested under it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrator.ts';
import { createCodeHasher } from '../src/lib/code-hasher.ts';

const CHUNK = 4_000;

export interface SeedPlan {
  secret: string;
  code: string;
  /** Request-flow identities: prefix → how many. */
  requestUsers: Record<string, number>;
  /** Users known by a mobile number only (the sweep's SMS requests), E.164. */
  phoneUsers?: string[];
  /** Exchange-flow identities (`x<i>@bench.test`), each with a live code. */
  exchangeUsers: number;
  /** The hook-exchange flow's identities (`hx<i>@bench.test`), each with a live code. */
  hookExchangeUsers?: number;
  /** Refresh tokens, each with its own live session. */
  refreshTokens: number;
  /** A browser app's client, and its exchange-flow identities (`cx<i>@bench.test`, codes requested under it). */
  client?: { clientId: string; origin: string; exchangeUsers: number } | undefined;
}

/** The i-th seeded refresh token: deterministic, so the seed stores only its SHA-256. */
export function refreshToken(i: number): string {
  return createHash('sha256').update(`bench-refresh-${i}`).digest('base64url');
}

export async function seed(url: string, plan: SeedPlan): Promise<void> {
  await migrate(url);
  const db = createDatabase(url, { poolSize: 4 });
  const { prisma } = db;
  try {
    const now = new Date();
    // Chunk by chunk, the flows in turn: every flow's identities lie alike in the table and its
    // email index (interleaved, in the same pages' age), so no flow of a run gets the rows that
    // happen to be written last and so are more likely still in PostgreSQL's buffers. Seeded
    // one flow after the other, the flow seeded last ran 17-25% faster than the other in the
    // same run, whichever flows they were.
    const prefixes = Object.entries(plan.requestUsers);
    const longest = Math.max(0, ...prefixes.map(([, count]) => count));
    for (const range of chunks(longest)) {
      for (const [prefix, count] of prefixes) {
        const mine = range.filter((i) => i < count);
        if (mine.length > 0) await prisma.user.createMany({ data: mine.map((i) => ({ email: `${prefix}${i}@bench.test` })) });
      }
    }
    const phones = plan.phoneUsers ?? [];
    for (const range of chunks(phones.length)) {
      await prisma.user.createMany({ data: range.map((i) => ({ phoneNumber: phones[i]! })) });
    }
    const hasher = createCodeHasher([Buffer.from(plan.secret)]);
    const expiresAt = new Date(now.getTime() + 3_600_000);
    for (const [prefix, count] of [['x', plan.exchangeUsers], ['hx', plan.hookExchangeUsers ?? 0]] as const) {
      for (const range of chunks(count)) {
        const users = range.map((i) => ({ id: randomUUID(), email: `${prefix}${i}@bench.test` }));
        await prisma.user.createMany({ data: users });
        await prisma.oneTimeToken.createMany({
          data: users.map((user) => ({
            userId: user.id, channel: 'email', destination: user.email, shortHash: new Uint8Array(hasher.short('email', user.email, plan.code)),
            maxUses: 1, maxAttempts: 5, createdAt: now, expiresAt,
          })),
        });
      }
    }
    if (plan.client !== undefined) {
      const { clientId, origin } = plan.client;
      await prisma.client.create({ data: { clientId, name: 'Bench App', allowedOrigins: [origin], createdAt: now, updatedAt: now } });
      for (const range of chunks(plan.client.exchangeUsers)) {
        const users = range.map((i) => ({ id: randomUUID(), email: `cx${i}@bench.test` }));
        await prisma.user.createMany({ data: users });
        await prisma.oneTimeToken.createMany({
          data: users.map((user) => ({
            userId: user.id, channel: 'email', destination: user.email, shortHash: new Uint8Array(hasher.short('email', user.email, plan.code)),
            maxUses: 1, maxAttempts: 5, createdAt: now, expiresAt, clientId,
          })),
        });
      }
    }
    // The refresh flow's sessions all belong to one user, as sign-ins on many devices would leave them.
    const owner = await prisma.user.create({ data: { email: 'refresh-owner@bench.test' } });
    const sessionExpiresAt = new Date(now.getTime() + 30 * 86_400_000);
    for (const range of chunks(plan.refreshTokens)) {
      const sessions = range.map((i) => ({ id: randomUUID(), i }));
      await prisma.session.createMany({
        data: sessions.map((session) => ({ id: session.id, userId: owner.id, createdAt: now, lastUsedAt: now, authTime: now, expiresAt: sessionExpiresAt, ip: '127.0.0.1', userAgent: 'bench' })),
      });
      await prisma.refreshToken.createMany({
        data: sessions.map((session) => ({ tokenHash: new Uint8Array(createHash('sha256').update(refreshToken(session.i)).digest()), sessionId: session.id, createdAt: now })),
      });
    }
    // Statistics for what was seeded, as autovacuum would have them in production. The tables the
    // flows fill themselves (the request throttle, guess counts, the outbox, the audit log) are
    // left unanalyzed, as autovacuum leaves a table nobody has written to yet: analyzed while
    // empty, they would tell the planner they stay empty, and a plan cached on that would scan
    // them in full once the run has filled them.
    await db.pool.query('VACUUM ANALYZE users, one_time_tokens, sessions, refresh_tokens, clients');
    // Write the seed's dirty pages out now, so the flows do not pay for the setup's checkpoint.
    await db.pool.query('CHECKPOINT').catch(() => undefined);
  } finally {
    await db.close();
  }
}

function* chunks(count: number): Generator<number[]> {
  for (let start = 0; start < count; start += CHUNK) {
    yield Array.from({ length: Math.min(CHUNK, count - start) }, (_, k) => start + k);
  }
}
