/**
 * Normalization of the identifiers people sign in with. The same function runs on request and
 * on exchange, so every spelling of one address or number reaches the same account.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export const MAX_EMAIL_LENGTH = 254;

// CR, LF, TAB, NUL and friends are refused outright, not trimmed: they only ever arrive in
// header-injection attempts (S14).
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

// One bare addr-spec: dot-atoms on both sides, no quotes, comments, display names, brackets,
// whitespace or separators. Anything that could smuggle a second recipient is refused (S14).
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Returns the normalized address, or undefined when it is not exactly one valid address. One
 * rule: trim, fold Unicode compatibility characters (NFKC: the Kelvin sign U+212A becomes `K`,
 * fullwidth `ｋ` becomes `k`, the ligature `ﬀ` becomes `ff`), lower-case, and then the result must
 * be a plain ASCII addr-spec. So every spelling that folds to one address reaches one account,
 * and the code goes to that folded address, never to the spelling that was typed; anything that
 * does not fold to ASCII (`ü`, `ı`, U-label domains) is refused. Codes are sent only to what
 * this returns.
 */
export function normalizeEmail(input: string): string | undefined {
  if (CONTROL_CHARACTERS.test(input)) return undefined;
  // Folding can expand a character (U+FDFA becomes 18); the length is checked after it.
  const email = input.trim().normalize('NFKC').toLowerCase();
  if (CONTROL_CHARACTERS.test(email)) return undefined;
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return undefined;
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@')) return undefined;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return undefined;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return email;
}

const PHONE_SHAPE = /^\+?[0-9 ()./-]{4,40}$/;
const SMS_CAPABLE = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER']);

/**
 * Returns the number in E.164, or undefined when it is invalid, cannot receive SMS, or is in a
 * national format while no default region is configured (S15).
 */
export function normalizePhone(input: string, defaultRegion: CountryCode | undefined): string | undefined {
  if (CONTROL_CHARACTERS.test(input)) return undefined;
  const value = input.trim();
  if (!PHONE_SHAPE.test(value)) return undefined;
  const international = value.startsWith('+');
  if (!international && defaultRegion === undefined) return undefined;
  const parsed = international ? parsePhoneNumberFromString(value) : parsePhoneNumberFromString(value, defaultRegion);
  if (parsed === undefined || !parsed.isValid()) return undefined;
  const type = parsed.getType();
  // Some regions do not distinguish mobile ranges; an unknown type is accepted, a known
  // landline, toll-free or premium number is not.
  if (type !== undefined && !SMS_CAPABLE.has(type)) return undefined;
  return parsed.number;
}
