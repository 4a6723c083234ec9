/** Request and response schemas of the caller's identifier endpoints (/me/email, /me/phone_number). */
import { Type } from 'typebox';

const EmailField = Type.String({ minLength: 1, maxLength: 320 });
const PhoneField = Type.String({ minLength: 1, maxLength: 40 });
const TokenField = Type.String({ minLength: 1, maxLength: 512 });
const LocaleField = Type.Optional(Type.String({ minLength: 1, maxLength: 35, pattern: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$' }));

export const AddEmailBody = Type.Object({ email: EmailField, locale: LocaleField });
export const AddPhoneBody = Type.Object({ phone_number: PhoneField, locale: LocaleField });
export const VerifyEmailBody = Type.Object({ email: EmailField, token: TokenField });
export const VerifyPhoneBody = Type.Object({ phone_number: PhoneField, token: TokenField });
