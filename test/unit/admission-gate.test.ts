// Admission control's verdict (issue 9, S48), probe by probe, on a simulated outbox: a FIFO queue
// emptied at a fixed rate by the dispatchers, fed at an offered rate through admit(). Under
// overload every accepted code must be sent within DELIVERY_MAX_LAG_SECONDS while the gate
// still accepts about what delivery manages; a quiet outbox whose sends are slow stays open; an
// outbox that stops draining closes it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADMISSION_PROBE_INTERVAL_MS, createAdmissionGate, summarizeBacklog, type AdmissionGate, type Backlog, type ChannelBacklog } from '../../src/delivery/admission-gate.ts';
import type { Channel } from '../../src/services/types.ts';
import type { Logger } from '../../src/services/types.ts';

const SETTINGS = { deliveryMaxLagSeconds: 10, deliveryMaxPending: 20_000, deliveryMaxConcurrency: 512 };
const quiet: Logger = { info() {}, warn() {}, error() {} };

/** An outbox the test fills and empties by hand, read by the gate as the database would be. */
function outbox() {
  let nowMs = 1_700_000_000_000;
  let created = 0;
  /** Each job's channel by id - 1: the jobs above an id, as the database counts them. */
  const channelOf: Channel[] = [];
  /** Pending jobs in creation order; `failed`: an attempt of it failed, and it waits to be retried. */
  let queue: { id: number; at: number; failed: boolean; channel: Channel }[] = [];
  /** Each channel's newest delivered job. */
  const lastDelivered: Record<Channel, number> = { email: 0, mobile: 0 };
  let refused = 0;
  const age = (job: { at: number } | undefined) => ({ at: job === undefined ? null : new Date(job.at), lag: job === undefined ? 0 : (nowMs - job.at) / 1000 });
  const gate = createAdmissionGate({
    backlog: async (cap, since): Promise<Backlog> => {
      const counted = queue.slice(0, cap);
      const fresh = since === null ? [] : channelOf.slice(since);
      const channels: ChannelBacklog[] = (['email', 'mobile'] as const).filter((channel) => counted.some((job) => job.channel === channel) || fresh.includes(channel)).map((channel) => {
        const own = counted.filter((job) => job.channel === channel);
        const oldest = age(own[0]);
        const unfailed = age(own.find((job) => !job.failed));
        const unproven = age(own.find((job) => !job.failed || job.id > lastDelivered[channel]));
        return {
          channel, oldestCreatedAt: oldest.at, databaseLagSeconds: oldest.lag, oldestUnfailedCreatedAt: unfailed.at, databaseUnfailedLagSeconds: unfailed.lag,
          oldestUnprovenCreatedAt: unproven.at, databaseUnprovenLagSeconds: unproven.lag, pending: own.length, createdSince: fresh.filter((each) => each === channel).length,
        };
      });
      return summarizeBacklog(channels, created === 0 ? null : created);
    },
    clock: { now: () => new Date(nowMs) },
    log: quiet,
    refused: { inc: () => { refused++; } },
    settings: SETTINGS,
  });
  return {
    gate,
    get now() { return nowMs; },
    get pending() { return queue.length; },
    get refused() { return refused; },
    advance(ms: number) { nowMs += ms; },
    add(count: number, channel: Channel = 'email') {
      for (let i = 0; i < count; i++) {
        channelOf.push(channel);
        queue.push({ id: channelOf.length, at: nowMs, failed: false, channel });
      }
      created += count;
    },
    /** Sends the oldest `count` jobs (of the channel, if given) that have not failed; how long each waited (ms). */
    send(count: number, channel?: Channel): number[] {
      const sendable = (job: { failed: boolean; channel: Channel }) => !job.failed && (channel === undefined || job.channel === channel);
      const sent = queue.filter(sendable).slice(0, count);
      const gone = new Set(sent);
      queue = queue.filter((job) => !gone.has(job));
      for (const job of sent) lastDelivered[job.channel] = Math.max(lastDelivered[job.channel], job.id);
      return sent.map((job) => nowMs - job.at);
    },
    /** The oldest `count` jobs fail and stay pending, to be retried. */
    fail(count: number) { for (const job of queue.filter((job) => !job.failed).slice(0, count)) job.failed = true; },
    /** Every job (of the channel, if given) fails, those waiting for a retry included: the provider is down. */
    failAll(channel?: Channel) { for (const job of queue) if (channel === undefined || job.channel === channel) job.failed = true; },
  };
}

