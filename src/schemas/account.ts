/**
 * Request schemas of the caller's identifier endpoints (/me/email, /me/phone_number); fields as
 * for sign-in, the client (application) included: its name and sender go into the code's message,
 * and the code is verified only under it.
 */
import { Type } from 'typebox';
import { ClientIdField, EmailField, LocaleField, PhoneField, TokenField } from './passwordless.ts';

export const AddEmailBody = Type.Object({ email: EmailField, locale: LocaleField, client_id: ClientIdField });
export const AddPhoneBody = Type.Object({ phone_number: PhoneField, locale: LocaleField, client_id: ClientIdField });
export const VerifyEmailBody = Type.Object({ email: EmailField, token: TokenField, client_id: ClientIdField });
export const VerifyPhoneBody = Type.Object({ phone_number: PhoneField, token: TokenField, client_id: ClientIdField });
