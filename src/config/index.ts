/**
 * The service's configuration: every environment variable is declared, parsed and validated
 * under src/config/, once, at start. Nothing else reads process.env (the AWS SDK reads its own
 * variables). Each section file parses and checks its own variables with the one reader
 * (reader.ts); validate.ts holds the production rules that span sections.
 */
import { parseAccounts, type AccountsConfig } from './accounts.ts';
import { parseAdmin, type AdminConfig } from './admin.ts';
import { parseClients, type ClientsConfig } from './clients.ts';
import { parseDatabase, type DatabaseConfig } from './database.ts';
import { parseDelivery, type DeliveryConfig } from './delivery.ts';
import { parseDocs, type DocsConfig } from './docs.ts';
import { parseTelemetry, type TelemetryConfig } from './telemetry.ts';
import { parseDemoUsersSection, type DemoUsersConfig } from './demo-users.ts';
import { parseKeys, type KeysConfig } from './keys.ts';
import { parseOperations, type OperationsConfig } from './operations.ts';
import { parseProviders, type ProvidersConfig } from './providers.ts';
import { parsePasswordless, type PasswordlessConfig } from './passwordless.ts';
import { parseRateLimits, type RateLimitConfig } from './rate-limits.ts';
import { ConfigError, createReader, type Env } from './reader.ts';
import { parseRetention, type RetentionConfig } from './retention.ts';
import { parseSecrets, type SecretsConfig } from './secrets.ts';
import { parseServer, type ServerConfig } from './server.ts';
import { parseSms, type SmsConfig } from './sms.ts';
import { parseTemplates, type TemplatesConfig } from './templates.ts';
import { parseTokens, type TokensConfig } from './tokens.ts';
import { validate } from './validate.ts';
import { parseHardeningConfig, type HardeningConfig } from './hardening.ts';
import { parseHooks, type HooksConfig } from './hooks.ts';

export { ConfigError, type Env, type EnvReader } from './reader.ts';
export type { DemoUser } from './demo-users.ts';
export type { JwtAlg } from './keys.ts';
export type { PasswordlessMethod } from './passwordless.ts';
export type { LogLevel } from './server.ts';
export { validate } from './validate.ts';

export interface Config extends
  ServerConfig, DatabaseConfig, SecretsConfig, PasswordlessConfig, TokensConfig, KeysConfig,
  DeliveryConfig, TemplatesConfig, SmsConfig, RateLimitConfig, DemoUsersConfig, RetentionConfig,
  AccountsConfig, OperationsConfig, HardeningConfig, AdminConfig, HooksConfig, ProvidersConfig, ClientsConfig, DocsConfig, TelemetryConfig {}

/** Parses and validates the environment. Reports all problems at once, in one ConfigError. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = createReader(env, problems);

  const server = parseServer(read, problems);
  const database = parseDatabase(read, problems);
  const secrets = parseSecrets(read, problems);
  const passwordless = parsePasswordless(read, problems);
  const clients = parseClients(read, problems, { production: server.production });
  const tokens = parseTokens(read, { production: server.production, port: server.port, defaultClientId: clients.defaultClientId });
  const keys = parseKeys(read, problems);
  const delivery = parseDelivery(read, problems);
  const templates = parseTemplates(read, problems);
  const sms = parseSms(read, problems, passwordless);
  const rateLimits = parseRateLimits(read);
  const demoUsers = parseDemoUsersSection(read, problems, passwordless);
  const retention = parseRetention(read);
  const operations = parseOperations(read, problems);
  const accounts = parseAccounts(read, problems, { jwtIssuer: tokens.jwtIssuer, production: server.production });
  const admin = parseAdmin(read, problems, { host: server.host, port: server.port, production: server.production });
  const hooks = parseHooks(read, problems, { production: server.production });
  const providers = parseProviders(read, problems, { ...delivery, allowPrivateNetworks: hooks.webhookAllowPrivateNetworks });
  const docs = parseDocs(read);
  const telemetry = parseTelemetry(read, problems);

  const hardening = parseHardeningConfig(read, problems, {
    shortTokenChars: passwordless.shortTokenChars, shortTokenLength: passwordless.shortTokenLength,
    maxDestinationFailuresPerHour: passwordless.maxDestinationFailures, maxTokenAttempts: passwordless.maxTokenAttempts,
  });

  const config: Config = {
    ...server, ...database, ...secrets, ...passwordless, ...tokens, ...keys,
    ...delivery, ...templates, ...sms, ...rateLimits, ...demoUsers, ...retention,
    ...accounts, ...operations, ...hardening, ...admin, ...hooks, ...providers, ...clients, ...docs, ...telemetry,
  };
  problems.push(...validate(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The configuration of this process: the one place that hands process.env to loadConfig. */
export function loadProcessConfig(): Config {
  return loadConfig(process.env);
}
