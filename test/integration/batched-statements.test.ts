// Code requests, guesses and sign-ins that arrive together share statements
// (statement-batcher.ts). Each call in a batch must get exactly what it would have got alone:
// the throttle (S7), who may sign in (S18), registration, blocked numbers (S21), revoking older
// codes, a job only for what is sent; a guess counted on its own token and budget (S5, S6); a
// sign-in spending its own code under its own client, with its own session (S4). Against the
// real PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createUser } from '../helpers/fixtures.ts';
import { createOneTimeTokenRepository, type ClaimedToken, type IssueTokenInput, type IssueTokenResult, type OneTimeTokenRepository } from '../../src/repositories/one-time-token-repository.ts';
import { createCodeHasher } from '../../src/lib/code-hasher.ts';
import { createDatabase } from '../../src/db/database.ts';
import { createSmsCounterRepository, type CounterWindow, type SmsCounterRepository } from '../../src/repositories/sms-counter-repository.ts';

describe('batched sign-in statements', () => {
  let db: TestDatabase;
  let repository: OneTimeTokenRepository;
  const issueStatements: number[] = [];
  const claimStatements: number[] = [];
  const consumeStatements: number[] = [];
  const hasher = createCodeHasher([randomBytes(32)]);

  before(async () => {
    db = await createTestDatabase();
    // Counts the issue statements and their batch sizes as they go to the pool.
    const counting = {
      query(config: pg.QueryConfig<unknown[]>) {
        // Planned per call, the batched statements carry their names as a leading comment.
        const name = /^\/\* (\w+) \*\//.exec(config.text)?.[1] ?? config.name ?? '';
        const size = Math.max(0, ...(config.values ?? []).map((value) => (Array.isArray(value) ? value.length : 0)));
        if (name.startsWith('otp_issue_')) issueStatements.push(size);
        if (name.startsWith('otp_claim_')) claimStatements.push(size);
        if (name === 'otp_consume') consumeStatements.push(size);
        return db.pool.query(config);
      },
    } as unknown as pg.Pool;
    repository = createOneTimeTokenRepository(counting, { maxBatch: 64, maxInFlight: 1 });
  });
  after(async () => { await db.drop(); });

  function input(destination: string, overrides: Partial<IssueTokenInput> = {}): IssueTokenInput {
    const now = new Date();
    const channel = destination.startsWith('+') ? 'mobile' : 'email';
    return {
      channel,
      destination,
      throttleKey: hasher.throttleKey(channel, destination),
      throttleSeconds: 60,
      now,
      expiresAt: new Date(now.getTime() + 600_000),
      shortHash: randomBytes(32),
      longHash: channel === 'email' ? randomBytes(32) : null,
      maxUses: 1,
      maxAttempts: 3,
      registerUnknown: false,
      allowAdmin: false,
      deliveryPayload: randomBytes(64),
      maskedDestination: 'm***@example.test',
      clientIp: '203.0.113.7',
      clientId: 'default',
      ...overrides,
    };
  }

  /** Holds the only statement slot with one request, so the others queue and go out as one batch. */
  async function asOneBatch(inputs: IssueTokenInput[]): Promise<{ first: IssueTokenResult; results: PromiseSettledResult<IssueTokenResult>[] }> {
    const first = repository.issue(input(`first-${randomBytes(4).toString('hex')}@example.test`));
    await new Promise((resolve) => setImmediate(resolve));
    const results = Promise.allSettled(inputs.map((each) => repository.issue(each)));
    return { first: await first, results: await results };
  }

  async function liveTokens(destination: string): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM one_time_tokens WHERE destination = $1 AND revoked_at IS NULL', [destination]);
    return rows[0]!.n;
  }
  async function jobsFor(userId: string): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_jobs WHERE user_id = $1', [userId]);
    return rows[0]!.n;
  }

  it('answers every request of one batch as it would have been answered alone', async () => {
    const known = 'known@example.test';
    const knownId = await createUser(db, known);
    const disabledId = await createUser(db, 'disabled@example.test', { disabled: true });
    const adminId = await createUser(db, 'admin@example.test', { isAdmin: true });
    const demoId = await createUser(db, 'demo@example.test');
    const before = issueStatements.length;

    const { results } = await asOneBatch([
      input(known),
      input('nobody@example.test'),
      input('newcomer@example.test', { registerUnknown: true }),
      input('disabled@example.test'),
      input('admin@example.test'),
      input('demo@example.test', { deliveryPayload: null }),
      input('blocked@example.test', { blocked: true }),
    ]);
    // The first request went alone; the seven queued behind it went out together.
    assert.deepEqual(issueStatements.slice(before), [1, 7]);
    const [knownResult, nobody, newcomer, disabled, admin, demo, blocked] = results.map((result) => {
      assert.equal(result.status, 'fulfilled');
      return (result as PromiseFulfilledResult<IssueTokenResult>).value;
    });

    assert.equal(knownResult!.outcome, 'accepted');
    assert.ok(knownResult!.outcome === 'accepted' && knownResult!.userId === knownId && !knownResult!.created && knownResult!.deliveryJobId !== null);
    assert.deepEqual(nobody, { outcome: 'accepted', userId: null, created: false, deliveryJobId: null });
    assert.ok(newcomer!.outcome === 'accepted' && newcomer!.userId !== null && newcomer!.created && newcomer!.deliveryJobId !== null);
    assert.deepEqual(disabled, { outcome: 'accepted', userId: null, created: false, deliveryJobId: null });
    assert.deepEqual(admin, { outcome: 'accepted', userId: null, created: false, deliveryJobId: null });
    assert.deepEqual(demo, { outcome: 'accepted', userId: demoId, created: false, deliveryJobId: null });
    assert.deepEqual(blocked, { outcome: 'accepted', userId: null, created: false, deliveryJobId: null });

    // What was written: a token and a job for the known user and the newcomer, a token and no job
    // for the demo identity, nothing for the others, and no user for the blocked number.
    assert.equal(await liveTokens(known), 1);
    assert.equal(await jobsFor(knownId), 1);
    assert.equal(await jobsFor(newcomer!.outcome === 'accepted' ? newcomer!.userId! : ''), 1);
    assert.equal(await liveTokens('demo@example.test'), 1);
    assert.equal(await jobsFor(demoId), 0);
    for (const nothing of ['nobody@example.test', 'disabled@example.test', 'admin@example.test', 'blocked@example.test']) assert.equal(await liveTokens(nothing), 0, nothing);
    assert.equal(await jobsFor(disabledId) + await jobsFor(adminId), 0);
    const { rows } = await db.pool.query('SELECT 1 FROM users WHERE email = $1', ['blocked@example.test']);
    assert.equal(rows.length, 0);
  });

  it('throttles a second request for one address in the same burst, never putting both in one statement (S7)', async () => {
    const address = 'twice@example.test';
    await createUser(db, address);
    const before = issueStatements.length;
    const firstInput = input(address);
    const { results } = await asOneBatch([firstInput, input(address), input('other@example.test')]);
    const [first, second] = results.map((result) => (result as PromiseFulfilledResult<IssueTokenResult>).value);
    assert.equal(first!.outcome, 'accepted');
    assert.equal(second!.outcome, 'throttled');
    assert.equal(second!.outcome === 'throttled' && second!.previousRequestAt?.getTime(), firstInput.now.getTime());
    // The second request for the address waited for the statement that held the first.
    assert.deepEqual(issueStatements.slice(before), [1, 2, 1]);
    assert.equal(await liveTokens(address), 1);
  });

  it('revokes the older live code of every address in the batch', async () => {
    const addresses = ['again-1@example.test', 'again-2@example.test'];
    for (const address of addresses) await createUser(db, address);
    await asOneBatch(addresses.map((address) => input(address, { throttleSeconds: 0 })));
    await asOneBatch(addresses.map((address) => input(address, { throttleSeconds: 0 })));
    for (const address of addresses) {
      const { rows } = await db.pool.query<{ total: number; live: number }>(
        'SELECT count(*)::int AS total, count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM one_time_tokens WHERE destination = $1', [address]);
      assert.deepEqual(rows[0], { total: 2, live: 1 }, address);
    }
  });

  it('fails only the request the database refuses; the others of its batch are stored', async () => {
    const good = ['good-1@example.test', 'good-2@example.test'];
    for (const address of good) await createUser(db, address);
    await createUser(db, 'refused@example.test');
    // A NUL character is not valid in PostgreSQL text: the whole statement fails on it.
    const { results } = await asOneBatch([input(good[0]!), input('refused@example.test', { maskedDestination: 'r\u0000@example.test' }), input(good[1]!)]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    assert.equal(results[2]!.status, 'fulfilled');
    for (const address of good) assert.equal(await liveTokens(address), 1, address);
    assert.equal(await liveTokens('refused@example.test'), 0);
  });

  it('issues by phone number in batches of its own channel', async () => {
    const numbers = ['+14155550101', '+14155550102'];
    for (const number of numbers) await createUser(db, number);
    const before = issueStatements.length;
    const { results } = await asOneBatch(numbers.map((number) => input(number)));
    assert.ok(results.every((result) => result.status === 'fulfilled' && result.value.outcome === 'accepted' && result.value.deliveryJobId !== null));
    assert.deepEqual(issueStatements.slice(before).sort(), [1, 2]);
  });

  const budget = () => {
    const now = Date.now();
    return { perNetworkPerHour: 10, perNetworkPerDay: 30, perDay: 100, hourWindowStart: new Date(now - 3_600_000), dayWindowStart: new Date(now - 86_400_000) };
  };
  const guessAt = (destination: string, network = '203.0.113.0/24') => ({
    channel: 'email' as const, destination, now: new Date(), guess: { network, windowStart: new Date(Math.floor(Date.now() / 60_000) * 60_000) }, budget: budget(),
  });
  /** Holds the only slot with one call, so the calls made next queue and go out as one batch. */
  async function behindOne<T>(first: () => Promise<unknown>, calls: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
    const held = first();
    await new Promise((resolve) => setImmediate(resolve));
    const results = Promise.allSettled(calls.map((call) => call()));
    await held;
    return results;
  }
  async function attempts(destination: string): Promise<number[]> {
    const { rows } = await db.pool.query<{ attempts: number }>('SELECT attempts FROM one_time_tokens WHERE destination = $1 ORDER BY id', [destination]);
    return rows.map((row) => row.attempts);
  }

  it('counts each guess of a batch on its own newest live token, within its own budget (S5, S6)', async () => {
    const withCode = ['guess-1@example.test', 'guess-2@example.test'];
    for (const address of withCode) await createUser(db, address);
    await asOneBatch(withCode.map((address) => input(address)));
    await createUser(db, 'spent@example.test');
    await asOneBatch([input('spent@example.test', { maxAttempts: 1 } as Partial<IssueTokenInput>)]);
    // Out of its network's hourly budget.
    await createUser(db, 'budget@example.test');
    await asOneBatch([input('budget@example.test')]);
    await db.pool.query(`INSERT INTO guess_failures (channel, destination, network, window_start, failures) VALUES ('email', 'budget@example.test', '203.0.113.0/24', now(), 10)`);

    const before = claimStatements.length;
    const results = await behindOne(() => repository.claimAttempt(guessAt('first-guess@example.test')), [
      () => repository.claimAttempt(guessAt(withCode[0]!)),
      () => repository.claimAttempt(guessAt('no-code@example.test')),
      () => repository.claimAttempt(guessAt(withCode[1]!)),
      () => repository.claimAttempt(guessAt('budget@example.test')),
      () => repository.claimAttempt(guessAt('budget@example.test', '198.51.100.0/24')),
    ]);
    assert.deepEqual(claimStatements.slice(before), [1, 4, 1], 'the second guess at one address waits for the first');
    const [first, none, second, overBudget, otherNetwork] = results.map((result) => (result as PromiseFulfilledResult<Awaited<ReturnType<OneTimeTokenRepository['claimAttempt']>>>).value);
    assert.ok(first && second && first.id !== second.id);
    assert.equal(none, null);
    assert.equal(overBudget, null);
    assert.ok(otherNetwork !== null, 'another network still has its own budget');
    for (const address of withCode) assert.deepEqual(await attempts(address), [1], address);
    assert.deepEqual(await attempts('budget@example.test'), [1]);
    const { rows } = await db.pool.query<{ destination: string; network: string; failures: number }>(
      `SELECT destination, network, failures FROM guess_failures WHERE destination = ANY($1) AND window_start > now() - interval '2 minutes' ORDER BY destination, network`,
      [[...withCode, 'budget@example.test']]);
    assert.deepEqual(rows.map((row) => [row.destination, row.network, row.failures]), [
      ['budget@example.test', '198.51.100.0/24', 1],
      ['budget@example.test', '203.0.113.0/24', 10],
      ['guess-1@example.test', '203.0.113.0/24', 1],
      ['guess-2@example.test', '203.0.113.0/24', 1],
    ]);
  });

  it('signs each user of a batch in with its own code, session and refresh token (S4)', async () => {
    const people = ['in-1@example.test', 'in-2@example.test', 'in-3@example.test', 'in-4@example.test'];
    const ids: string[] = [];
    for (const address of people) ids.push(await createUser(db, address));
    await asOneBatch(people.map((address) => input(address, address === 'in-4@example.test' ? { clientId: 'other-app' } : {})));
    const claims: ClaimedToken[] = [];
    for (const address of people) claims.push((await repository.claimAttempt(guessAt(address)))!);
    // Disabled between its guess and its sign-in.
    await db.pool.query(`UPDATE users SET disabled = true WHERE email = 'in-3@example.test'`);
    const sessionFor = (index: number) => ({ expiresAt: new Date(Date.now() + 86_400_000), ip: `203.0.113.${index}`, userAgent: `agent ${index}`, refreshHash: randomBytes(32) });
    const signIn = (index: number) => {
      const claim = claims[index]!;
      return repository.consume({
        id: claim.id, userId: claim.userId, now: new Date(), allowAdmin: false, session: sessionFor(index),
        guess: guessAt(people[index]!).guess, client: { clientId: 'default', defaultClientId: 'default' },
      });
    };
    const firstRefresh = randomBytes(32);
    const before = consumeStatements.length;
    const results = await behindOne(
      async () => {
        // Another user's sign-in holds the slot.
        const address = 'in-first@example.test';
        const userId = await createUser(db, address);
        await asOneBatch([input(address)]);
        const claim = (await repository.claimAttempt(guessAt(address)))!;
        return repository.consume({ id: claim.id, userId, now: new Date(), allowAdmin: false, session: { ...sessionFor(9), refreshHash: firstRefresh }, guess: guessAt(address).guess, client: { clientId: 'default', defaultClientId: 'default' } });
      },
      [0, 1, 2, 3].map((index) => () => signIn(index)),
    );
    assert.ok(consumeStatements.slice(before).includes(4), `batches: ${JSON.stringify(consumeStatements.slice(before))}`);
    const [one, two, disabled, otherClient] = results.map((result) => (result as PromiseFulfilledResult<Awaited<ReturnType<OneTimeTokenRepository['consume']>>>).value);
    assert.equal(disabled, null, 'a disabled user is not signed in');
    assert.equal(otherClient, null, 'a code requested under another client is not spent here');
    for (const [index, user] of [[0, one], [1, two]] as const) {
      assert.ok(user);
      assert.equal(user.id, ids[index]);
      assert.equal(user.email, people[index]);
      assert.deepEqual(user.amr, ['otp']);
      const { rows } = await db.pool.query<{ user_id: string; ip: string; user_agent: string }>('SELECT user_id, ip, user_agent FROM sessions WHERE id = $1', [user.sessionId]);
      assert.deepEqual(rows[0], { user_id: ids[index], ip: `203.0.113.${index}`, user_agent: `agent ${index}` });
      const refresh = await db.pool.query<{ session_id: string }>('SELECT session_id FROM refresh_tokens WHERE session_id = $1', [user.sessionId]);
      assert.equal(refresh.rows.length, 1);
    }
    // Spent once: the code's use is gone, its guess refunded (a disabled user's code too, as a
    // sign-in alone spends it); the other client's code is untouched.
    const { rows } = await db.pool.query<{ email: string; uses: number; attempts: number }>(
      `SELECT destination AS email, uses, attempts FROM one_time_tokens WHERE destination = ANY($1) ORDER BY destination`, [people]);
    assert.deepEqual(rows.map((row) => [row.email, row.uses, row.attempts]), [
      ['in-1@example.test', 1, 0], ['in-2@example.test', 1, 0], ['in-3@example.test', 1, 0], ['in-4@example.test', 0, 1],
    ]);
  });

  it('plans each batched statement once per connection, not at every call', async () => {
    // The service's pool (createDatabase) with one connection, so every call shares its plans.
    const database = createDatabase(db.url, { poolSize: 1 });
    try {
      const ownRepository = createOneTimeTokenRepository(database.pool);
      const addresses = Array.from({ length: 8 }, (_, i) => `planned-${i}@example.test`);
      for (const address of addresses) await createUser(db, address);
      for (const address of addresses) await ownRepository.issue(input(address));
      for (const address of addresses) await ownRepository.claimAttempt(guessAt(address));
      const { rows } = await database.pool.query<{ name: string; generic_plans: string; custom_plans: string }>(
        `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name IN ('otp_issue_email', 'otp_claim_email') ORDER BY name`);
      // Left to choose, PostgreSQL planned the guess statement afresh at every call (custom plans).
      assert.deepEqual(rows.map((row) => [row.name, Number(row.generic_plans), Number(row.custom_plans)]), [['otp_claim_email', 8, 0], ['otp_issue_email', 8, 0]]);
    } finally {
      await database.close();
    }
  });
});

