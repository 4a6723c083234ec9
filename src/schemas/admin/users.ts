/** Schemas of the admin users endpoints (`/admin/users...`) and the audit log (`/admin/audit-events`). */
import { Type } from 'typebox';
import { NullableTimestamp, Page, PageQuery, Timestamp } from './common.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);
// Bounds stop abuse early; the service normalises and checks the identifiers as at sign-in.
const EmailInput = Type.String({ minLength: 1, maxLength: 320 });
const PhoneInput = Type.String({ minLength: 1, maxLength: 64 });
/** A JSON object; its size (at most 4 KB) is checked by the service. */
export const MetadataObject = Type.Object({}, { additionalProperties: true });

export const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const UserItem = Type.Object({
  id: Type.String(),
  email: NullableString,
  phone_number: NullableString,
  email_verified: Type.Boolean(),
  phone_number_verified: Type.Boolean(),
  disabled: Type.Boolean(),
  is_admin: Type.Boolean(),
  app_metadata: MetadataObject,
  user_metadata: MetadataObject,
  created_at: Timestamp,
  updated_at: Timestamp,
  last_login_at: NullableTimestamp,
});

export const UserPage = Page(UserItem);

export const ListUsersQuery = Type.Object({
  email: Type.Optional(EmailInput),
  phone_number: Type.Optional(PhoneInput),
  /** Prefix of an email address or an E.164 number. */
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  ...PageQuery,
});

export const CreateUserBody = Type.Object({
  email: Type.Optional(EmailInput),
  phone_number: Type.Optional(PhoneInput),
  app_metadata: Type.Optional(MetadataObject),
  user_metadata: Type.Optional(MetadataObject),
  /** Send a sign-in code through the normal outbox (to the email address when both are given). */
  send_invite: Type.Optional(Type.Boolean()),
});

export const CreatedUserReply = Type.Intersect([UserItem, Type.Object({
  /** True when send_invite was asked and the code request was accepted (it was not throttled or refused for overload). */
  invite_requested: Type.Boolean(),
})]);

export const UpdateUserBody = Type.Object({
  /** null removes the identifier; a user keeps at least one. */
  email: Type.Optional(Type.Union([EmailInput, Type.Null()])),
  phone_number: Type.Optional(Type.Union([PhoneInput, Type.Null()])),
  app_metadata: Type.Optional(MetadataObject),
  user_metadata: Type.Optional(MetadataObject),
  /** true ends every session at once; the user can then neither ask for nor use a code. */
  disabled: Type.Optional(Type.Boolean()),
});

export const SessionItem = Type.Object({
  id: Type.String(),
  created_at: Timestamp,
  last_used_at: Timestamp,
  /** The absolute end or the idle timeout, whichever comes first. */
  expires_at: Timestamp,
  ip: NullableString,
  user_agent: NullableString,
  auth_time: Timestamp,
  amr: Type.Array(Type.String()),
});

export const SessionPage = Page(SessionItem);
export const PageOnlyQuery = Type.Object({ ...PageQuery });
export const RevokedReply = Type.Object({ revoked: Type.Integer() });

export const SignInLinkBody = Type.Object({ client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) });
export const SignInLinkReply = Type.Object({
  /** PASSWORDLESS_EMAIL_LOGIN_URL with the token; null when that is not configured. */
  link: NullableString,
  /** For `POST /passwordless/exchange/standalone` as `{ "token": ... }`. */
  token: Type.String(),
  expires_at: Timestamp,
});

export const AuditQuery = Type.Object({
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  event: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** ISO 8601 instants: since <= created_at < until. */
  since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  until: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  ...PageQuery,
});

export const AuditItem = Type.Object({
  id: Type.String(),
  created_at: Timestamp,
  event: Type.String(),
  user_id: NullableString,
  channel: NullableString,
  destination: NullableString,
  client_ip: NullableString,
  user_agent: NullableString,
  outcome: Type.String(),
  reason: NullableString,
  detail: Type.Union([MetadataObject, Type.Null()]),
});

export const AuditPage = Page(AuditItem);
