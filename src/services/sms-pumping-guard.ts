/**
 * SMS-pumping defences (S21). Fraudsters request codes to premium or colluding number ranges
 * and are paid per message, so the caps bound what any range, country or day can cost:
 * - an allowlist of destination countries (checked before anything is stored);
 * - per destination country per hour, per number prefix per hour, and a global daily cap,
 *   counted only for messages that would really be sent (see admit).
 * A blocked request is answered exactly like an accepted one by the caller; this module only
 * decides and counts.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Clock } from '../lib/clock.ts';
import type { Counter } from '../lib/metrics.ts';
import type { CounterWindow, SmsCounterRepository } from '../repositories/sms-counter-repository.ts';

export type SmsBlockReason = 'country_not_allowed' | 'country_cap' | 'prefix_cap' | 'daily_cap';
export type SmsVerdict = { allowed: true } | { allowed: false; reason: SmsBlockReason };

export interface SmsPumpingSettings {
  smsAllowedCountries: readonly CountryCode[] | 'all';
  smsMaxPerCountryPerHour: number;
  smsMaxPerPrefixPerHour: number;
  smsPrefixLength: number;
  smsMaxPerDay: number;
}

export interface SmsPumpingGuard {
  /** Is the number's country on the allowlist? No I/O. */
  screenCountry(e164: string): SmsVerdict;
  /**
   * Counts one SMS to `e164` against the hourly country and prefix caps and the daily cap.
   * When any cap is reached the message is blocked and the increment is taken back, so blocked
   * pumping of one range does not use up the budget of the others. Throws when the counters
   * cannot be reached: the caller must then send nothing (fail closed, S22).
   */
  admit(e164: string): Promise<SmsVerdict>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function createSmsPumpingGuard(deps: {
  counters: SmsCounterRepository;
  clock: Clock;
  settings: SmsPumpingSettings;
  blocked: Counter;
}): SmsPumpingGuard {
  const { counters, clock, settings, blocked } = deps;
  const allowed = settings.smsAllowedCountries === 'all' ? undefined : new Set<string>(settings.smsAllowedCountries);

  function block(reason: SmsBlockReason): SmsVerdict {
    blocked.inc({ reason });
    return { allowed: false, reason };
  }

  return {
    screenCountry(e164) {
      if (allowed === undefined) return { allowed: true };
      const country = countryOf(e164);
      return country !== undefined && allowed.has(country) ? { allowed: true } : block('country_not_allowed');
    },

    async admit(e164) {
      const now = clock.now().getTime();
      const hour = new Date(now - (now % HOUR_MS));
      const day = new Date(now - (now % DAY_MS));
      const windows: CounterWindow[] = [
        { key: `country:${countryOf(e164) ?? 'ZZ'}`, windowStart: hour },
        { key: `prefix:${e164.replace(/^\+/, '').slice(0, settings.smsPrefixLength)}`, windowStart: hour },
        { key: 'global', windowStart: day },
      ];
      const [country, prefix, global] = await counters.increment(windows);
      const reason: SmsBlockReason | undefined =
        global! > settings.smsMaxPerDay ? 'daily_cap'
          : country! > settings.smsMaxPerCountryPerHour ? 'country_cap'
            : prefix! > settings.smsMaxPerPrefixPerHour ? 'prefix_cap'
              : undefined;
      if (reason === undefined) return { allowed: true };
      await counters.decrement(windows);
      return block(reason);
    },
  };
}

function countryOf(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}
