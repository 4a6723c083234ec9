/**
 * Demo identities (DEMO_USERS): app-store reviewers sign in with a fixed code that is never
 * sent. The fixed code goes through the normal token machinery (stored as a keyed hash,
 * throttled, guess-limited per token and per destination, S5-S7), so it is no weaker than a
 * sent code and no backdoor. After its expiry the identifier is an ordinary one again.
 */
import type { DemoUser } from '../config/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Channel } from './types.ts';

export interface DemoIdentities {
  /** The live demo entry for this normalized destination, if any. */
  find(channel: Channel, destination: string): DemoUser | undefined;
}

export function createDemoIdentities(users: readonly DemoUser[], clock: Clock): DemoIdentities {
  const byKey = new Map(users.map((user) => [`${user.channel}|${user.destination}`, user]));
  return {
    find(channel, destination) {
      if (byKey.size === 0) return undefined;
      const user = byKey.get(`${channel}|${destination}`);
      if (user === undefined) return undefined;
      return user.expiresAt === null || clock.now() < user.expiresAt ? user : undefined;
    },
  };
}
