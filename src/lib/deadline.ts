/**
 * A signal that aborts once `ms` have passed (with a TimeoutError, as `AbortSignal.timeout`
 * does) or as soon as `also` aborts (with its reason); `clear()` stops the timer once the work
 * is done; `expired()` tells its own timeout from the other signal's abort.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), also])`: on Node 20 the combined signal holds
 * its sources weakly, so a garbage collection while the work is pending can collect the timeout
 * signal, whose timer then never fires. A provider call that hung past DELIVERY_SEND_TIMEOUT_MS
 * was never aborted that way, and its job stayed leased to a send that never ended
 * (test/unit/deadline.test.ts, and the SMS stall in test/integration/delivery-admission.test.ts).
 * Here the timer holds the controller, and the controller the signal.
 */
export function deadline(ms: number, also?: AbortSignal): { signal: AbortSignal; clear(): void; expired(): boolean } {
  const controller = new AbortController();
  let expired = false;
  const onAbort = () => controller.abort(also!.reason);
  const timer = setTimeout(() => {
    also?.removeEventListener('abort', onAbort);
    expired = !controller.signal.aborted;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  if (also !== undefined) {
    if (also.aborted) controller.abort(also.reason);
    else also.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      also?.removeEventListener('abort', onAbort);
    },
    expired: () => expired,
  };
}
