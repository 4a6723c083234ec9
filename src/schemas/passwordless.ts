/** Request and response schemas of the passwordless endpoints; the response schemas are the contract. */
import { Type, type Static } from 'typebox';

// Bounds here only stop abuse early; the real validation is the normalizers' (S14, S15).
export const EmailField = Type.String({ minLength: 1, maxLength: 320 });
export const PhoneField = Type.String({ minLength: 1, maxLength: 40 });
export const TokenField = Type.String({ minLength: 1, maxLength: 512 });
// A BCP 47-shaped language tag; one we have no templates for falls back, never fails.
// The client (application) the request is for; absent: DEFAULT_CLIENT_ID. An id that is not a
// client's answers invalid_client (plugins/client-guard.ts).
export const ClientIdField = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));
export const LocaleField = Type.Optional(Type.String({ minLength: 1, maxLength: 35, pattern: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$' }));

export const RequestEmailBody = Type.Object({ email: EmailField, locale: LocaleField, client_id: ClientIdField });
export const RequestMobileBody = Type.Object({ phone_number: PhoneField, locale: LocaleField, client_id: ClientIdField });
export const ExchangeEmailBody = Type.Object({ email: EmailField, token: TokenField, client_id: ClientIdField });
export const ExchangeMobileBody = Type.Object({ phone_number: PhoneField, token: TokenField, client_id: ClientIdField });
export const ExchangeStandaloneBody = Type.Object({ token: TokenField, client_id: ClientIdField });

export type RequestEmailBody = Static<typeof RequestEmailBody>;
export type RequestMobileBody = Static<typeof RequestMobileBody>;

export const AcceptedReply = Type.Object({ detail: Type.String() });

export const AccessTokenReply = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  /** Absent for a client in cookie mode: the token is in the __Host-sesame_refresh cookie. */
  refresh_token: Type.Optional(Type.String()),
});

export const ProblemReply = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
});
