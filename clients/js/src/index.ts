/**
 * A small typed browser client for Sesame. Types come from Sesame's OpenAPI document
 * (schema.ts, generated); there is no runtime dependency.
 *
 * Sessions: the access token lives in memory only. For a client in cookie mode (the browser
 * mode) the refresh token is an HttpOnly cookie the page never sees; `credentials: 'include'`
 * sends it. In body mode the refresh token is kept in memory, per tab.
 *
 * Refreshing spends the refresh token, so two tabs must never refresh at once with the same
 * cookie: a refresh runs under a Web Lock shared by the origin's tabs, and the tab that
 * refreshed broadcasts the new access token, so a tab that waited for the lock takes it instead
 * of refreshing again. Without Web Locks, tabs elect one refresher over a BroadcastChannel.
 */
import type { paths } from './schema.js';

export type { paths, components } from './schema.js';

type JsonBody<Path extends keyof paths, Method extends 'post' | 'get'> =
  paths[Path][Method] extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;
type JsonReply<Path extends keyof paths, Method extends 'post' | 'get', Status extends number> =
  paths[Path][Method] extends { responses: { [S in Status]: { content: { 'application/json': infer Reply } } } } ? Reply : never;

/** The tokens an exchange or a refresh answers with. */
export type TokenReply = JsonReply<'/passwordless/exchange/email', 'post', 200>;
/** The signed-in user, as `GET /me` answers. */
export type Me = JsonReply<'/me', 'get', 200>;
/** The RFC 9457 problem document every error is. */
export interface Problem { type: string; title: string; status: number; detail: string; code: string }

/** A refused call: `code` is Sesame's stable error code (`invalid_token`, `origin_not_allowed`, ...). */
export class SesameError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;
  constructor(status: number, problem: Problem | undefined) {
    super(problem?.detail ?? `Sesame answered ${status}`);
    this.name = 'SesameError';
    this.status = status;
    this.code = problem?.code ?? 'unknown';
    this.problem = problem;
  }
}

export interface SesameClientOptions {
  /** Sesame's base URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** The client (application) registered in Sesame; omitted: Sesame's default client. */
  clientId?: string;
  /** Refresh when the access token has less than this left (default 30 s). */
  refreshMarginSeconds?: number;
  /** Called whenever the signed-in state changes (sign-in, refresh, sign-out, a refresh from another tab). */
  onChange?: (signedIn: boolean) => void;
  /** For tests and non-browser runtimes. */
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

export type Identifier = { email: string } | { phone_number: string };

export interface SesameClient {
  /** Sends a sign-in code (and magic link) to an email address or mobile number. */
  requestCode(identifier: Identifier, options?: { locale?: string }): Promise<void>;
  /** Exchanges the code from the message for a session. */
  exchange(identifier: Identifier & { token: string }): Promise<TokenReply>;
  /** Exchanges the token of a magic link (the `{token}` of the client's login URL) for a session. */
  exchangeLink(token: string): Promise<TokenReply>;
  /** Rotates the refresh token for a new access token, once across all tabs; null when signed out. */
  refresh(): Promise<string | null>;
  /** Ends this session (the refresh cookie is cleared) and forgets the tokens. */
  logout(): Promise<void>;
  /** The signed-in user. */
  me(): Promise<Me>;
  /** A valid access token (refreshed when within the margin of expiry), or null when signed out. */
  getAccessToken(): Promise<string | null>;
  /** `fetch` with the Bearer token; on 401 it refreshes and retries once. */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** Stops listening to other tabs. */
  close(): void;
}

interface TokenState { accessToken: string; expiresAt: number }
type TabMessage = { type: 'token'; state: TokenState } | { type: 'signed-out' } | { type: 'claim'; id: string } | { type: 'done'; id: string };

/** Creates a client; each tab creates its own. */
export function createSesameClient(options: SesameClientOptions): SesameClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const clientId = options.clientId;
  const margin = (options.refreshMarginSeconds ?? 30) * 1000;
  const now = options.now ?? (() => Date.now());
  const http = options.fetch ?? globalThis.fetch.bind(globalThis);
  const name = `sesame:${baseUrl}:${clientId ?? 'default'}`;
  const tabId = Math.random().toString(36).slice(2);

