// Background workers in the real app: nothing runs until the app is ready, and a start that
// fails (here: the AWS sender check) leaves no key-maintenance timer writing to the database.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createTestClock, startTestApp, testEnv } from '../helpers/app.ts';
import { suiteScope, withDatabase } from '../helpers/fixtures.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('workers', () => {
  let db: TestDatabase;
  const suite = suiteScope();
  before(async () => {
    db = await withDatabase(suite);
  });

  async function keyCount(): Promise<number> {
    return (await db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM signing_keys')).rows[0]!.count;
  }

  it('leaves no key maintenance running when the sender check fails at start', async () => {
    const clock = createTestClock();
    const config = loadConfig(testEnv(db, { KEY_RELOAD_INTERVAL: '1', KEY_ROTATION_INTERVAL: '3600', JWKS_MAX_AGE: '1' }));
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      await assert.rejects(buildApp(config, { substitutes: { clock }, logStream: { write() {} } }), /no AWS region is configured/);
    } finally {
      process.env.AWS_REGION = region;
    }
    assert.equal(await keyCount(), 1, 'the first start created the current key');
    // A maintenance step now would create the next key; a timer left behind would take it within a second.
    clock.advance(7200);
    await sleep(2500);
    assert.equal(await keyCount(), 1);
  });

  it('starts the workers when the app is ready and stops them when it closes', async () => {
    const clock = createTestClock();
    const app = await startTestApp({ db, clock, env: { KEY_RELOAD_INTERVAL: '1', KEY_ROTATION_INTERVAL: '3600', JWKS_MAX_AGE: '1' } });
    const started = app.logs.map((line) => JSON.parse(line) as { msg: string; workers?: string[] }).find((entry) => entry.msg === 'workers started');
    assert.deepEqual(started?.workers, ['key-maintenance', 'client-reload', 'session-purge', 'table-statistics', 'retention', 'delivery-admission', 'outbox-dispatcher', 'webhook-dispatcher']);
    clock.advance(7200);
    for (const deadline = Date.now() + 10_000; (await keyCount()) < 2 && Date.now() < deadline;) await sleep(100);
    assert.equal(await keyCount(), 2, 'key maintenance created the next key');
    await app.close();
    clock.advance(7200);
    await sleep(2500);
    assert.equal(await keyCount(), 2, 'nothing runs after close');
  });
});
