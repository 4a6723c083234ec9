// The send deadline of the outbox dispatcher (src/lib/deadline.ts): it fires after its time even
// when garbage collections run meanwhile, which AbortSignal.any over AbortSignal.timeout does not
// on Node 20 (a send that hung was then never aborted, and its job stayed leased).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deadline } from '../../src/lib/deadline.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Resolves with what aborted the signal, or 'not aborted' after `ms`. */
function outcome(signal: AbortSignal, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('not aborted'), ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve((signal.reason as Error).name); }, { once: true });
  });
}

async function collectGarbageFor(ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('send deadline', () => {
  it('aborts after its time with a TimeoutError, garbage collections or not', async () => {
    const lost = new AbortController();
    const started = Date.now();
    const limit = deadline(200, lost.signal);
    const result = outcome(limit.signal, 2_000);
    await collectGarbageFor(300);
    assert.equal(await result, 'TimeoutError');
    assert.ok(Date.now() - started < 1_000);
    assert.equal(limit.expired(), true);
  });

  it('aborts at once, with its reason, when the other signal does (a lost lease)', async () => {
    const lost = new AbortController();
    const limit = deadline(10_000, lost.signal);
    const result = outcome(limit.signal, 1_000);
    lost.abort(new DOMException('lease lost', 'AbortError'));
    assert.equal(await result, 'AbortError');
    assert.equal(limit.expired(), false, 'the other signal aborted it, not its own timeout');
    limit.clear();
  });

  it('starts aborted when the other signal already is, and cleared, never fires', async () => {
    const lost = new AbortController();
    lost.abort(new DOMException('lease lost', 'AbortError'));
    assert.equal(deadline(10_000, lost.signal).signal.aborted, true);
    const done = deadline(50);
    done.clear();
    assert.equal(await outcome(done.signal, 300), 'not aborted');
  });
});
