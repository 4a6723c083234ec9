/**
 * Clients (applications): the default one built from the environment, the others from the
 * clients table, held in memory so a request resolves its client without a query. Each replica
 * reloads the table every CLIENT_RELOAD_INTERVAL (workers/client-reload.ts); a change made in
 * this process is seen at once. The management operations (list, get, add, update, remove) are
 * shared by `npm run clients` and the admin API, with one validation. No Fastify, no SQL here.
 */
import {
  ACCESS_TOKEN_TTL_RANGE,
  REFRESH_TOKEN_DELIVERIES,
  REFRESH_TOKEN_TTL_RANGE,
  audienceProblem,
  clientIdProblem,
  emailFromProblem,
  loginUrlProblem,
  methodsProblem,
  nameProblem,
  originProblem,
  secondsProblem,
  type RefreshTokenDelivery,
} from '../lib/client-fields.ts';
import type { Clock } from '../lib/clock.ts';
import type { ClientRepository, StoredClient, StoredClientFields } from '../repositories/client-repository.ts';
import type { Channel, Logger } from './types.ts';

/** A client as requests use it: every field resolved, fallbacks applied. */
export interface Client {
  clientId: string;
  /** Shown in messages ({{appName}}). */
  name: string;
  /** Origins its browser apps may call from (S39); the issuer's origin is always among them. */
  allowedOrigins: readonly string[];
  /**
   * Whether `origin` is one of `allowedOrigins`: a lookup in a set built once when the client is
   * resolved (at each reload), so a request costs no scan of up to 101 origins.
   */
  allowsOrigin(origin: string): boolean;
  /** The magic-link template; undefined: codes only. */
  loginUrl: string | undefined;
  allowedMethods: readonly Channel[];
  /** The access token's `aud`. */
  audience: string;
  /** The access token's `client_id` claim (the default client's is JWT_CLIENT_ID). */
  tokenClientId: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshTokenDelivery: RefreshTokenDelivery;
  /** Sender address of its emails; undefined: EMAIL_FROM. */
  emailFrom: string | undefined;
}

