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

  it('leaves events recorded while a batch is written to the next flush, not to a statement right after it', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const writer = {
      async insertMany(rows: readonly AuditRow[]) {
        batches.push(rows.map((row) => row.reason ?? ''));
        if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve; });
      },
    };
    const audit = createBufferedAuditLog({ writer, clock, log: silent }, { flushIntervalMs: 60_000 });
    audit.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'a' });
    const first = audit.flush();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [['a']], 'the first batch is being written');
    audit.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'b' });
    audit.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'c' });
    release();
    await first;
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [['a']], 'no second statement straight after the first');
    await audit.flush();
    assert.deepEqual(batches, [['a'], ['b', 'c']], 'the next flush takes them together');
    audit.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'd' });
    await audit.close();
    assert.deepEqual(batches, [['a'], ['b', 'c'], ['d']], 'close writes what is left');
  });

  it('writes events recorded during its last write before close returns', async () => {
    const batches: string[][] = [];
    let audit: ReturnType<typeof createBufferedAuditLog> | undefined;
    const writer = {
      async insertMany(rows: readonly AuditRow[]) {
        batches.push(rows.map((row) => row.reason ?? ''));
        // An event recorded while the first batch is written (a request finishing during shutdown).
        if (batches.length === 1) audit!.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'late' });
      },
    };
    audit = createBufferedAuditLog({ writer, clock, log: silent }, { flushIntervalMs: 60_000 });
    audit.record({ event: 'sign_in.failed', outcome: 'failed', reason: 'early' });
    await audit.close();
    assert.deepEqual(batches, [['early'], ['late']]);
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
