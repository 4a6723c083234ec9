// Standard Webhooks signing (S42), checked with the reference library as an independent receiver.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createWebhookSigner, isWebhookSecret, newMessageId, newWebhookSecret } from '../../src/lib/standard-webhooks.ts';

describe('Standard Webhooks signing', () => {
  it('makes whsec_ secrets of 256 bits, each different', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, b);
    assert.equal(isWebhookSecret(a), true);
  });

  it('refuses secrets that are not whsec_ and base64 of 24 to 64 bytes, without quoting them', () => {
    for (const bad of ['', 'whsec_', 'secret', `whsec_${Buffer.alloc(16).toString('base64')}`, `whsec_${Buffer.alloc(65).toString('base64')}`, 'whsec_!!!!']) {
      assert.equal(isWebhookSecret(bad), false, bad);
      assert.throws(() => createWebhookSigner(bad), (error: Error) => bad.length < 7 || !error.message.includes(bad));
    }
  });

  it('signs so that the standardwebhooks library verifies the body, and rejects a changed body or another secret', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ type: 'user.created', timestamp: '2026-11-30T00:00:00.000Z', data: { user_id: 'u1' } });
    const headers = createWebhookSigner(secret).sign(body, { messageId: 'msg_1' });
    assert.equal(headers['webhook-id'], 'msg_1');
    assert.match(headers['webhook-timestamp'], /^\d+$/);
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
    assert.throws(() => new Webhook(secret).verify(body.replace('u1', 'u2'), { ...headers }));
    assert.throws(() => new Webhook(newWebhookSecret()).verify(body, { ...headers }));
  });

  it('signs the timestamp it sends: an old signature fails the receiver\'s tolerance', () => {
    const secret = newWebhookSecret();
    const headers = createWebhookSigner(secret).sign('{}', { at: new Date(Date.now() - 10 * 60_000) });
    assert.throws(() => new Webhook(secret).verify('{}', { ...headers }), /timestamp/i);
  });

  it('draws message ids as msg_ + a UUID', () => {
    assert.match(newMessageId(), /^msg_[0-9a-f-]{36}$/);
    assert.notEqual(newMessageId(), newMessageId());
  });
});
