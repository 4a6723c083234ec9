/**
 * Test fixtures that clean up after themselves: each `with...` helper registers its own teardown
 * on the scope it is given (a test's `t`, or a suite or per-test scope from below), so no test
 * can leak an app, a worker, a server or a database into the next one. Teardowns run in reverse
 * order: apps close before their database is dropped.
 */
import { after, afterEach } from 'node:test';
import { startTestApp, useLocalAws, type TestApp } from './app.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startSesLocal, type SesLocal } from './ses-local.ts';
import { startSnsFake, type SnsFake } from './sns-fake.ts';

/** Where a fixture registers its teardown; a node:test TestContext is one. */
export interface Scope {
  after(fn: () => unknown): void;
}

function hookScope(hook: typeof after): Scope {
  const teardowns: (() => unknown)[] = [];
  hook(async () => {
    // Every teardown runs even when one fails (an app whose responses broke the contract rejects
    // its close): a server left open would keep the test file from ever ending.
    const failures: unknown[] = [];
    for (let teardown = teardowns.pop(); teardown !== undefined; teardown = teardowns.pop()) {
      try {
        await teardown();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map((failure) => String((failure as Error).message ?? failure)).join('\n'));
  });
  return { after: (fn) => { teardowns.push(fn); } };
}

/** For what a suite's `before` creates: torn down after the suite. Call it in the `describe` body. */
export function suiteScope(): Scope {
  return hookScope(after);
}

/** For what each test creates: torn down after that test. Call it in the `describe` body. */
export function eachTestScope(): Scope {
  return hookScope(afterEach);
}

/** A fresh, migrated database, dropped at the end of the scope. */
export async function withDatabase(t: Scope, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(options);
  t.after(() => db.drop());
  return db;
}

/** The real app listening on a free port, closed at the end of the scope. */
export async function withTestApp(t: Scope, options: Parameters<typeof startTestApp>[0]): Promise<TestApp> {
  const app = await startTestApp(options);
  t.after(() => app.close());
  return app;
}

/** Local SES and/or SNS endpoints with the SDK pointed at them, closed at the end of the scope. */
export async function withLocalAws(t: Scope, which: { ses?: boolean; sns?: boolean }): Promise<{ ses: SesLocal; sns: SnsFake }> {
  const ses = which.ses ? await startSesLocal() : undefined;
  const sns = which.sns ? await startSnsFake() : undefined;
  if (ses) t.after(() => ses.close());
  if (sns) t.after(() => sns.close());
  useLocalAws({ ses: ses?.url, sns: sns?.url });
  return { ses: ses!, sns: sns! };
}

/**
 * Creates a user for an email address or a phone number (`+…`) and returns its id; an existing
 * user keeps its id and gets the flags given (by default: neither admin nor disabled).
 */
export async function createUser(db: TestDatabase, identifier: string, flags: { isAdmin?: boolean; disabled?: boolean } = {}): Promise<string> {
  const column = identifier.startsWith('+') ? 'phone_number' : 'email';
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO users (${column}, is_admin, disabled) VALUES ($1, $2, $3)
     ON CONFLICT (${column}) DO UPDATE SET is_admin = EXCLUDED.is_admin, disabled = EXCLUDED.disabled RETURNING id`,
    [identifier, flags.isAdmin ?? false, flags.disabled ?? false],
  );
  return rows[0]!.id;
}
