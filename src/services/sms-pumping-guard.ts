/**
 * SMS-pumping defences (S21, S38). Fraudsters request codes to premium or colluding number
 * ranges and are paid per message, so the caps bound what any range, country or day can cost:
 * - an allowlist of destination countries (checked before anything is stored);
 * - per destination country per hour, per number prefix per hour, and a global daily cap,
 *   counted only for messages that would really be sent, once per delivery job (see admit).
 * A cap is a shared budget, so one party must not be able to spend it for everyone (S38):
 * - no single requester (source network, IPv4 /24 or IPv6 /64) and no single account may use
 *   more than SMS_REQUESTER_SHARE_PERCENT of any cap;
 * - SMS_RESERVED_PERCENT of every cap is kept for numbers that have signed in before, so a
 *   flood of requests to new numbers leaves real users their codes.
 * Crossing a cap is counted in a metric and logged once per cap, scope and window per process,
 * for an operator to alert on. A blocked request is answered exactly like an accepted one by
 * the caller; this module only decides and counts.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Clock } from '../lib/clock.ts';
import type { Counter } from '../lib/metrics.ts';
import { sourceNetwork } from '../lib/source-network.ts';
import type { CounterWindow, SmsCounterRepository } from '../repositories/sms-counter-repository.ts';
import type { Logger } from './types.ts';

export type SmsCap = 'country' | 'prefix' | 'daily';
/** Which budget of a cap ran out: the whole cap, the part open to new numbers, or one party's share. */
export type SmsCapScope = 'total' | 'open' | 'requester' | 'account';
export type SmsBlockReason = 'country_not_allowed' | `${SmsCap}_cap` | 'requester_share' | 'account_share';
export type SmsVerdict = { allowed: true } | { allowed: false; reason: SmsBlockReason };

export interface SmsPumpingSettings {
  smsAllowedCountries: readonly CountryCode[] | 'all';
  smsMaxPerCountryPerHour: number;
  smsMaxPerPrefixPerHour: number;
  smsPrefixLength: number;
  smsMaxPerDay: number;
  smsRequesterSharePercent: number;
  smsReservedPercent: number;
}

/** One SMS about to be sent: its job (charged once), its number, and who asked for it. */
export interface SmsAdmission {
  jobId: string;
  e164: string;
  userId: string;
  clientIp: string | null;
}

export interface SmsPumpingGuard {
  /** Is the number's country on the allowlist? No I/O. */
  screenCountry(e164: string): SmsVerdict;
  /**
   * Charges the job's SMS against every cap, once: a retry of a charged job is admitted
   * without counting again. When any budget is exceeded the message is blocked and the charge
   * is taken back, so blocked pumping of one range does not use up the budget of the others.
   * Throws when the counters cannot be reached: the caller must then send nothing (S22).
   */
  admit(sms: SmsAdmission): Promise<SmsVerdict>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Crossings remembered for the once-per-window log line; beyond this the memory starts over. */
const MAX_REMEMBERED_CROSSINGS = 10_000;

export function createSmsPumpingGuard(deps: {
  counters: SmsCounterRepository;
  clock: Clock;
  settings: SmsPumpingSettings;
  blocked: Counter;
  crossed: Counter;
  log: Logger;
}): SmsPumpingGuard {
  const { counters, clock, settings, blocked, crossed, log } = deps;
  const allowed = settings.smsAllowedCountries === 'all' ? undefined : new Set<string>(settings.smsAllowedCountries);
  const logged = new Set<string>();

  function block(reason: SmsBlockReason): SmsVerdict {
    blocked.inc({ reason });
    return { allowed: false, reason };
  }

  function budgets(limit: number) {
    return {
      total: limit,
      // What numbers without a past sign-in may use; the rest is reserved for those with one.
      open: limit - Math.floor((limit * settings.smsReservedPercent) / 100),
      share: Math.max(1, Math.floor((limit * settings.smsRequesterSharePercent) / 100)),
    };
  }

  function crossing(cap: SmsCap, scope: SmsCapScope, limit: number, window: CounterWindow): void {
    crossed.inc({ cap, scope });
    const id = `${window.key}@${window.windowStart.getTime()}`;
    if (logged.has(id)) return;
    if (logged.size >= MAX_REMEMBERED_CROSSINGS) logged.clear();
    logged.add(id);
    // No number, account or address here: the cap and scope say what to look at (S34).
    log.warn({ cap, scope, limit, windowStart: window.windowStart.toISOString() }, 'SMS cap reached; further codes in this window are not sent');
  }

  return {
    screenCountry(e164) {
      if (allowed === undefined) return { allowed: true };
      const country = countryOf(e164);
      return country !== undefined && allowed.has(country) ? { allowed: true } : block('country_not_allowed');
    },

    async admit(sms) {
      const now = clock.now().getTime();
      const hour = new Date(now - (now % HOUR_MS));
      const day = new Date(now - (now % DAY_MS));
      const network = sms.clientIp === null ? 'unknown' : sourceNetwork(sms.clientIp);
      const caps: { cap: SmsCap; key: string; windowStart: Date; limit: number }[] = [
        { cap: 'country', key: `country:${countryOf(sms.e164) ?? 'ZZ'}`, windowStart: hour, limit: settings.smsMaxPerCountryPerHour },
        { cap: 'prefix', key: `prefix:${sms.e164.replace(/^\+/, '').slice(0, settings.smsPrefixLength)}`, windowStart: hour, limit: settings.smsMaxPerPrefixPerHour },
        { cap: 'daily', key: 'global', windowStart: day, limit: settings.smsMaxPerDay },
      ];
      // Per cap: the whole cap, this requester's network's part, this account's part.
      const windows: CounterWindow[] = caps.flatMap(({ key, windowStart }) => [
        { key, windowStart },
        { key: `${key}|net:${network}`, windowStart },
        { key: `${key}|user:${sms.userId}`, windowStart },
      ]);
      const charge = await counters.charge({ jobId: sms.jobId, counters: windows });
      if (!charge.charged) return { allowed: true };

      for (const [index, { cap, limit }] of caps.entries()) {
        const [total, byNetwork, byAccount] = charge.counts.slice(index * 3, index * 3 + 3) as [number, number, number];
        const budget = budgets(limit);
        const over: [SmsCapScope, number, SmsBlockReason] | undefined =
          total > budget.total ? ['total', budget.total, `${cap}_cap`]
            : !charge.proven && total > budget.open ? ['open', budget.open, `${cap}_cap`]
              : byNetwork > budget.share ? ['requester', budget.share, 'requester_share']
                : byAccount > budget.share ? ['account', budget.share, 'account_share']
                  : undefined;
        if (over === undefined) continue;
        const [scope, scopeLimit, reason] = over;
        await counters.decrement(windows);
        crossing(cap, scope, scopeLimit, windows[index * 3 + (scope === 'requester' ? 1 : scope === 'account' ? 2 : 0)]!);
        return block(reason);
      }
      return { allowed: true };
    },
  };
}

function countryOf(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}
