/** Request and response schemas of the passkey endpoints. WebAuthn JSON is checked by @simplewebauthn/server. */
import { Type } from 'typebox';
import { ClientIdField } from './passwordless.ts';

const Base64Url = Type.String({ minLength: 1, maxLength: 16_384, pattern: '^[A-Za-z0-9_-]*={0,2}$' });
const Open = { additionalProperties: true } as const;

/** A PublicKeyCredential as JSON (`toJSON()`, or @simplewebauthn/browser's result). */
const CredentialJson = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 1_024 }),
  rawId: Type.String({ minLength: 1, maxLength: 1_024 }),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: Base64Url,
    attestationObject: Type.Optional(Base64Url),
    authenticatorData: Type.Optional(Base64Url),
    signature: Type.Optional(Base64Url),
    userHandle: Type.Optional(Type.String({ maxLength: 1_024 })),
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
  }, Open),
  clientExtensionResults: Type.Optional(Type.Object({}, Open)),
  authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
}, Open);

const Name = Type.String({ minLength: 1, maxLength: 64 });

export const RegisterBody = Type.Object({ response: CredentialJson, name: Type.Optional(Name) });
export const RenameBody = Type.Object({ name: Name });
export const PasskeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 1_024 }) });
/** The client signing in (absent: the default one); its challenge signs in only under it. */
export const AuthenticationOptionsBody = Type.Union([Type.Object({ client_id: ClientIdField }), Type.Null()]);
export const AuthenticateBody = Type.Object({ response: CredentialJson, client_id: ClientIdField });

/** Options are passed to navigator.credentials.create/get as they are (after decoding). */
export const OptionsReply = Type.Object({}, Open);

const Timestamp = Type.String({ format: 'date-time' });
export const PasskeyReply = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()]),
  backed_up: Type.Boolean(),
});
export const RegisteredReply = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });
export const PasskeysReply = Type.Object({ passkeys: Type.Array(PasskeyReply) });
