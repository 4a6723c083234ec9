/**
 * Gates for the caller's account changes: the session must still be live (like /me), and
 * changing how the account signs in needs a recent sign-in (S45).
 */
import { AppError } from '../errors.ts';
import type { UserProfile } from '../repositories/session-repository.ts';
import type { Caller } from './session-service.ts';

/** The 401 of an access token whose session has ended (RFC 6750), as the bearer check answers. */
export function sessionEnded(): AppError {
  return new AppError('invalid_access_token', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
}

/**
 * Refuses unless the token's `auth_time` is at most `maxAgeSeconds` old. A token without it
 * (minted before the claim existed) is treated as old. Refreshing does not renew it: only a
 * sign-in does.
 */
export function requireRecentSignIn(caller: Caller, now: Date, maxAgeSeconds: number): void {
  const authTime = caller.authTime;
  if (authTime === null || authTime === undefined || now.getTime() / 1000 - authTime > maxAgeSeconds) {
    throw new AppError('reauthentication_required', { headers: { 'www-authenticate': 'Bearer error="insufficient_user_authentication", max_age="' + maxAgeSeconds + '"' } });
  }
}

/** The caller's live profile, or the 401 of an ended session. */
export async function liveProfile(sessions: { profile(caller: Caller): Promise<UserProfile | null> }, caller: Caller): Promise<UserProfile> {
  const profile = await sessions.profile(caller);
  if (profile === null) throw sessionEnded();
  return profile;
}
