/** The SMS-pumping defences (S21): where texts may go, and how many per country, prefix and day. */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import type { EnvReader } from './reader.ts';

export interface SmsConfig {
  /** ISO 3166-1 alpha-2 codes, or 'all'. */
  smsAllowedCountries: CountryCode[] | 'all';
  smsMaxPerCountryPerHour: number;
  smsMaxPerPrefixPerHour: number;
  smsPrefixLength: number;
  smsMaxPerDay: number;
}

export function parseSms(read: EnvReader, problems: string[], context: { defaultPhoneRegion: CountryCode | undefined }): SmsConfig {
  // Default allowlist: the home region only; with no home region, everywhere (warned at start).
  const countryList = read.list('SMS_ALLOWED_COUNTRIES', context.defaultPhoneRegion ? [context.defaultPhoneRegion] : ['*']);
  let smsAllowedCountries: CountryCode[] | 'all';
  if (countryList.length === 1 && countryList[0] === '*') {
    smsAllowedCountries = 'all';
  } else {
    smsAllowedCountries = [];
    for (const raw of countryList) {
      const code = raw.toUpperCase();
      if (isSupportedCountry(code)) smsAllowedCountries.push(code);
      else problems.push(`SMS_ALLOWED_COUNTRIES: "${raw}" is not an ISO 3166-1 alpha-2 region (or use * for all)`);
    }
  }
  return {
    smsAllowedCountries,
    smsMaxPerCountryPerHour: read.int('SMS_MAX_PER_COUNTRY_PER_HOUR', 100, 1, 100_000_000),
    smsMaxPerPrefixPerHour: read.int('SMS_MAX_PER_PREFIX_PER_HOUR', 10, 1, 100_000_000),
    // At most 8 digits: the prefix is kept in clear in sms_counters, and a longer one is most of a number (S34).
    smsPrefixLength: read.int('SMS_PREFIX_LENGTH', 6, 2, 8),
    smsMaxPerDay: read.int('SMS_MAX_PER_DAY', 1000, 1, 1_000_000_000),
  };
}