  let current: TokenState | null = null;
  let bodyRefreshToken: string | undefined;
  /** Bumped whenever this tab learns a new token, from its own refresh or another tab's. */
  let generation = 0;
  let inFlight: Promise<string | null> | null = null;

  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
  const claims = new Map<string, number>();
  const waiters = new Set<() => void>();
  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
    const message = event.data;
    if (message.type === 'token') adopt(message.state, false);
    else if (message.type === 'signed-out') forget(false);
    else if (message.type === 'claim') claims.set(message.id, now());
    else if (message.type === 'done') claims.delete(message.id);
    for (const wake of waiters) wake();
  });

  function adopt(state: TokenState, announce: boolean): void {
    current = state;
    generation++;
    if (announce) channel?.postMessage({ type: 'token', state } satisfies TabMessage);
    options.onChange?.(true);
  }

  function forget(announce: boolean): void {
    const was = current !== null;
    current = null;
    bodyRefreshToken = undefined;
    generation++;
    if (announce) channel?.postMessage({ type: 'signed-out' } satisfies TabMessage);
    if (was || announce) options.onChange?.(false);
  }

  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await http(`${baseUrl}${path}`, {
      method,
      credentials: 'include',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new SesameError(response.status, await problemOf(response));
    if (response.status === 204) return undefined as T;
    return await response.json() as T;
  }

  function signedIn(reply: TokenReply): TokenReply {
    if (reply.refresh_token !== undefined) bodyRefreshToken = reply.refresh_token;
    adopt({ accessToken: reply.access_token, expiresAt: now() + reply.expires_in * 1000 }, true);
    return reply;
  }

  const withClient = <T extends object>(body: T): T & { client_id?: string } => (clientId === undefined ? body : { ...body, client_id: clientId });
  const fresh = (state: TokenState | null): state is TokenState => state !== null && state.expiresAt - now() > margin;

  /** The refresh call itself; the caller holds the lock (or the election). */
  async function rotate(): Promise<string | null> {
    try {
      const body: JsonBody<'/token/refresh', 'post'> = withClient(bodyRefreshToken === undefined ? {} : { refresh_token: bodyRefreshToken });
      return signedIn(await call<TokenReply>('POST', '/token/refresh', body)).access_token;
    } catch (error) {
      // A refused refresh token means the session is over; anything else (network, 503) is not.
      if (error instanceof SesameError && (error.code === 'invalid_token' || error.status === 401)) {
        forget(true);
        return null;
      }
      throw error;
    }
  }

  /** Refreshes unless another tab did while this one waited its turn. */
  async function refreshOnce(seen: number): Promise<string | null> {
    if (generation !== seen && fresh(current)) return current.accessToken;
    return rotate();
  }

  async function electedRefresh(seen: number): Promise<string | null> {
    // Fallback without Web Locks: claim, give other tabs a moment to claim too, and let the
    // oldest claim refresh while the others wait for its broadcast (or its silence).
    const claim = `${now().toString().padStart(15, '0')}:${tabId}`;
    claims.set(claim, now());
    channel?.postMessage({ type: 'claim', id: claim } satisfies TabMessage);
    try {
      for (let attempt = 0; attempt < 100; attempt++) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 50);
          function done(): void { clearTimeout(timer); waiters.delete(done); resolve(); }
          waiters.add(done);
        });
        if (generation !== seen && fresh(current)) return current.accessToken;
        for (const [id, at] of claims) if (now() - at > 10_000) claims.delete(id);
        const first = [...claims.keys()].sort()[0];
        if (first === claim) return await refreshOnce(seen);
      }
      return await refreshOnce(seen);
    } finally {
      claims.delete(claim);
      channel?.postMessage({ type: 'done', id: claim } satisfies TabMessage);
    }
  }

  function refresh(): Promise<string | null> {
    if (inFlight !== null) return inFlight;
    const seen = generation;
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    const run = locks !== undefined
      ? locks.request(name, () => refreshOnce(seen)).then((token) => token)
      : channel !== null ? electedRefresh(seen) : refreshOnce(seen);
    inFlight = run.finally(() => { inFlight = null; });
    return inFlight;
  }

  async function getAccessToken(): Promise<string | null> {
    if (fresh(current)) return current.accessToken;
    return refresh();
  }

  async function authorizedFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = typeof input === 'string' && input.startsWith('/') ? `${baseUrl}${input}` : input;
    const attempt = async (token: string | null): Promise<Response> => {
      const headers = new Headers(init.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      return http(url, { ...init, headers });
    };
    const token = await getAccessToken();
    const response = await attempt(token);
    if (response.status !== 401) return response;
    // The token may have been revoked or rotated away (another tab, a key change): once more.
    const renewed = await refresh();
    return renewed === null ? response : attempt(renewed);
  }

  return {
    async requestCode(identifier, requestOptions = {}) {
      const locale = requestOptions.locale === undefined ? {} : { locale: requestOptions.locale };
      if ('email' in identifier) await call('POST', '/passwordless/request/email', withClient({ email: identifier.email, ...locale }));
      else await call('POST', '/passwordless/request/mobile', withClient({ phone_number: identifier.phone_number, ...locale }));
    },
    async exchange(identifier) {
      if ('email' in identifier) {
        const body: JsonBody<'/passwordless/exchange/email', 'post'> = withClient({ email: identifier.email, token: identifier.token });
        return signedIn(await call<TokenReply>('POST', '/passwordless/exchange/email', body));
      }
      const body: JsonBody<'/passwordless/exchange/mobile', 'post'> = withClient({ phone_number: identifier.phone_number, token: identifier.token });
      return signedIn(await call<TokenReply>('POST', '/passwordless/exchange/mobile', body));
    },
    async exchangeLink(token) {
      const body: JsonBody<'/passwordless/exchange/standalone', 'post'> = withClient({ token });
      return signedIn(await call<TokenReply>('POST', '/passwordless/exchange/standalone', body));
    },
    refresh,
    async logout() {
      // By refresh token (the cookie, or the one kept in body mode): it works even after the
      // access token expired, and clears the cookie.
      const body: JsonBody<'/logout', 'post'> = withClient(bodyRefreshToken === undefined ? {} : { refresh_token: bodyRefreshToken });
      try {
        await call('POST', '/logout', body);
      } catch (error) {
        // Nothing to end (no cookie, already signed out) is a finished logout.
        if (!(error instanceof SesameError && error.status === 401)) throw error;
      } finally {
        forget(true);
      }
    },
    async me() {
      const response = await authorizedFetch('/me');
      if (!response.ok) throw new SesameError(response.status, await problemOf(response));
      return await response.json() as Me;
    },
    getAccessToken,
    fetch: authorizedFetch,
    close() {
      channel?.close();
    },
  };
}

async function problemOf(response: Response): Promise<Problem | undefined> {
  try {
    const body = await response.json() as Partial<Problem>;
    return typeof body.code === 'string' ? body as Problem : undefined;
  } catch {
    return undefined;
  }
}
