/**
 * Cookie mode for browser apps (S40): for a client with `refresh_token_delivery = cookie`, the
 * refresh token travels only in an HttpOnly cookie that scripts cannot read. `__Host-` pins it
 * to this host with `Secure` and `Path=/`; `SameSite=Strict` keeps other sites' requests from
 * carrying it. A call authenticated by the cookie must also come from an origin the client
 * allows and carry a JSON body (a cross-site form cannot send one without a preflight): CSRF.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Client } from '../services/client-registry.ts';
import type { IssuedTokens, TokenResponse } from '../services/types.ts';

export const REFRESH_COOKIE = '__Host-sesame_refresh';

const COOKIE_OPTIONS = { path: '/', httpOnly: true, secure: true, sameSite: 'strict' } as const;
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** The reply of a sign-in or refresh: the refresh token in the body, or in the cookie only. */
export function deliverTokens(reply: FastifyReply, client: Client, issued: IssuedTokens): Omit<TokenResponse, 'refresh_token'> & { refresh_token?: string } {
  const { access_token, token_type, expires_in, refresh_token } = issued;
  if (client.refreshTokenDelivery === 'body') return { access_token, token_type, expires_in, refresh_token };
  reply.setCookie(REFRESH_COOKIE, refresh_token, { ...COOKIE_OPTIONS, maxAge: issued.refreshTokenExpiresIn });
  return { access_token, token_type, expires_in };
}

/** Tells the browser to drop the cookie (Max-Age=0). */
export function clearRefreshCookie(reply: FastifyReply): void {
  reply.setCookie(REFRESH_COOKIE, '', { ...COOKIE_OPTIONS, maxAge: 0 });
}

/** Whether the request carries the refresh cookie. */
export function hasRefreshCookie(request: FastifyRequest): boolean {
  return request.cookies[REFRESH_COOKIE] !== undefined;
}

/**
 * The refresh token from the cookie, for a call whose body has none; undefined when there is no
 * cookie. Refused unless the call has an Origin the client allows and a JSON content type.
 */
export function cookieRefreshToken(request: FastifyRequest, client: Client): string | undefined {
  const token = request.cookies[REFRESH_COOKIE];
  if (token === undefined || token === '') return undefined;
  const origin = request.headers.origin;
  if (origin === undefined || !client.allowsOrigin(origin)) throw new AppError('origin_not_allowed');
  if (!JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) throw new AppError('unsupported_media_type');
  return token;
}
