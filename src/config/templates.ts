/** What the messages say: the product name, the default language, operator templates, the WebOTP host. */
import type { EnvReader } from './reader.ts';

export interface TemplatesConfig {
  appName: string;
  /** Message language when the request names none we have (lower-case tag). */
  defaultLocale: string;
  /** Operator template overrides: <dir>/<locale>/<name>.mustache. */
  templatesDir: string | undefined;
  /** Host for the WebOTP line at the end of SMS texts (`@host #code`). */
  smsOrigin: string | undefined;
}

const LANGUAGE_TAG = /^[a-z]{2,8}(-[a-z0-9]{1,8})*$/;
const HOST_AND_PORT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

export function parseTemplates(read: EnvReader, problems: string[]): TemplatesConfig {
  const defaultLocale = read.string('DEFAULT_LOCALE', 'en').toLowerCase();
  if (!LANGUAGE_TAG.test(defaultLocale)) problems.push(`DEFAULT_LOCALE: "${defaultLocale}" is not a language tag (e.g. en, de, pt-br)`);
  const smsOrigin = read.optional('SMS_ORIGIN')?.toLowerCase();
  if (smsOrigin !== undefined && !HOST_AND_PORT.test(smsOrigin)) {
    problems.push('SMS_ORIGIN: must be a host such as auth.example.com (no scheme, no path)');
  }
  return {
    appName: read.string('APP_NAME', 'Sesame'),
    defaultLocale,
    templatesDir: read.optional('TEMPLATES_DIR'),
    smsOrigin,
  };
}
