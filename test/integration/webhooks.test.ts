// Webhooks: the admin API (/admin/webhooks, scope webhooks:write), events from sign-in, sessions
// and the admin API's transactions, Standard Webhooks signatures checked with the reference
// library as an independent receiver, retries through a receiver that fails first, manual
// re-sends, the request forgery rules at send time (S42), and seven-day retention.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { TestApp } from '../helpers/app.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { createUser, suiteScope, withDatabase, withLocalAws, withTestApp } from '../helpers/fixtures.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import { signIn } from '../helpers/sign-in.ts';
import { withWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

interface WebhookBody { id: string; url: string; events: string[]; enabled: boolean; created_at: string; updated_at: string; secret?: string }
interface DeliveryBody { id: string; event_type: string; status: string; attempts: { status: number | null; duration_ms: number; error: string | null }[] }

const ALL_EVENTS = ['user.created', 'user.updated', 'user.deleted', 'user.signed_in', 'session.revoked', 'token.reuse_detected', 'code.blocked'];

describe('webhooks', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;
  let ses: SesLocal;
  let receiver: WebhookReceiver;
  let key: string;

  before(async () => {
    db = await withDatabase(suite);
    ({ ses } = await withLocalAws(suite, { ses: true }));
    receiver = await withWebhookReceiver(suite);
    server = await withTestApp(suite, {
      db,
      env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', TOKEN_REQUEST_THROTTLE_SECONDS: '0', REFRESH_REUSE_GRACE_SECONDS: '0', REGISTER_NONEXISTENT_USERS: 'true' },
      // Retries come within milliseconds here; production waits 10 s and more.
      webhookDispatcher: { retryBaseMs: 1, retryMaxMs: 1, pollIntervalMs: 50, timeoutMs: 300 },
    });
    key = await createAdminKey(server, ['webhooks:write']);
  });

  async function create(body: unknown): Promise<WebhookBody> {
    const response = await adminCall(server, 'POST', '/admin/webhooks', key, body);
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as WebhookBody;
  }

  async function deliveries(id: string): Promise<DeliveryBody[]> {
    const response = await adminCall(server, 'GET', `/admin/webhooks/${id}/deliveries`, key);
    assert.equal(response.status, 200);
    return ((await response.json()) as { data: DeliveryBody[] }).data;
  }

  async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20)); // emit writes after the reply
    await server.app.services.webhookDelivery.drain();
  }

  async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 200; i++) {
      await settle();
      const value = await check();
      if (value !== undefined) return value;
    }
    throw new Error('condition not met');
  }

  async function remove(id: string): Promise<void> {
    assert.equal((await adminCall(server, 'DELETE', `/admin/webhooks/${id}`, key)).status, 204);
  }

  it('needs an admin key with webhooks:write (S41)', async () => {
    const none = await adminCall(server, 'GET', '/admin/webhooks', undefined);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const other = await createAdminKey(server, ['users:read']);
    const refused = await adminCall(server, 'POST', '/admin/webhooks', other, { url: `${receiver.url}/x`, events: ['user.created'] });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'insufficient_scope');
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n, 0);
    // The public listener serves none of it.
    assert.equal((await fetch(`${server.url}/admin/webhooks`, { headers: { authorization: `Bearer ${key}` } })).status, 404);
  });

  it('creates a webhook and shows its whsec_ secret once; the secret is stored encrypted; the change is audited', async () => {
    const created = await create({ url: `${receiver.url}/created`, events: ['user.created', 'user.created', 'user.deleted'] });
    assert.match(created.secret!, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(created.events, ['user.created', 'user.deleted']);
    assert.equal(created.enabled, true);
    const read = (await (await adminCall(server, 'GET', `/admin/webhooks/${created.id}`, key)).json()) as WebhookBody;
    assert.deepEqual(Object.keys(read).sort(), ['created_at', 'enabled', 'events', 'id', 'updated_at', 'url']);
    const listed = (await (await adminCall(server, 'GET', '/admin/webhooks', key)).json()) as { data: WebhookBody[] };
    assert.ok(listed.data.every((item) => item.secret === undefined));
    const { rows } = await db.pool.query('SELECT w::text AS everything FROM webhooks w WHERE id = $1', [created.id]);
    assert.ok(!rows[0].everything.includes(created.secret!.slice(6)));
    assert.ok(!rows[0].everything.includes(Buffer.from(created.secret!.slice(6), 'base64').toString('hex')));
    await server.app.services.audit.flush();
    const audit = await db.pool.query(`SELECT detail FROM audit_events WHERE event = 'admin.webhook_created' AND detail->>'webhookId' = $1`, [created.id]);
    assert.equal(audit.rows.length, 1);
    assert.ok(typeof audit.rows[0].detail.adminKeyId === 'string');
    assert.ok(!JSON.stringify(audit.rows).includes(key.slice(4)));
    await remove(created.id);
  });

  it('refuses URLs that break the outbound rules and unknown events, writing nothing (S42)', async () => {
    for (const url of ['http://hooks.example.com/x', 'ftp://127.0.0.1/x', 'https://user:pw@hooks.example.com/', 'not a url', 'http://10.0.0.1/x']) {
      const response = await adminCall(server, 'POST', '/admin/webhooks', key, { url, events: ['user.created'] });
      assert.equal(response.status, 400, url);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_webhook_url');
    }
    const unknown = await adminCall(server, 'POST', '/admin/webhooks', key, { url: `${receiver.url}/x`, events: ['user.exploded'] });
    assert.equal(((await unknown.json()) as { code: string }).code, 'invalid_webhook_events');
    const empty = await adminCall(server, 'POST', '/admin/webhooks', key, { url: `${receiver.url}/x`, events: [] });
    assert.equal(empty.status, 400);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n, 0);
  });

  it('pages the list with limit and an opaque cursor, and refuses a bad limit or cursor', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ url: `${receiver.url}/page${i}`, events: ['user.deleted'], enabled: false })).id);
    const first = (await (await adminCall(server, 'GET', '/admin/webhooks?limit=2', key)).json()) as { data: WebhookBody[]; next_cursor: string | null };
    assert.equal(first.data.length, 2);
    assert.ok(first.next_cursor);
    const second = (await (await adminCall(server, 'GET', `/admin/webhooks?limit=2&cursor=${first.next_cursor}`, key)).json()) as { data: WebhookBody[]; next_cursor: string | null };
    assert.equal(second.data.length, 1);
    assert.equal(second.next_cursor, null);
    assert.deepEqual([...first.data, ...second.data].map((item) => item.id).sort(), [...ids].sort());
    assert.equal((await adminCall(server, 'GET', '/admin/webhooks?limit=0', key)).status, 400);
    assert.equal((await adminCall(server, 'GET', '/admin/webhooks?limit=201', key)).status, 400);
    const bad = await adminCall(server, 'GET', '/admin/webhooks?cursor=garbage', key);
    assert.equal(((await bad.json()) as { code: string }).code, 'invalid_cursor');
    for (const id of ids) await remove(id);
  });

  it('changes and deletes a webhook; an unknown id answers 404 webhook_not_found', async () => {
    const created = await create({ url: `${receiver.url}/patch`, events: ['user.created'] });
    const patched = await adminCall(server, 'PATCH', `/admin/webhooks/${created.id}`, key, { enabled: false, events: ['session.revoked'] });
    assert.equal(patched.status, 200);
    const body = (await patched.json()) as WebhookBody;
    assert.equal(body.enabled, false);
    assert.deepEqual(body.events, ['session.revoked']);
    assert.equal(body.url, `${receiver.url}/patch`);
    const badUrl = await adminCall(server, 'PATCH', `/admin/webhooks/${created.id}`, key, { url: 'http://example.com/' });
    assert.equal(badUrl.status, 400);
    await remove(created.id);
    for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['GET', '/deliveries']] as const) {
      for (const id of [created.id, 'not-a-uuid']) {
        const response = await adminCall(server, method, `/admin/webhooks/${id}${path}`, key, method === 'PATCH' ? { enabled: true } : undefined);
        assert.equal(response.status, 404, `${method} ${id}${path}`);
        assert.equal(((await response.json()) as { code: string }).code, 'webhook_not_found');
      }
    }
  });

  it('signs each delivery so the standardwebhooks library verifies it; payloads carry ids and masked identifiers only', async () => {
    const hook = await create({ url: `${receiver.url}/signed`, events: ALL_EVENTS });
    const muted = await create({ url: `${receiver.url}/muted`, events: ALL_EVENTS, enabled: false });
    const other = await create({ url: `${receiver.url}/other`, events: ['user.deleted'] });
    const email = 'webhook.reader@example.com';
    const tokens = await signIn(server, ses, email);
    const mail = (await ses.emails(email)).at(-1)!;
    const signed = await until(async () => {
      const got = receiver.received.filter((request) => request.path === '/signed');
      return got.length >= 2 ? got : undefined;
    });
    const verifier = new Webhook(hook.secret!);
    const payloads = signed.map((request) => verifier.verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, unknown> });
    const userId = (await db.pool.query('SELECT id FROM users WHERE email = $1', [email])).rows[0].id as string;
    const created = payloads.find((payload) => payload.type === 'user.created')!;
    assert.deepEqual(created.data, { user_id: userId, email: 'w***@example.com', phone_number: null });
    assert.ok(Math.abs(Date.parse(created.timestamp) - Date.now()) < 60_000);
    const signedIn = payloads.find((payload) => payload.type === 'user.signed_in')!;
    assert.deepEqual(Object.keys(signedIn.data).sort(), ['method', 'session_id', 'user_id']);
    assert.equal(signedIn.data.user_id, userId);
    assert.equal(signedIn.data.method, 'code');
    for (const request of signed) {
      assert.match(request.headers['webhook-id']!, /^msg_[0-9a-f-]{36}$/);
      assert.equal(request.headers['content-type'], 'application/json');
      // Never a code, a link, a token, a key or a full identifier.
      for (const secret of [email, tokens.access_token, tokens.refresh_token, hook.secret!, hook.secret!.slice(6), ...(mail.body.text ?? '').match(/\b[0-9]{6}\b/g) ?? []]) {
        assert.ok(!request.body.includes(secret), `payload carries ${secret.slice(0, 8)}...`);
      }
    }
    // Another secret does not verify.
    assert.throws(() => new Webhook(other.secret!).verify(signed[0]!.body, signed[0]!.headers));
    assert.equal(receiver.received.filter((request) => request.path === '/muted' || request.path === '/other').length, 0);
    const listed = await deliveries(hook.id);
    assert.deepEqual(listed.map((delivery) => delivery.status), ['delivered', 'delivered']);
    assert.equal(listed[0]!.attempts[0]!.status, 200);
    // The message id is the delivery's id.
    assert.deepEqual(new Set(signed.map((request) => request.headers['webhook-id'])), new Set(listed.map((delivery) => `msg_${delivery.id}`)));
    for (const id of [hook.id, muted.id, other.id]) await remove(id);
  });

  it('retries a receiver that fails first (503, 429, timeout), keeping every attempt, and then delivers once', async () => {
    const hook = await create({ url: `${receiver.url}/flaky`, events: ['session.revoked'] });
    receiver.queue({ status: 503 }, { status: 429 }, { status: 200, delayMs: 1_000 });
    const tokens = await signIn(server, ses, 'flaky@example.com');
    const logout = await fetch(`${server.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(logout.status, 204);
    const [delivery] = await until(async () => {
      const list = await deliveries(hook.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    assert.deepEqual(delivery!.attempts.map((attempt) => [attempt.status, attempt.error]), [[503, 'HTTP 503'], [429, 'HTTP 429'], [null, 'TimeoutError'], [200, null]]);
    assert.ok(delivery!.attempts.every((attempt) => attempt.duration_ms >= 0));
    const sent = receiver.received.filter((request) => request.path === '/flaky');
    assert.equal(sent.length, 4);
    // One message, four attempts: the same webhook-id each time, a fresh signature each time.
    assert.equal(new Set(sent.map((request) => request.headers['webhook-id'])).size, 1);
    const payload = new Webhook(hook.secret!).verify(sent[3]!.body, sent[3]!.headers) as { type: string; data: Record<string, unknown> };
    assert.equal(payload.type, 'session.revoked');
    assert.equal(payload.data.reason, 'logout');
    await remove(hook.id);
  });

  it('fails at once on another 4xx or a redirect, and a manual retry re-sends it', async () => {
    const hook = await create({ url: `${receiver.url}/strict`, events: ['token.reuse_detected'] });
    receiver.queue({ status: 400 });
    const tokens = await signIn(server, ses, 'reuse@example.com');
    const first = await server.post('/token/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(first.status, 200);
    const reused = await server.post('/token/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(reused.status, 400);
    const [failed] = await until(async () => {
      const list = await deliveries(hook.id);
      return list[0]?.status === 'failed' ? list : undefined;
    });
    assert.deepEqual(failed!.attempts.map((attempt) => attempt.status), [400]);
    const retried = await adminCall(server, 'POST', `/admin/webhooks/${hook.id}/deliveries/${failed!.id}/retry`, key);
    assert.equal(retried.status, 202);
    const [delivered] = await until(async () => {
      const list = await deliveries(hook.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    assert.deepEqual(delivered!.attempts.map((attempt) => attempt.status), [400, 200]);
    const missing = await adminCall(server, 'POST', `/admin/webhooks/${hook.id}/deliveries/00000000-0000-0000-0000-000000000000/retry`, key);
    assert.equal(((await missing.json()) as { code: string }).code, 'webhook_delivery_not_found');
    await server.app.services.audit.flush();
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE event = 'admin.webhook_delivery_retried'`)).rows[0].n, 1);

    receiver.queue({ status: 302 });
    await fetch(`${server.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    await adminCall(server, 'PATCH', `/admin/webhooks/${hook.id}`, key, { events: ['session.revoked'] });
    const again = await signIn(server, ses, 'reuse@example.com');
    await fetch(`${server.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${again.access_token}` } });
    const redirected = await until(async () => {
      const list = await deliveries(hook.id);
      return list[0]?.event_type === 'session.revoked' && list[0].status === 'failed' ? list[0] : undefined;
    });
    assert.deepEqual(redirected.attempts.map((attempt) => [attempt.status, attempt.error]), [[302, 'RedirectNotFollowed']]);
    await remove(hook.id);
  });

  it('records events inside the caller\'s transaction: a rollback leaves no delivery', async () => {
    const hook = await create({ url: `${receiver.url}/tx`, events: ['user.updated'] });
    const { events } = server.app.services;
    const userId = await createUser(db, 'tx@example.com');
    await assert.rejects(server.app.db.prisma.$transaction(async (tx) => {
      await events.record(tx, { type: 'user.updated', data: { user_id: userId, email: 't***@example.com', phone_number: null } });
      throw new Error('rolled back');
    }));
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1', [hook.id])).rows[0].n, 0);
    await server.app.db.prisma.$transaction(async (tx) => {
      await events.record(tx, { type: 'user.updated', data: { user_id: userId, email: 't***@example.com', phone_number: null } });
    });
    events.wake();
    const [delivery] = await until(async () => {
      const list = await deliveries(hook.id);
      return list[0]?.status === 'delivered' ? list : undefined;
    });
    assert.equal(delivery!.event_type, 'user.updated');
    await remove(hook.id);
  });

  it('keeps deliveries and attempts seven days', async () => {
    const hook = await create({ url: `${receiver.url}/old`, events: ['user.deleted'] });
    await server.app.db.prisma.$transaction(async (tx) => {
      await server.app.services.events.record(tx, { type: 'user.deleted', data: { user_id: '00000000-0000-0000-0000-000000000001', email: null, phone_number: null } });
    });
    await until(async () => ((await deliveries(hook.id))[0]?.status === 'delivered' ? true : undefined));
    await db.pool.query(`UPDATE webhook_deliveries SET finished_at = now() - interval '8 days' WHERE webhook_id = $1`, [hook.id]);
    await db.pool.query(`UPDATE webhook_attempts SET attempted_at = now() - interval '8 days'`);
    const result = await server.app.services.cleanup.runOnce();
    assert.ok(result.ran);
    assert.ok(result.deleted.webhook_attempts! >= 1);
    assert.ok(result.deleted.webhook_deliveries! >= 1);
    assert.deepEqual(await deliveries(hook.id), []);
    await remove(hook.id);
  });
});

describe('webhooks and private networks (S42)', () => {
  const suite = suiteScope();
  let db: TestDatabase;
  let server: TestApp;
  let receiver: WebhookReceiver;

  before(async () => {
    db = await withDatabase(suite);
    receiver = await withWebhookReceiver(suite);
    server = await withTestApp(suite, {
      db,
      // hooks.example.com resolves to a private address; DNS is asked at send time.
      resolve: async (hostname) => [{ address: hostname === 'hooks.example.com' ? '10.0.0.7' : '169.254.169.254', family: 4 }],
      webhookDispatcher: { retryBaseMs: 1, retryMaxMs: 1, pollIntervalMs: 50 },
    });
  });

  it('refuses http URLs when private networks are not allowed', async () => {
    const key = await createAdminKey(server, ['webhooks:write']);
    const response = await adminCall(server, 'POST', '/admin/webhooks', key, { url: `${receiver.url}/x`, events: ['user.deleted'] });
    assert.equal(((await response.json()) as { code: string }).code, 'invalid_webhook_url');
  });

  it('refuses, at send time and for good, a host name that resolves to a private or metadata address', async () => {
    const key = await createAdminKey(server, ['webhooks:write']);
    const ids: string[] = [];
    for (const url of ['https://hooks.example.com/sesame', 'https://metadata.example.com/latest']) {
      const response = await adminCall(server, 'POST', '/admin/webhooks', key, { url, events: ['user.deleted'] });
      assert.equal(response.status, 201);
      ids.push(((await response.json()) as { id: string }).id);
    }
    await server.app.db.prisma.$transaction(async (tx) => {
      await server.app.services.events.record(tx, { type: 'user.deleted', data: { user_id: '00000000-0000-0000-0000-000000000002', email: null, phone_number: null } });
    });
    await server.app.services.webhookDelivery.drain();
    for (const id of ids) {
      const list = (await (await adminCall(server, 'GET', `/admin/webhooks/${id}/deliveries`, key)).json()) as { data: DeliveryBody[] };
      assert.equal(list.data[0]!.status, 'failed');
      assert.deepEqual(list.data[0]!.attempts.map((attempt) => [attempt.status, attempt.error]), [[null, 'OutboundRefused:private_address']]);
    }
    assert.equal(receiver.received.length, 0);
  });
});
