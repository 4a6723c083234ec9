/** Builds the account services (identifiers, passkeys) from what the composition root already has. */
import type { Config } from '../config/index.ts';
import type { Database } from '../db/database.ts';
import type { AccessTokenSigner } from '../keys/access-token-signer.ts';
import { createAccountRepository } from '../repositories/account-repository.ts';
import { createPasskeyRepository } from '../repositories/passkey-repository.ts';
import { createPasskeyService, type PasskeyService } from './passkey-service.ts';
import type { OneTimeTokenRepository } from '../repositories/one-time-token-repository.ts';
import { createAccountService, type AccountService } from './account-service.ts';
import type { AuditLog } from './audit-log.ts';
import type { SessionService } from './session-service.ts';
import type { SmsPumpingGuard } from './sms-pumping-guard.ts';
import type { Logger } from './types.ts';
import type { CodeSendingDeps } from './code-sending.ts';
import type { WebhookEvents } from './webhook-events.ts';

export interface Accounts {
  accounts: AccountService;
  passkeys: PasskeyService;
}

export function createAccounts(deps: CodeSendingDeps & {
  db: Database;
  tokens: OneTimeTokenRepository;
  sessions: Pick<SessionService, 'profile'>;
  signer: AccessTokenSigner;
  audit: AuditLog;
  smsGuard: Pick<SmsPumpingGuard, 'screenCountry'>;
  config: Config;
  log: Logger;
  events?: Pick<WebhookEvents, 'emit'>;
}): Accounts {
  const accounts = createAccountService({
    tokens: deps.tokens,
    accounts: createAccountRepository(deps.db.prisma),
    sessions: deps.sessions,
    delivery: deps.delivery,
    sealer: deps.sealer,
    locales: deps.locales,
    hasher: deps.hasher,
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    audit: deps.audit,
    smsGuard: deps.smsGuard,
    settings: deps.config,
  });
  const passkeys = createPasskeyService({
    passkeys: createPasskeyRepository(deps.db.prisma),
    sessions: deps.sessions,
    signer: deps.signer,
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    audit: deps.audit,
    settings: deps.config,
    ...(deps.events ? { events: deps.events } : {}),
  });
  return { accounts, passkeys };
}
