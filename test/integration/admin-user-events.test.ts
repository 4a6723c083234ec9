// The admin API's user changes reach webhooks: user.created, user.updated (with session.revoked
// for each session a disable ends) and user.deleted are recorded in the same transaction as the
// change, and carry ids and masked identifiers only (S34).
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { eventually, type TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { suiteScope, withDatabase, withTestApp } from '../helpers/fixtures.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { withWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

interface Payload { type: string; timestamp: string; data: Record<string, unknown> }

describe('admin user events', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;
  let receiver: WebhookReceiver;
  let key: string;

  before(async () => {
    db = await withDatabase(suite);
    receiver = await withWebhookReceiver(suite);
    server = await withTestApp(suite, { db, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, webhookDispatcher: { retryBaseMs: 1, retryMaxMs: 1, pollIntervalMs: 50, timeoutMs: 300 } });
    key = await createAdminKey(server);
    const hook = await adminCall(server, 'POST', '/admin/webhooks', key, { url: `${receiver.url}/events`, events: ['user.created', 'user.updated', 'user.deleted', 'session.revoked'] });
    assert.equal(hook.status, 201, await hook.clone().text());
  });

  /** Every payload received so far, once at least `count` have arrived. */
  async function payloads(count: number): Promise<Payload[]> {
    await eventually(async () => {
      await server.app.services.webhookDelivery.drain();
      return receiver.received.length >= count ? true : undefined;
    });
    return receiver.received.map((request) => JSON.parse(request.body) as Payload);
  }

  it('sends user.created, user.updated, session.revoked and user.deleted with masked identifiers', async () => {
    const created = await adminCall(server, 'POST', '/admin/users', key, { email: 'webhooked@example.com', phone_number: '+14155550122' });
    const userId = ((await created.json()) as { id: string }).id;
    // A session to end: a sign-in link exchanged.
    const link = (await (await adminCall(server, 'POST', `/admin/users/${userId}/sign-in-link`, key, {})).json()) as { token: string };
    const exchange = await server.post('/passwordless/exchange/standalone', { token: link.token });
    assert.equal(exchange.status, 200);
    const sessionId = (await db.pool.query('SELECT id FROM sessions WHERE user_id = $1', [userId])).rows[0].id;
    assert.equal((await adminCall(server, 'PATCH', `/admin/users/${userId}`, key, { disabled: true })).status, 200);
    assert.equal((await adminCall(server, 'DELETE', `/admin/users/${userId}`, key)).status, 204);

    const received = await payloads(4);
    const user = { user_id: userId, email: 'w***@example.com', phone_number: received.find((payload) => payload.type === 'user.created')!.data.phone_number };
    // Deliveries may be sent in parallel: compared in any order.
    const sorted = (items: [string, unknown][]) => [...items].sort((a, b) => a[0].localeCompare(b[0]));
    assert.deepEqual(sorted(received.map((payload): [string, unknown] => [payload.type, payload.data])), sorted([
      ['user.created', user],
      ['user.updated', user],
      ['session.revoked', { user_id: userId, session_id: sessionId, reason: 'user_disabled' }],
      ['user.deleted', user],
    ]));
    assert.match(String(user.phone_number), /^\+1\*+0122$/);
    const everything = receiver.received.map((request) => request.body).join('\n');
    assert.ok(!everything.includes('webhooked@example.com') && !everything.includes('+14155550122') && !everything.includes(link.token));
  });

  it('sends session.revoked for each session an admin revokes, and nothing for a refused change', async () => {
    const before = receiver.received.length;
    const created = await adminCall(server, 'POST', '/admin/users', key, { email: 'two-sessions@example.com' });
    const userId = ((await created.json()) as { id: string }).id;
    for (let i = 0; i < 2; i++) {
      const link = (await (await adminCall(server, 'POST', `/admin/users/${userId}/sign-in-link`, key, {})).json()) as { token: string };
      assert.equal((await server.post('/passwordless/exchange/standalone', { token: link.token })).status, 200);
    }
    assert.deepEqual(await (await adminCall(server, 'DELETE', `/admin/users/${userId}/sessions`, key)).json(), { revoked: 2 });
    // A refused change writes no event: the transaction never ran or rolled back.
    assert.equal((await adminCall(server, 'POST', '/admin/users', key, { email: 'two-sessions@example.com' })).status, 409);
    assert.equal((await adminCall(server, 'PATCH', `/admin/users/${userId}`, key, { email: null })).status, 400);
    const types = (await payloads(before + 3)).slice(before).map((payload) => `${payload.type} ${payload.data.reason ?? ''}`).sort();
    assert.deepEqual(types, ['session.revoked admin_revoked', 'session.revoked admin_revoked', 'user.created ']);
  });
});