// SMS charges that arrive together share a statement (sms-counter-repository.ts): each job must
// get the counts a statement of its own would have returned had the batch's earlier jobs gone
// first, a retried job must count nothing, and the counters must end where single charges
// would have left them (S21, S38).
describe('batched SMS charges', () => {
  let db: TestDatabase;
  let counters: SmsCounterRepository;
  const chargeStatements: number[] = [];
  const hour = new Date('2031-03-04T05:00:00Z');
  const day = new Date('2031-03-04T00:00:00Z');

  before(async () => {
    db = await createTestDatabase();
    const counting = {
      query(config: pg.QueryConfig<unknown[]>) {
        if (config.name === 'sms_counter_charge') chargeStatements.push((config.values![0] as unknown[]).length);
        return db.pool.query(config);
      },
    } as unknown as pg.Pool;
    counters = createSmsCounterRepository(counting);
  });
  after(async () => { await db.drop(); });

  async function job(phone: string, verified = false): Promise<{ id: string; userId: string }> {
    const userId = await createUser(db, phone);
    if (verified) await db.pool.query('UPDATE users SET phone_number_verified = true WHERE id = $1', [userId]);
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO delivery_jobs (user_id, channel, destination_masked, next_attempt_at, expires_at, created_at)
       VALUES ($1, 'mobile', '+1******0000', now(), now() + interval '10 minutes', now()) RETURNING id::text`, [userId]);
    return { id: rows[0]!.id, userId };
  }
  /** The guard's windows for a number: its country's and prefix's hour, the day, and the account's part of each. */
  function windows(prefix: string, userId: string): CounterWindow[] {
    return [
      { key: 'country:US', windowStart: hour }, { key: `country:US|user:${userId}`, windowStart: hour },
      { key: `prefix:${prefix}`, windowStart: hour }, { key: `prefix:${prefix}|user:${userId}`, windowStart: hour },
      { key: 'global', windowStart: day },
    ];
  }
  async function count(key: string, windowStart: Date): Promise<number | undefined> {
    const { rows } = await db.pool.query<{ count: number }>('SELECT count FROM sms_counters WHERE key = $1 AND window_start = $2', [key, windowStart]);
    return rows[0]?.count;
  }

  it('gives each job of a batch the counts it would have had alone, in order, and counts a retried job once', async () => {
    const earlier = await job('+12015550100');
    // Before the batch: one message already counted, so the batch continues from it.
    assert.deepEqual((await counters.charge({ jobId: earlier.id, counters: windows('1201555', earlier.userId) })).counts, [1, 1, 1, 1, 1]);
    const jobs = [await job('+12015550101'), await job('+12015550102', true), await job('+13125550103'), await job('+12015550104')];
    chargeStatements.length = 0;
    // The first charge takes the only slot; the others queue behind it and go out together,
    // with the earlier job's retry among them.
    const first = counters.charge({ jobId: jobs[0]!.id, counters: windows('1201555', jobs[0]!.userId) });
    await new Promise((resolve) => setImmediate(resolve));
    const rest = await Promise.all([
      counters.charge({ jobId: jobs[1]!.id, counters: windows('1201555', jobs[1]!.userId) }),
      counters.charge({ jobId: earlier.id, counters: windows('1201555', earlier.userId) }),
      counters.charge({ jobId: jobs[2]!.id, counters: windows('1312555', jobs[2]!.userId) }),
      counters.charge({ jobId: jobs[3]!.id, counters: windows('1201555', jobs[3]!.userId) }),
    ]);
    assert.deepEqual(chargeStatements, [1, 4], 'one statement, then one for the four that queued');
    assert.deepEqual(await first, { charged: true, proven: false, counts: [2, 1, 2, 1, 2] });
    assert.deepEqual(rest, [
      { charged: true, proven: true, counts: [3, 1, 3, 1, 3] },
      { charged: false, proven: false, counts: [] },
      { charged: true, proven: false, counts: [4, 1, 1, 1, 4] },
      { charged: true, proven: false, counts: [5, 1, 4, 1, 5] },
    ]);
    assert.equal(await count('country:US', hour), 5);
    assert.equal(await count('prefix:1201555', hour), 4);
    assert.equal(await count('prefix:1312555', hour), 1);
    assert.equal(await count('global', day), 5);
    assert.equal(await count(`country:US|user:${earlier.userId}`, hour), 1, 'the retry counted nothing');
    await counters.decrement(windows('1201555', jobs[3]!.userId));
    assert.equal(await count('country:US', hour), 4);
    assert.equal(await count('prefix:1201555', hour), 3);
    assert.equal(await count(`prefix:1201555|user:${jobs[3]!.userId}`, hour), 0);
  });

  it('keeps charges of many concurrent sends exact: every job counted once, the counters at the number of jobs', async () => {
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => job(`+1646555${String(1000 + i)}`)));
    chargeStatements.length = 0;
    const charges = await Promise.all(many.map((each) => counters.charge({ jobId: each.id, counters: windows('1646555', each.userId) })));
    assert.ok(chargeStatements.length < many.length, `${chargeStatements.length} statements for ${many.length} charges`);
    // The prefix's counts are 1..40, each once: no two jobs saw the same count.
    assert.deepEqual(charges.map((charge) => charge.counts[2]).sort((a, b) => a! - b!), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.equal(await count('prefix:1646555', hour), 40);
  });
});
