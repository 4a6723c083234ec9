/** Request schemas of the caller's identifier endpoints (/me/email, /me/phone_number); fields as for sign-in. */
import { Type } from 'typebox';
import { EmailField, LocaleField, PhoneField, TokenField } from './passwordless.ts';

export const AddEmailBody = Type.Object({ email: EmailField, locale: LocaleField });
export const AddPhoneBody = Type.Object({ phone_number: PhoneField, locale: LocaleField });
export const VerifyEmailBody = Type.Object({ email: EmailField, token: TokenField });
export const VerifyPhoneBody = Type.Object({ phone_number: PhoneField, token: TokenField });
