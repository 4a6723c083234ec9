// The buffered audit log: batches, never throws into the caller, retries, bounds its buffer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBufferedAuditLog, type AuditRow } from '../../src/services/audit-log.ts';

const clock = { now: () => new Date('2031-01-01T00:00:00Z') };
const silent = { info() {}, warn() {}, error() {} };

function recorder(options: { failures?: number } = {}) {
  const batches: AuditRow[][] = [];
  let failures = options.failures ?? 0;
  return {
    batches,
    async insertMany(rows: readonly AuditRow[]) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('connection refused');
      }
      batches.push([...rows]);
    },
  };
}

describe('buffered audit log', () => {
  it('masks the destination at once and writes queued events as one batch', async () => {
    const writer = recorder();
    const audit = createBufferedAuditLog({ writer, clock, log: silent }, { flushIntervalMs: 60_000 });
    audit.record({ event: 'code.requested', outcome: 'issued', to: { channel: 'email', destination: 'jane@example.com' }, context: { ip: '192.0.2.1', userAgent: 'UA', acceptLanguage: 'de' } });
    audit.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'wrong_code' });
    assert.equal(writer.batches.length, 0, 'nothing is written on the caller\'s path');
    await audit.flush();
    assert.deepEqual(writer.batches, [[
      { createdAt: clock.now(), event: 'code.requested', userId: null, channel: 'email', destination: 'j***@example.com', clientIp: '192.0.2.1', userAgent: 'UA', outcome: 'issued', reason: null, detail: null },
      { createdAt: clock.now(), event: 'sign_in.failed', userId: null, channel: null, destination: null, clientIp: null, userAgent: null, outcome: 'failed', reason: 'wrong_code', detail: null },
    ]]);
  });

  it('writes at once when a batch is full, in batches of at most maxBatch', async () => {
    const writer = recorder();
    const audit = createBufferedAuditLog({ writer, clock, log: silent }, { flushIntervalMs: 60_000, maxBatch: 2 });
    for (let i = 0; i < 5; i++) audit.record({ event: 'code.requested', outcome: 'ignored' });
    await audit.close();
    assert.deepEqual(writer.batches.map((batch) => batch.length), [2, 2, 1]);
  });

  it('keeps events when the database fails, retries, and drops the oldest beyond its bound', async () => {
    const writer = recorder({ failures: 1 });
    let dropped = 0;
    const audit = createBufferedAuditLog({ writer, clock, log: silent }, { flushIntervalMs: 60_000, maxBuffered: 3, onDropped: (count) => { dropped += count; } });
    for (const reason of ['a', 'b']) audit.record({ event: 'sign_in.failed', outcome: 'failed', reason });
    await audit.flush();
    assert.equal(writer.batches.length, 0);
    for (const reason of ['c', 'd']) audit.record({ event: 'sign_in.failed', outcome: 'failed', reason });
    await audit.flush();
    assert.equal(dropped, 1);
    assert.deepEqual(writer.batches.map((batch) => batch.map((row) => row.reason)), [['b', 'c', 'd']]);
  });

  it('flushes on its timer', async () => {
    const writer = recorder();
    const audit = createBufferedAuditLog({ writer, clock, log: silent }, { flushIntervalMs: 1 });
    audit.record({ event: 'code.requested', outcome: 'ignored' });
    while (writer.batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    assert.equal(writer.batches[0]!.length, 1);
    await audit.close();
  });
});