/**
 * `seconds` of requests offered at `offered`/s to an outbox sent at `capacity`/s, in 10 ms steps,
 * with the gate probing once a second as its worker does.
 */
async function overload(offered: number, capacity: number, seconds: number) {
  const box = outbox();
  let maxWaitMs = 0;
  let acceptedLate = 0;
  let maxPending = 0;
  let owedArrivals = 0;
  let owedSends = 0;
  const steps = (seconds * 1000) / 10;
  for (let step = 1; step <= steps; step++) {
    box.advance(10);
    owedArrivals += offered / 100;
    for (; owedArrivals >= 1; owedArrivals--) {
      if (!box.gate.admit('email')) continue;
      box.add(1);
      if (step > steps / 3) acceptedLate++;
    }
    owedSends += capacity / 100;
    const sending = Math.floor(owedSends);
    owedSends -= sending;
    for (const wait of box.send(sending)) maxWaitMs = Math.max(maxWaitMs, wait);
    maxPending = Math.max(maxPending, box.pending);
    if ((step * 10) % ADMISSION_PROBE_INTERVAL_MS === 0) await box.gate.probe();
  }
  return { box, acceptedLatePerSecond: acceptedLate / (seconds * 2 / 3), maxWaitSeconds: maxWaitMs / 1000, maxPending };
}

/** Whether the channel is open, read without spending a trial (a closed gate's admit() may let one through). */
function gateOpen(gate: AdmissionGate, channel: Channel = 'email'): boolean {
  return gate.isOpen(channel);
}

function verdict(gate: AdmissionGate) {
  return { open: gate.admit('email'), retryAfter: gate.retryAfterSeconds('email'), projected: gate.projectedWaitSeconds('email') };
}