/** What the environment gives every client that does not set a field, and the default client whole. */
export interface ClientDefaults {
  defaultClientId: string;
  /** ALLOWED_ORIGINS: the default client's origins. */
  allowedOrigins: readonly string[];
  /** JWT_ISSUER: its origin is allowed for every client. */
  jwtIssuer: string;
  appName: string;
  emailLoginUrl: string | undefined;
  allowedMethods: readonly Channel[];
  jwtAudience: string;
  jwtClientId: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

/** A client as the CLI and the admin API show it (snake_case, as on the wire). */
export interface ClientView {
  client_id: string;
  name: string;
  allowed_origins: string[];
  login_url: string | null;
  allowed_methods: string[];
  audience: string;
  access_token_ttl: number;
  refresh_token_ttl: number;
  refresh_token_delivery: RefreshTokenDelivery;
  email_from: string | null;
  /** True for DEFAULT_CLIENT_ID. */
  default: boolean;
  /** False for the default client while it has no row: every field is the environment's. */
  stored: boolean;
  created_at: string | null;
  updated_at: string | null;
}

/** Fields to set; absent: unchanged (update) or the fallback (add); null: back to the fallback. */
export interface ClientInput {
  name?: string | null;
  allowed_origins?: string[] | null;
  login_url?: string | null;
  allowed_methods?: string[] | null;
  audience?: string | null;
  access_token_ttl?: number | null;
  refresh_token_ttl?: number | null;
  refresh_token_delivery?: string | null;
  email_from?: string | null;
}

/** One problem per bad field, named as in ClientInput (client_id for the id). */
export interface ClientProblem {
  field: keyof ClientInput | 'client_id';
  message: string;
}

export type ClientChange =
  | { outcome: 'ok'; client: ClientView }
  | { outcome: 'invalid'; problems: ClientProblem[] }
  | { outcome: 'exists' }
  | { outcome: 'not_found' };

export interface ClientRegistry {
  /** The named client, or the default one when `clientId` is undefined; undefined when unknown. */
  find(clientId: string | undefined): Client | undefined;
  /** The default client (DEFAULT_CLIENT_ID). */
  defaultClient(): Client;
  /** Whether any client allows this origin: CORS answers it (S39). */
  allowsOrigin(origin: string): boolean;
  /** Every client's audience: Sesame's own endpoints (/me) accept tokens of any client. */
  audiences(): string[];
  /** The longest access-token lifetime of any client. */
  maxAccessTokenTtlSeconds(): number;
  /** Reads the clients table again. */
  reload(): Promise<void>;
  list(): Promise<ClientView[]>;
  get(clientId: string): Promise<ClientView | undefined>;
  add(clientId: string, input: ClientInput): Promise<ClientChange>;
  update(clientId: string, input: ClientInput): Promise<ClientChange>;
  /** Deletes the client's row (the default client goes back to the environment's settings). */
  remove(clientId: string): Promise<'removed' | 'not_found'>;
}

/** Checks every field given; one problem per bad field, none when all are fine. */
export function validateClientInput(clientId: string, input: ClientInput, enabledMethods: readonly Channel[]): ClientProblem[] {
  const problems: ClientProblem[] = [];
  const check = (field: ClientProblem['field'], problem: string | undefined): void => {
    if (problem !== undefined) problems.push({ field, message: problem });
  };
  check('client_id', clientIdProblem(clientId));
  const given = <K extends keyof ClientInput>(key: K): NonNullable<ClientInput[K]> | undefined => input[key] ?? undefined;

  const name = given('name');
  if (name !== undefined) check('name', typeof name === 'string' ? nameProblem(name) : 'must be a string');
  const origins = given('allowed_origins');
  if (origins !== undefined) {
    check('allowed_origins', !Array.isArray(origins) || !origins.every((origin) => typeof origin === 'string')
      ? 'must be a list of origins'
      : origins.length > 100 ? 'at most 100 origins' : origins.map(originProblem).filter((problem) => problem !== undefined).join('; ') || undefined);
  }
  const loginUrl = given('login_url');
  if (loginUrl !== undefined) check('login_url', typeof loginUrl === 'string' ? loginUrlProblem(loginUrl) : 'must be a string');
  const methods = given('allowed_methods');
  if (methods !== undefined) {
    const problem = !Array.isArray(methods) || !methods.every((method) => typeof method === 'string') ? 'must be a list of methods' : methodsProblem(methods);
    const disabled = problem === undefined ? methods.filter((method) => !enabledMethods.includes(method as Channel)) : [];
    check('allowed_methods', problem ?? (disabled.length > 0 ? `${disabled.join(', ')} is not enabled here (ALLOWED_PASSWORDLESS_METHODS)` : undefined));
  }
  const audience = given('audience');
  if (audience !== undefined) check('audience', typeof audience === 'string' ? audienceProblem(audience) : 'must be a string');
  const accessTtl = given('access_token_ttl');
  if (accessTtl !== undefined) check('access_token_ttl', secondsProblem(accessTtl, ACCESS_TOKEN_TTL_RANGE));
  const refreshTtl = given('refresh_token_ttl');
  if (refreshTtl !== undefined) check('refresh_token_ttl', secondsProblem(refreshTtl, REFRESH_TOKEN_TTL_RANGE));
  const delivery = given('refresh_token_delivery');
  if (delivery !== undefined && !(REFRESH_TOKEN_DELIVERIES as readonly unknown[]).includes(delivery)) {
    check('refresh_token_delivery', `"${String(delivery)}" is not one of body, cookie`);
  }
  const emailFrom = given('email_from');
  if (emailFrom !== undefined) check('email_from', typeof emailFrom === 'string' ? emailFromProblem(emailFrom) : 'must be a string');
  return problems;
}

export function createClientRegistry(deps: { repository: ClientRepository; defaults: ClientDefaults; clock: Clock; log: Logger }): ClientRegistry {
  const { repository, defaults, clock, log } = deps;
  const issuerOrigin = originOf(defaults.jwtIssuer);
  let stored = new Map<string, StoredClient>();
  let clients = new Map<string, Client>();
  let origins = new Set<string>();
  let defaultClient = resolve(undefined);
  rebuild([]);


  /** The client from its row (or none, for the default client), fallbacks applied. */
  function resolve(row: StoredClient | undefined): Client {
    const isDefault = row === undefined || row.clientId === defaults.defaultClientId;
    const base: readonly string[] = isDefault ? defaults.allowedOrigins : [];
    const allowed = new Set(row?.allowedOrigins ?? base);
    if (issuerOrigin !== undefined) allowed.add(issuerOrigin);
    const clientId = row?.clientId ?? defaults.defaultClientId;
    const methods = (row?.allowedMethods ?? defaults.allowedMethods).filter((method): method is Channel => defaults.allowedMethods.includes(method as Channel));
    return {
      clientId,
      name: row?.name ?? defaults.appName,
      allowedOrigins: [...allowed],
      allowsOrigin: (origin) => allowed.has(origin),
      loginUrl: row?.loginUrl ?? defaults.emailLoginUrl,
      allowedMethods: methods,
      audience: row?.audience ?? defaults.jwtAudience,
      tokenClientId: isDefault ? defaults.jwtClientId : clientId,
      accessTokenTtlSeconds: row?.accessTokenTtl ?? defaults.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: row?.refreshTokenTtl ?? defaults.refreshTokenTtlSeconds,
      refreshTokenDelivery: (row?.refreshTokenDelivery as RefreshTokenDelivery | null) ?? 'body',
      emailFrom: row?.emailFrom ?? undefined,
    };
  }

  function rebuild(rows: StoredClient[]): void {
    const nextStored = new Map(rows.map((row) => [row.clientId, row]));
    const next = new Map<string, Client>();
    for (const row of rows) next.set(row.clientId, resolve(row));
    if (!next.has(defaults.defaultClientId)) next.set(defaults.defaultClientId, resolve(undefined));
    stored = nextStored;
    clients = next;
    defaultClient = next.get(defaults.defaultClientId)!;
    origins = new Set([...next.values()].flatMap((client) => client.allowedOrigins));
  }

  function view(client: Client): ClientView {
    const row = stored.get(client.clientId);
    return {
      client_id: client.clientId,
      name: client.name,
      // As configured; the issuer's origin, allowed for every client, is not repeated here.
      allowed_origins: [...(row?.allowedOrigins ?? (client.clientId === defaults.defaultClientId ? defaults.allowedOrigins : []))],
      login_url: client.loginUrl ?? null,
      allowed_methods: [...client.allowedMethods],
      audience: client.audience,
      access_token_ttl: client.accessTokenTtlSeconds,
      refresh_token_ttl: client.refreshTokenTtlSeconds,
      refresh_token_delivery: client.refreshTokenDelivery,
      email_from: client.emailFrom ?? null,
      default: client.clientId === defaults.defaultClientId,
      stored: row !== undefined,
      created_at: row?.createdAt.toISOString() ?? null,
      updated_at: row?.updatedAt.toISOString() ?? null,
    };
  }

  async function reload(): Promise<void> {
    const rows = await repository.listAll();
    const before = clients.size;
    rebuild(rows);
    if (clients.size !== before) log.info({ clients: clients.size }, 'clients reloaded');
  }

  function checked(clientId: string, input: ClientInput): ClientProblem[] {
    return validateClientInput(clientId, input, defaults.allowedMethods);
  }

  return {
    find(clientId) {
      return clientId === undefined ? defaultClient : clients.get(clientId);
    },
    defaultClient: () => defaultClient,
    allowsOrigin: (origin) => origins.has(origin),
    audiences: () => [...new Set([...clients.values()].map((client) => client.audience))],
    maxAccessTokenTtlSeconds: () => Math.max(...[...clients.values()].map((client) => client.accessTokenTtlSeconds)),
    reload,
    async list() {
      await reload();
      // The default client first, then by id.
      return [...clients.values()]
        .sort((a, b) => Number(b.clientId === defaults.defaultClientId) - Number(a.clientId === defaults.defaultClientId) || a.clientId.localeCompare(b.clientId))
        .map(view);
    },
    async get(clientId) {
      await reload();
      const client = clients.get(clientId);
      return client === undefined ? undefined : view(client);
    },
    async add(clientId, input) {
      const problems = checked(clientId, input);
      if (problems.length > 0) return { outcome: 'invalid', problems };
      const row = await repository.insert(clientId, toFields(input), clock.now());
      if (row === null) return { outcome: 'exists' };
      await reload();
      return { outcome: 'ok', client: view(clients.get(clientId)!) };
    },
    async update(clientId, input) {
      const problems = checked(clientId, input);
      if (problems.length > 0) return { outcome: 'invalid', problems };
      const fields = toFields(input);
      // The default client may have no row yet: updating it creates one.
      const row = await repository.update(clientId, fields, clock.now())
        ?? (clientId === defaults.defaultClientId ? await repository.insert(clientId, fields, clock.now()) : null);
      if (row === null) return { outcome: 'not_found' };
      await reload();
      return { outcome: 'ok', client: view(clients.get(clientId)!) };
    },
    async remove(clientId) {
      const removed = await repository.remove(clientId);
      await reload();
      return removed ? 'removed' : 'not_found';
    },
  };
}

function toFields(input: ClientInput): StoredClientFields {
  const fields: StoredClientFields = {};
  if ('name' in input) fields.name = input.name ?? null;
  if ('allowed_origins' in input) fields.allowedOrigins = input.allowed_origins ?? null;
  if ('login_url' in input) fields.loginUrl = input.login_url ?? null;
  if ('allowed_methods' in input) fields.allowedMethods = input.allowed_methods === undefined || input.allowed_methods === null ? null : [...new Set(input.allowed_methods)];
  if ('audience' in input) fields.audience = input.audience ?? null;
  if ('access_token_ttl' in input) fields.accessTokenTtl = input.access_token_ttl ?? null;
  if ('refresh_token_ttl' in input) fields.refreshTokenTtl = input.refresh_token_ttl ?? null;
  if ('refresh_token_delivery' in input) fields.refreshTokenDelivery = input.refresh_token_delivery ?? null;
  if ('email_from' in input) fields.emailFrom = input.email_from ?? null;
  return fields;
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
