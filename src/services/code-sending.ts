/**
 * What every service that sends a one-time code needs: the outbox's wake-up, payload sealing,
 * message language, the code hash, time and randomness. Sign-in and identifier verification
 * share it, so the two cannot drift apart in how a code is made and sent.
 */
import type { LocaleResolver } from '../delivery/locale-negotiation.ts';
import type { PayloadSealer } from '../delivery/outbox-payload.ts';
import type { Clock } from '../lib/clock.ts';
import type { CodeHasher } from '../lib/code-hasher.ts';
import type { RandomSource } from '../lib/random.ts';

export interface CodeSendingDeps {
  /** Told when a delivery job was committed, so sending starts at once. */
  delivery: { wake(): void };
  sealer: PayloadSealer;
  locales: LocaleResolver;
  hasher: CodeHasher;
  clock: Clock;
  random: RandomSource;
}