describe('admission gate', () => {
  for (const times of [1.6, 2, 4]) {
    it(`sends every accepted code within DELIVERY_MAX_LAG_SECONDS and accepts about what is delivered, at ${times}× what delivery manages (S48)`, async () => {
      const capacity = 500;
      const run = await overload(capacity * times, capacity, 90);
      // The oldest-job rule alone let the tail wait `times` × the limit (16 s at 1.6× in the bench).
      assert.ok(run.maxWaitSeconds <= SETTINGS.deliveryMaxLagSeconds, `slowest code waited ${run.maxWaitSeconds} s`);
      assert.ok(run.acceptedLatePerSecond >= 0.9 * capacity, `accepted ${run.acceptedLatePerSecond}/s of ${capacity}/s deliverable`);
      assert.ok(run.maxPending <= SETTINGS.deliveryMaxLagSeconds * capacity, `at most ${run.maxPending} pending`);
      assert.ok(run.box.refused > 0, 'the excess is refused');
    });
  }

  for (const capacity of [14, 20]) {
    it(`sends every accepted code within DELIVERY_MAX_LAG_SECONDS at twice what a slow provider takes, ${capacity} messages/s (S48)`, async () => {
      // An account whose sending rate is tens of messages a second: the outbox never holds
      // DELIVERY_MAX_CONCURRENCY jobs, and the projection must still apply.
      const run = await overload(capacity * 2, capacity, 120);
      assert.ok(run.maxWaitSeconds <= SETTINGS.deliveryMaxLagSeconds, `slowest code waited ${run.maxWaitSeconds} s`);
      assert.ok(run.acceptedLatePerSecond >= 0.9 * capacity, `accepted ${run.acceptedLatePerSecond}/s of ${capacity}/s deliverable`);
      assert.ok(run.box.refused > 0);
    });
  }

  it('stays open below what delivery manages, however long the run', async () => {
    const run = await overload(450, 500, 60);
    assert.equal(run.box.refused, 0);
    assert.ok(run.maxWaitSeconds < 1);
  });

  it('stays open for a quiet outbox whose few sends are slow: nothing drains, but nothing queues either', async () => {
    const box = outbox();
    box.add(3);
    for (let i = 0; i < 8; i++) {
      box.advance(1_000);
      await box.gate.probe();
      assert.deepEqual(verdict(box.gate), { open: true, retryAfter: 1, projected: 0 }, `probe ${i}`);
      if (i === 2) box.send(3);
      if (i === 3) box.add(1);
    }
  });

  it('does not refuse a burst that has not reached a slow provider yet, nor while its first sends drain it', async () => {
    // A quiet outbox, then 2,000 requests at once; the provider answers after a second, 512 at a time.
    const box = outbox();
    for (let i = 0; i < 3; i++) { box.advance(1_000); await box.gate.probe(); }
    box.add(2_000);
    box.advance(500);
    await box.gate.probe();
    assert.deepEqual(verdict(box.gate), { open: true, retryAfter: 1, projected: Number.POSITIVE_INFINITY }, 'nothing has left yet: no rate, no refusal');
    for (let second = 1; second <= 3; second++) {
      box.advance(500);
      box.send(512);
      box.advance(500);
      await box.gate.probe();
      // The window began while the outbox was idle; the last second's rate is what it sends.
      assert.equal(box.gate.admit('email'), true, `second ${second}: ${box.gate.projectedWaitSeconds('email')} s projected`);
    }
  });

  it('leaves a stall to the age rule: nothing leaves the outbox, the projection is unbounded, and the gate closes once the oldest job passes the limit', async () => {
    const box = outbox();
    box.add(600);
    await box.gate.probe();
    for (let second = 1; second <= 10; second++) {
      box.advance(1_000);
      box.add(100);
      await box.gate.probe();
      assert.equal(box.gate.projectedWaitSeconds('email'), Number.POSITIVE_INFINITY);
      assert.equal(box.gate.admit('email'), true, `second ${second}`);
    }
    box.advance(1_000);
    await box.gate.probe();
    assert.deepEqual(verdict(box.gate), { open: false, retryAfter: 1, projected: Number.POSITIVE_INFINITY });
    assert.equal(box.refused, 1);
    // Delivery resumes and empties the outbox: open again.
    box.advance(1_000);
    box.send(box.pending);
    await box.gate.probe();
    assert.equal(box.gate.admit('email'), true);
  });

  it('is not held shut by one job that keeps failing while the codes behind it are sent (S48)', async () => {
    // 300 requests a second, all delivered, but one code whose sends keep failing for a reason
    // of its own stays pending and grows older than the limit.
    const box = outbox();
    box.add(1);
    box.fail(1);
    for (let second = 1; second <= 30; second++) {
      for (let step = 0; step < 10; step++) {
        box.advance(100);
        box.add(30);
        box.send(30);
      }
      await box.gate.probe();
      assert.equal(box.gate.admit('email'), true, `second ${second}`);
    }
    assert.equal(box.pending, 1, 'the failing job is still pending, 30 s old');
  });

  it('closes once every job fails and none leaves the outbox, failing ones included, and sends a failing provider at most one trial code per limit (S48)', async () => {
    const box = outbox();
    for (let second = 1; second <= 5; second++) {
      box.advance(1_000);
      box.add(20);
      box.send(20);
      await box.gate.probe();
    }
    // The provider answers every send with an error from now on.
    for (let second = 1; second <= 12; second++) {
      box.advance(1_000);
      box.add(second <= 10 ? 20 : 0);
      box.failAll();
      await box.gate.probe();
    }
    // Nothing drained for longer than the rate window: every job counts, and the oldest is 12 s
    // old. Only failing jobs are late, so one request is let through as a trial; the next is not.
    assert.equal(box.gate.admit('email'), true, 'the trial');
    assert.equal(box.gate.admit('email'), false, 'nothing drained for longer than the rate window: every job counts');
    box.add(1);
    // Two minutes of 20 requests a second; every send fails, the trials' included.
    const trials: number[] = [];
    for (let step = 1; step <= 1_200; step++) {
      box.advance(100);
      for (let i = 0; i < 2; i++) {
        if (!box.gate.admit('email')) continue;
        trials.push(box.now);
        box.add(1);
      }
      box.failAll();
      if (step % 10 === 0) await box.gate.probe();
    }
    const gaps = trials.slice(1).map((at, i) => (at - trials[i]!) / 1000);
    assert.ok(gaps.every((gap, i) => gap >= Math.min(2 ** (i + 1), SETTINGS.deliveryMaxLagSeconds)), `trials ${gaps.join(', ')} s apart: each twice the last, up to the limit`);
    assert.ok(trials.length <= 2 + 120 / SETTINGS.deliveryMaxLagSeconds, `${trials.length} of 2,400 requests let through in two minutes`);
    assert.equal(box.gate.retryAfterSeconds('email'), Math.max(1, Math.ceil((trials.at(-1)! + SETTINGS.deliveryMaxLagSeconds * 1000 - box.now) / 1000)), 'Retry-After says when the next trial is due');
  });

  it('is not held shut by one job that keeps failing on an outbox with nothing else to send: a trial code is delivered and reopens it for good (S48)', async () => {
    // A quiet deployment: one request every 20 s, each code sent within a second, but the first
    // code's sends keep failing for a reason of its own until it expires (10 minutes).
    const box = outbox();
    box.add(1);
    box.fail(1);
    let refused = 0;
    let closedAfterTrial = 0;
    let trialDelivered = false;
    for (let second = 1; second <= 600; second++) {
      box.advance(1_000);
      if (second % 20 === 0) {
        if (box.gate.admit('email')) box.add(1);
        else refused++;
      }
      if (box.send(box.pending).length > 0) trialDelivered = true;
      await box.gate.probe();
      // Asked without admitting: a closed gate's admit() would spend a trial.
      if (trialDelivered && !gateOpen(box.gate)) closedAfterTrial++;
    }
    assert.equal(refused, 0, 'every request let through');
    assert.ok(trialDelivered);
    assert.equal(closedAfterTrial, 0, 'once a later code was delivered, the failing one never closed the gate again');
    assert.equal(box.pending, 1, 'the failing job is still pending, 10 minutes old');
    // Two requests in the same second after a quiet spell both pass: the failing job is older
    // than a delivered one, so it does not count however long nothing else is sent.
    box.advance(10_000);
    await box.gate.probe();
    assert.equal(box.gate.admit('email'), true);
    box.add(1);
    assert.deepEqual(verdict(box.gate), { open: true, retryAfter: 1, projected: 0 });
  });

  it('closes again when a job created after the last delivered one fails too: the provider has stopped sending (S48)', async () => {
    const box = outbox();
    box.add(1);
    box.fail(1);
    for (let second = 1; second <= 20; second++) { box.advance(1_000); await box.gate.probe(); }
    assert.equal(box.gate.admit('email'), true, 'the trial');
    box.add(1);
    box.advance(1_000);
    box.send(1);
    await box.gate.probe();
    assert.equal(gateOpen(box.gate), true, 'the trial was delivered');
    // The provider fails from now on: the next code fails too, and once it is late with nothing
    // draining, it counts.
    box.add(1);
    box.failAll();
    for (let second = 1; second <= 12; second++) { box.advance(1_000); await box.gate.probe(); }
    assert.equal(gateOpen(box.gate), false);
  });

  it('closes only the channel whose provider stalls: SMS requests are refused, email codes are still accepted and sent (S48)', async () => {
    // 100 email codes a second, every one sent at once; 5 SMS codes a second, and SNS stops
    // answering after 5 s (its sends hang: no attempt fails).
    const box = outbox();
    let emailRefused = 0;
    let smsRefused = 0;
    let emailMaxWaitMs = 0;
    for (let step = 1; step <= 300; step++) {
      box.advance(100);
      for (let i = 0; i < 10; i++) {
        if (box.gate.admit('email')) box.add(1, 'email');
        else emailRefused++;
      }
      if (step % 2 === 0) {
        if (box.gate.admit('mobile')) box.add(1, 'mobile');
        else smsRefused++;
      }
      for (const wait of box.send(Number.MAX_SAFE_INTEGER, 'email')) emailMaxWaitMs = Math.max(emailMaxWaitMs, wait);
      if (step <= 50) box.send(Number.MAX_SAFE_INTEGER, 'mobile');
      if (step % 10 === 0) await box.gate.probe();
    }
    assert.equal(emailRefused, 0, 'email requests are never refused');
    assert.ok(emailMaxWaitMs <= 100);
    assert.equal(box.gate.admit('mobile'), false, 'SMS is refused once its oldest code is older than the limit');
    assert.ok(smsRefused >= 60, `${smsRefused} SMS requests refused`);
    assert.equal(box.gate.retryAfterSeconds('mobile'), SETTINGS.deliveryMaxLagSeconds);
    // SNS answers again: its codes are sent and SMS reopens.
    box.advance(1_000);
    box.send(Number.MAX_SAFE_INTEGER);
    await box.gate.probe();
    assert.equal(box.gate.admit('mobile'), true);
  });

  it('closes both channels while the outbox holds more than DELIVERY_MAX_PENDING jobs: the count is the outbox\'s', async () => {
    const box = outbox();
    await box.gate.probe();
    box.advance(1_000);
    box.add(SETTINGS.deliveryMaxPending + 5, 'email');
    await box.gate.probe();
    assert.equal(box.gate.admit('email'), false);
    assert.equal(box.gate.admit('mobile'), false);
  });

  it('projects each channel from its own rate: SMS at twice what SNS takes is refused in time, and email, sent as fast as it comes, is never refused (S48)', async () => {
    // 300 email requests a second, sent at up to 1,000/s; 40 SMS requests a second, which SNS
    // takes at 20/s. From the outbox's combined rate the SMS backlog would look short.
    const box = outbox();
    const offered = { email: 3, mobile: 0.4 };
    const owed = { email: 0, mobile: 0 };
    let smsSendOwed = 0;
    const refused = { email: 0, mobile: 0 };
    let smsAccepted = 0;
    let smsMaxWaitMs = 0;
    let emailMaxWaitMs = 0;
    const seconds = 90;
    for (let step = 1; step <= seconds * 100; step++) {
      box.advance(10);
      for (const channel of ['email', 'mobile'] as const) {
        owed[channel] += offered[channel];
        for (; owed[channel] >= 1; owed[channel]--) {
          if (!box.gate.admit(channel)) { refused[channel]++; continue; }
          box.add(1, channel);
          if (channel === 'mobile' && step > seconds * 100 / 3) smsAccepted++;
        }
      }
      for (const wait of box.send(10, 'email')) emailMaxWaitMs = Math.max(emailMaxWaitMs, wait);
      smsSendOwed += 0.2;
      const sending = Math.floor(smsSendOwed);
      smsSendOwed -= sending;
      for (const wait of box.send(sending, 'mobile')) smsMaxWaitMs = Math.max(smsMaxWaitMs, wait);
      if ((step * 10) % ADMISSION_PROBE_INTERVAL_MS === 0) await box.gate.probe();
    }
    assert.equal(refused.email, 0, 'email is never refused');
    assert.ok(emailMaxWaitMs <= 10);
    assert.ok(smsMaxWaitMs <= SETTINGS.deliveryMaxLagSeconds * 1000, `the slowest SMS code waited ${smsMaxWaitMs / 1000} s`);
    assert.ok(refused.mobile > 0);
    const smsPerSecond = smsAccepted / (seconds * 2 / 3);
    assert.ok(smsPerSecond >= 18, `${smsPerSecond.toFixed(1)} SMS codes/s accepted of the 20/s SNS takes`);
  });

  it('closes SMS while its every send fails, even as email codes are sent (S48)', async () => {
    const box = outbox();
    for (let step = 1; step <= 300; step++) {
      box.advance(100);
      for (let i = 0; i < 10; i++) if (box.gate.admit('email')) box.add(1, 'email');
      if (step % 2 === 0 && box.gate.admit('mobile')) box.add(1, 'mobile');
      box.send(Number.MAX_SAFE_INTEGER, 'email');
      // SNS answers every send with an error from the fifth second on.
      if (step <= 50) box.send(Number.MAX_SAFE_INTEGER, 'mobile');
      else box.failAll('mobile');
      if (step % 10 === 0) await box.gate.probe();
    }
    assert.equal(box.gate.admit('email'), true);
    // Nothing leaves SMS's part of the outbox: its failing jobs count, and only trials go through.
    const admitted = [box.gate.admit('mobile'), box.gate.admit('mobile')];
    assert.ok(admitted.filter(Boolean).length <= 1, `SMS answers ${admitted.join(', ')}`);
  });

  it('keeps its verdict while the outbox cannot be read, and says so once, not every second', async () => {
    const lines: string[] = [];
    let failing = false;
    const gate = createAdmissionGate({
      backlog: async () => {
        if (failing) throw Object.assign(new Error('permission denied for table delivery_jobs'), { code: '42501' });
        return summarizeBacklog([], null);
      },
      clock: { now: () => new Date() },
      log: { info: (_fields, message) => { lines.push(`info ${message}`); }, warn: (_fields, message) => { lines.push(`warn ${message}`); }, error() {} },
      refused: { inc() {} },
      settings: SETTINGS,
    });
    await gate.probe();
    failing = true;
    for (let i = 0; i < 5; i++) await gate.probe();
    assert.equal(gate.admit('email'), true, 'the last verdict stands');
    failing = false;
    await gate.probe();
    assert.deepEqual(lines, ['warn admission control cannot read the outbox: keeping its last verdict', 'info admission control reads the outbox again']);
  });

  it('closes while the oldest job is older than the limit, whatever the rate says', async () => {
    const box = outbox();
    box.add(1);
    box.advance(10_500);
    await box.gate.probe();
    assert.deepEqual(verdict(box.gate), { open: false, retryAfter: 1, projected: 0 });
  });

  it('closes while the count passes DELIVERY_MAX_PENDING, and reads no rate across a capped count', async () => {
    const box = outbox();
    await box.gate.probe();
    box.advance(1_000);
    box.add(SETTINGS.deliveryMaxPending + 5);
    await box.gate.probe();
    assert.equal(box.gate.admit('email'), false);
    // Below the cap again: the window starts over, so the first probe projects nothing yet (a
    // rate across the capped count would count the jobs beyond the cap as delivered).
    box.advance(1_000);
    box.send(5_000);
    await box.gate.probe();
    assert.equal(box.gate.projectedWaitSeconds('email'), 0);
    box.advance(1_000);
    box.send(1_000);
    await box.gate.probe();
    assert.equal(Math.round(box.gate.projectedWaitSeconds('email')), 14, 'about 14,000 pending at 1,000/s');
    assert.equal(box.gate.admit('email'), false);
  });
});
