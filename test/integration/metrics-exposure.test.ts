// Who can see the metrics (S37), and that nothing public tells a known number from an unknown
// one (S17), even once a number prefix has reached its SMS cap: the metrics then move for known
// numbers only, which is why they are never public.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTestClock, startTestApp, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSnsFake, type SnsFake } from '../helpers/sns-fake.ts';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.ts';
import { signIn } from '../helpers/sign-in.ts';

const TOKEN = 'metrics-token-0123456789-abcdefghijklmnopqrstuvwxyz';

describe('metrics exposure', () => {
  let db: TestDatabase;
  let sns: SnsFake;
  let ses: SesLocal;
  const apps: TestApp[] = [];

  before(async () => {
    sns = await startSnsFake();
    ses = await startSesLocal();
    useLocalAws({ sns: sns.url, ses: ses.url });
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await sns.close();
    await ses.close();
    await db.drop();
  });

  async function start(env: Record<string, string>, clock = createTestClock()): Promise<TestApp> {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    const app = await startTestApp({ db, clock, env });
    apps.push(app);
    return app;
  }

  /** Status, headers (but the date) and body: everything a client can compare. */
  async function seen(response: Response): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const headers = Object.fromEntries(response.headers);
    delete headers.date;
    return { status: response.status, headers, body: await response.text() };
  }

  it('serves /metrics on the public port only with METRICS_TOKEN, and only to its bearer (S37)', async () => {
    const closed = await start({});
    assert.equal((await fetch(`${closed.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);

    const app = await start({ METRICS_TOKEN: TOKEN });
    const refusals = [];
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const response = await fetch(`${app.url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });
      refusals.push(await seen(response));
    }
    for (const refusal of refusals) {
      assert.equal(refusal.status, 401);
      assert.equal(refusal.headers['www-authenticate'], 'Bearer');
      assert.match(refusal.headers['content-type'] ?? '', /^application\/problem\+json/);
      assert.equal((JSON.parse(refusal.body) as { code: string }).code, 'invalid_metrics_token');
      assert.deepEqual(refusal, refusals[0], 'every refusal is the same answer');
      assert.doesNotMatch(refusal.body, /sesame_/);
    }
    const granted = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(granted.status, 200);
    assert.match(await granted.text(), /^# HELP sesame_/m);
    // The admin listener serves them as before, without a token.
    assert.equal((await fetch(`${app.adminUrl}/metrics`)).status, 200);
  });

  it('answers known and unknown numbers alike in every response, header and public counter after the prefix cap is reached (S17, S37)', async () => {
    const clock = createTestClock(new Date(Date.UTC(2031, 5, 1, 0, 10)));
    const app = await start({ METRICS_TOKEN: TOKEN, SMS_MAX_PER_PREFIX_PER_HOUR: '2', SMS_PREFIX_LENGTH: '7', TOKEN_REQUEST_THROTTLE_SECONDS: '0' }, clock);
    const known = ['+14155550133', '+14155550134', '+14155550135', '+14155550136', '+14155550137'];
    const unknown = ['+14155550193', '+14155550194', '+14155550195', '+14155550196', '+14155550197'];
    for (const phone of ['+14155550131', '+14155550132', ...known]) {
      await db.pool.query('INSERT INTO users (phone_number) VALUES ($1)', [phone]);
    }
    // Two real sends use up the prefix +1415555's hourly cap.
    for (const phone of ['+14155550131', '+14155550132']) {
      assert.equal((await app.post('/passwordless/request/mobile', { phone_number: phone })).status, 202);
      await app.app.services.delivery.drain();
    }
    const sent = sns.messages.length;
    const blockedBefore = app.app.metrics.snapshot()['sesame_sms_blocked_total{reason="prefix_cap"}'] ?? 0;

    /** Everything a stranger can read without credentials, after a request settled. */
    async function publicView(): Promise<unknown[]> {
      await app.app.services.delivery.drain();
      await app.app.services.audit.flush();
      const views = [];
      for (const [path, authorization] of [['/metrics', undefined], ['/metrics', 'Bearer not-the-token'], ['/healthz', undefined], ['/readyz', undefined], ['/.well-known/jwks.json', undefined]] as const) {
        views.push(await seen(await fetch(`${app.url}${path}`, { headers: authorization === undefined ? {} : { authorization } })));
      }
      return views;
    }

    const baseline = await publicView();
    for (let i = 0; i < known.length; i += 1) {
      const knownAnswer = await seen(await app.post('/passwordless/request/mobile', { phone_number: known[i] }));
      const afterKnown = await publicView();
      const unknownAnswer = await seen(await app.post('/passwordless/request/mobile', { phone_number: unknown[i] }));
      const afterUnknown = await publicView();
      assert.equal(knownAnswer.status, 202);
      assert.deepEqual(unknownAnswer, knownAnswer, `answers to ${known[i]} and ${unknown[i]}`);
      assert.deepEqual(afterKnown, baseline);
      assert.deepEqual(afterUnknown, baseline);
    }
    assert.equal(sns.messages.length, sent, 'nothing more was sent past the cap');
    // What did tell them apart in the review: the operators' counter moves for known numbers
    // only. It stays behind the admin listener and the token.
    assert.equal(app.app.metrics.snapshot()['sesame_sms_blocked_total{reason="prefix_cap"}'], blockedBefore + known.length);
    const operatorView = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(operatorView, new RegExp(`sesame_sms_blocked_total\\{reason="prefix_cap"\\} ${blockedBefore + known.length}`));
  });

  it('serves prom-client metrics on the admin listener: process, HTTP by route, delivery latency, outbox, signing-key age; no identifier or secret in them', async () => {
    const app = await start({});
    await db.pool.query("INSERT INTO users (email) VALUES ('metrics.owner@example.com')");
    const tokens = await signIn(app, ses, 'metrics.owner@example.com');
    await app.app.services.delivery.drain();
    const response = await fetch(`${app.adminUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    for (const line of [
      /^process_cpu_user_seconds_total \d/m,
      /^nodejs_heap_size_used_bytes \d/m,
      /^http_request_duration_seconds_count\{method="POST",route="\/passwordless\/request\/email",status="202"\} 1$/m,
      /^http_request_duration_seconds_count\{method="POST",route="\/passwordless\/exchange\/email",status="200"\} 1$/m,
      /^sesame_delivery_latency_seconds_count\{channel="email",provider="ses",outcome="delivered"\} 1$/m,
      /^sesame_outbox_pending_jobs 0$/m,
      /^sesame_outbox_oldest_pending_age_seconds 0$/m,
      /^sesame_delivery_projected_wait_seconds\{channel="email"\} 0$/m,
      /^sesame_delivery_projected_wait_seconds\{channel="mobile"\} 0$/m,
      /^sesame_signing_key_age_seconds\{alg="ES256"\} \d/m,
      /^# TYPE sesame_rate_limited_total counter$/m,
    ]) {
      assert.match(text, line);
    }
    // Labels name routes, channels, providers and reasons; never a person, a code or a token.
    const code = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM one_time_tokens')).rows[0]!.n;
    assert.ok(code >= 1);
    for (const secret of ['metrics.owner', 'example.com', tokens.access_token.split('.')[2]!, tokens.refresh_token, 'test-secret']) {
      assert.equal(text.includes(secret), false, secret);
    }
    // An unmatched path is counted under one label, not under the path it asked for.
    await fetch(`${app.url}/users/metrics.owner@example.com`);
    const after = await (await fetch(`${app.adminUrl}/metrics`)).text();
    assert.match(after, /route="unmatched",status="404"/);
    assert.equal(after.includes('metrics.owner'), false);
  });
});
