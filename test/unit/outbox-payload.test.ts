import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPayloadSealer } from '../../src/delivery/outbox-payload.ts';

const current = Buffer.from('current-secret-0123456789-abcdefghijklmnop');
const previous = Buffer.from('previous-secret-0123456789-abcdefghijklmno');
const payload = { channel: 'email' as const, to: 'jane@example.com', code: '123456', link: 'https://app.test/login?token=abc', locale: 'de' };

describe('delivery payload sealing', () => {
  it('round-trips and never holds the code, link or address in clear (S8)', () => {
    const sealer = createPayloadSealer([current]);
    const sealed = sealer.seal(payload);
    assert.deepEqual(sealer.open(sealed), payload);
    for (const secret of [payload.code, payload.to, payload.link]) assert.ok(!sealed.includes(Buffer.from(secret)));
    assert.notDeepEqual(sealer.seal(payload), sealed, 'a fresh IV each time');
  });

  it('opens payloads sealed under a previous secret during rotation, and refuses an unknown one', () => {
    const sealed = createPayloadSealer([previous]).seal(payload);
    assert.deepEqual(createPayloadSealer([current, previous]).open(sealed), payload);
    assert.throws(() => createPayloadSealer([current]).open(sealed), /cannot be opened/);
  });

  it('uses its own subkey: tampered bytes do not open', () => {
    const sealer = createPayloadSealer([current]);
    const sealed = sealer.seal(payload);
    sealed[sealed.length - 1]! ^= 1;
    assert.throws(() => sealer.open(sealed));
  });
});
