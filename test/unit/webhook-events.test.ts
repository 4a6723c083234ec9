// Webhook events: payload shape, masked user data, and the hot path paying nothing for event
// types no webhook subscribes to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWebhookEvents, userEventData, type WebhookEvent } from '../../src/services/webhook-events.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function fakeRepository(types: string[]) {
  const written: { type: string; payload: unknown }[] = [];
  let reads = 0;
  return {
    written,
    reads: () => reads,
    subscribe(next: string[]) { types = next; },
    repository: {
      async enqueue(_executor: unknown, input: { type: string; payload: unknown }) {
        written.push({ type: input.type, payload: input.payload });
        return types.includes(input.type) ? 1 : 0;
      },
      async subscribedTypes() {
        reads++;
        return new Set(types);
      },
    },
  };
}

describe('webhook events', () => {
  const clock = { now: () => new Date('2026-11-30T01:00:00.000Z') };
  const event: WebhookEvent = { type: 'user.signed_in', data: { user_id: 'u1', session_id: 's1', method: 'code' } };

  it('masks identifiers in user data', () => {
    assert.deepEqual(userEventData({ id: 'u1', email: 'jane@example.com', phoneNumber: '+14155550123' }), {
      user_id: 'u1', email: 'j***@example.com', phone_number: '+1******0123',
    });
  });

  it('writes {type, timestamp, data} with a 24-hour retry window, and wakes the dispatcher only when a delivery was written', async () => {
    const fake = fakeRepository(['user.signed_in']);
    let wakes = 0;
    const events = createWebhookEvents({ repository: fake.repository, pool: { query: async () => ({}) }, clock, log: silent, wake: () => { wakes++; } });
    events.emit(event);
    await tick();
    assert.deepEqual(fake.written, [{ type: 'user.signed_in', payload: { type: 'user.signed_in', timestamp: '2026-11-30T01:00:00.000Z', data: event.data } }]);
    assert.equal(wakes, 1);
  });

  it('skips event types no enabled webhook subscribes to, and writes again at once after a change on this replica', async () => {
    const fake = fakeRepository([]);
    const events = createWebhookEvents({ repository: fake.repository, pool: { query: async () => ({}) }, clock, log: silent, wake: () => {} });
    events.emit(event); // the list is not read yet: written (the safe side)
    await tick();
    assert.equal(fake.written.length, 1);
    for (let i = 0; i < 100; i++) events.emit(event);
    await tick();
    assert.equal(fake.written.length, 1, 'nothing written while no webhook wants it');
    assert.equal(fake.reads(), 1, 'the list is read at most once a second');
    fake.subscribe(['user.signed_in']);
    events.invalidate();
    events.emit(event);
    await tick();
    assert.equal(fake.written.length, 2);
  });

  it('record always writes through the caller\'s transaction', async () => {
    const fake = fakeRepository([]);
    const events = createWebhookEvents({ repository: fake.repository, pool: { query: async () => ({}) }, clock, log: silent, wake: () => {} });
    await events.record({ query: async () => ({}) }, { type: 'user.deleted', data: { user_id: 'u1', email: null, phone_number: null } });
    assert.equal(fake.written.length, 1);
  });
});
