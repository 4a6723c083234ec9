/** Request and response schemas of the session endpoints: refresh, revoke, /me, logout. */
import { Type } from 'typebox';
import { ClientIdField } from './passwordless.ts';

// Our refresh tokens are 43 characters; the bound only stops abuse early.
const RefreshTokenField = Type.String({ minLength: 1, maxLength: 512 });

export const RefreshBody = Type.Object({
  /** Absent: the __Host-sesame_refresh cookie (cookie mode, S40). */
  refresh_token: Type.Optional(RefreshTokenField),
  /** OAuth clients name the grant; only this one exists here. */
  grant_type: Type.Optional(Type.Literal('refresh_token')),
  client_id: ClientIdField,
});

/** Logout by access token (Authorization), or by refresh token: in the body or the cookie. */
export const LogoutBody = Type.Object({
  refresh_token: Type.Optional(RefreshTokenField),
  client_id: ClientIdField,
});
// RFC 7009 clients may also send access tokens here (an RS256 one is over 600 characters); they
// are answered 200 like any token we do not hold.
const RevocableTokenField = Type.String({ minLength: 1, maxLength: 4096 });

export const RevokeBody = Type.Object({
  token: Type.Optional(RevocableTokenField),
  refresh_token: Type.Optional(RevocableTokenField),
  token_type_hint: Type.Optional(Type.String({ maxLength: 64 })),
  client_id: ClientIdField,
});

export const SessionParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const MeReply = Type.Object({
  id: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  phone_number: Type.Union([Type.String(), Type.Null()]),
  email_verified: Type.Boolean(),
  phone_number_verified: Type.Boolean(),
  created_at: Timestamp,
  last_login_at: NullableTimestamp,
  /** When this session's user authenticated (seconds since the epoch) and how (RFC 8176). */
  auth_time: Type.Union([Type.Integer(), Type.Null()]),
  amr: Type.Array(Type.String()),
  /** Set by operators through the admin API; also the access token's `app_metadata` claim. */
  app_metadata: Type.Object({}, { additionalProperties: true }),
  /** The user's own, changed with PATCH /me. */
  user_metadata: Type.Object({}, { additionalProperties: true }),
});

/** PATCH /me: the user's own metadata, a JSON object of at most 4 KB, replaced whole. */
export const UpdateMeBody = Type.Object({ user_metadata: Type.Object({}, { additionalProperties: true }) });

export const SessionsReply = Type.Object({
  sessions: Type.Array(Type.Object({
    id: Type.String(),
    created_at: Timestamp,
    last_used_at: Timestamp,
    expires_at: Timestamp,
    ip: Type.Union([Type.String(), Type.Null()]),
    user_agent: Type.Union([Type.String(), Type.Null()]),
    current: Type.Boolean(),
  })),
});

export const EmptyReply = Type.Null();
