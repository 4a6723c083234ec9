/** The `GET /me` shape, shared by every route that answers with the caller's account. */
import type { UserProfile } from '../repositories/session-repository.ts';
import type { Caller } from '../services/session-service.ts';

export function userView(profile: UserProfile, caller: Caller) {
  return {
    id: profile.id,
    email: profile.email,
    phone_number: profile.phoneNumber,
    email_verified: profile.emailVerified,
    phone_number_verified: profile.phoneNumberVerified,
    created_at: profile.createdAt.toISOString(),
    last_login_at: profile.lastLoginAt?.toISOString() ?? null,
    // How this session signed in, from the access token (RFC 8176).
    auth_time: caller.authTime ?? null,
    amr: caller.amr ?? [],
    app_metadata: profile.appMetadata,
    user_metadata: profile.userMetadata,
  };
}
