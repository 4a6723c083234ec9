// No secret or full identifier ever reaches a log line (S34).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { TestDatabase } from '../helpers/database.ts';
import { TEST_SECRET, codeIn, eventually, type TestApp } from '../helpers/app.ts';
import type { SesLocal } from '../helpers/ses-local.ts';
import type { SnsFake } from '../helpers/sns-fake.ts';
import { suiteScope, withDatabase, withTestApp, withLocalAws } from '../helpers/fixtures.ts';
import { adminCall, createAdminKey } from '../helpers/admin.ts';
import { withWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { newWebhookSecret } from '../../src/lib/standard-webhooks.ts';

const HOOK_SECRET = newWebhookSecret();

describe('secrets in logs', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  let app: TestApp;
  let receiver: WebhookReceiver;

  const suite = suiteScope();
  before(async () => {
    ({ ses, sns } = await withLocalAws(suite, { ses: true, sns: true }));
    db = await withDatabase(suite);
    receiver = await withWebhookReceiver(suite);
    app = await withTestApp(suite, {
      db,
      env: {
        LOG_LEVEL: 'trace', PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/login/{token}', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        // The custom-claims hook is called (and may fail) at every exchange: its secret and its answers stay out of the logs too.
        HOOK_SECRET: HOOK_SECRET, HOOK_CUSTOM_CLAIMS_URL: `${receiver.url}/claims`, HOOK_CUSTOM_CLAIMS_ON_FAILURE: 'allow',
      },
      webhookDispatcher: { retryBaseMs: 1, retryMaxMs: 1 },
    });
    await db.pool.query("INSERT INTO users (email) VALUES ('secret-keeper@example.com')");
    await db.pool.query("INSERT INTO users (phone_number) VALUES ('+33612345678')");
  });

  // Admin keys, webhook secrets and receivers' answers are among the secrets checked.
  it('never logs codes, link tokens, access tokens, identifiers or the secret (S34)', async () => {
    const secrets: string[] = [TEST_SECRET, 'secret-keeper@example.com', '+33612345678', '33612345678'];
    // A webhook on every event whose receiver first fails with a body that must not be logged.
    const adminKey = await createAdminKey(app);
    const created = await adminCall(app, 'POST', '/admin/webhooks', adminKey, {
      url: `${receiver.url}/events`, events: ['user.created', 'user.signed_in', 'session.revoked', 'code.blocked'],
    });
    const webhookSecret = ((await created.json()) as { secret: string }).secret;
    receiver.queue({ status: 500, body: '{"error":"receiver-private-detail"}' });
    secrets.push(adminKey, webhookSecret, webhookSecret.slice(6), 'receiver-private-detail', HOOK_SECRET, HOOK_SECRET.slice(6));

    assert.equal((await app.post('/passwordless/request/email', { email: 'secret-keeper@example.com' })).status, 202);
    const mail = await eventually(async () => (await ses.emails('secret-keeper@example.com'))[0]);
    const code = codeIn(mail.body.text ?? '');
    const link = /https:\/\/\S+/.exec(mail.body.text ?? '')![0];
    const longToken = link.split('/').at(-1)!;
    secrets.push(code, longToken, link);
    const wrong = await app.post('/passwordless/exchange/email', { email: 'secret-keeper@example.com', token: code === '000000' ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    const exchanged = await app.post('/passwordless/exchange/standalone', { token: longToken });
    assert.equal(exchanged.status, 200);
    secrets.push(((await exchanged.json()) as { access_token: string }).access_token);

    assert.equal((await app.post('/passwordless/request/mobile', { phone_number: '+33 6 12 34 56 78' })).status, 202);
    const sms = await eventually(() => sns.messages[0]);
    const smsCode = codeIn(sms.message);
    secrets.push(smsCode);
    const signedIn = await app.post('/passwordless/exchange/mobile', { phone_number: '+33612345678', token: smsCode }, { authorization: 'Bearer should-not-be-logged' });
    assert.equal(signedIn.status, 200);
    secrets.push(((await signedIn.json()) as { access_token: string }).access_token, 'should-not-be-logged');
    // An unparseable body with a code in it is not echoed either.
    await app.post('/passwordless/exchange/standalone', `{"token": "${longToken}"`);
    await app.app.services.delivery.drain();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await eventually(async () => {
      await app.app.services.webhookDelivery.drain();
      return receiver.received.length >= 3 ? true : undefined;
    });

    const logText = app.logs.join('');
    assert.ok(app.logs.length > 10, 'the flows were logged');
    for (const secret of secrets) assert.ok(!logText.includes(secret), `a log line contains a secret (${secret.length} chars)`);
    assert.ok(logText.includes('s***@example.com'), 'masked email is logged for correlation');
    assert.ok(logText.includes('+3******5678'), 'masked phone is logged for correlation');
  });
});
