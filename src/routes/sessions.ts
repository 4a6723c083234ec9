/**
 * Sessions after sign-in: refresh and revoke (by refresh token), and the caller's own
 * endpoints (by access token): /me, /me/sessions, logout. Each handler is one service call.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../errors.ts';
import { unauthorized } from '../plugins/bearer-auth.ts';
import { AccessTokenReply, ProblemReply } from '../schemas/passwordless.ts';
import { EmptyReply, LogoutBody, MeReply, RefreshBody, RevokeBody, SessionParams, SessionsReply, UpdateMeBody } from '../schemas/sessions.ts';
import { SessionLivesOn, type Caller } from '../services/session-service.ts';
import { requestContext } from './request-context.ts';
import { userView } from './user-view.ts';
import { clearRefreshCookie, cookieRefreshToken, deliverTokens, hasRefreshCookie } from './refresh-cookie.ts';

const AUTHENTICATED = { 401: ProblemReply, 503: ProblemReply };

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { sessions } = app.services;
  // OAuth clients send the token endpoints form-encoded (RFC 6749 §6, RFC 7009 §2.1); JSON works
  // too. The parser is scoped to these routes.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const caller = (request: { caller: Caller | null }): Caller => request.caller!;

  app.post('/token/refresh', {
    preHandler: app.requireClient,
    schema: { body: RefreshBody, response: { 200: AccessTokenReply, 400: ProblemReply, 403: ProblemReply, 415: ProblemReply, 503: ProblemReply } },
    // Like the exchange: every failure is the same invalid_token (S18, S30).
    config: { inputErrors: { body: 'invalid_token', fields: { client_id: 'invalid_client' } }, refreshCookie: { 200: 'set', 400: 'cleared' } },
  }, async (request, reply) => {
    const client = request.client!;
    // The body's token, else the cookie's (cookie mode, S40: allowed Origin and JSON required).
    const fromCookie = request.body.refresh_token === undefined;
    const token = request.body.refresh_token ?? cookieRefreshToken(request, client);
    if (token === undefined) throw new AppError('invalid_token');
    try {
      return deliverTokens(reply, client, await sessions.refresh(token, requestContext(request), client));
    } catch (error) {
      // A cookie that no longer refreshes (unknown, expired, revoked, reused) is cleared, so the
      // browser stops sending it. Not when its session lives on: a concurrent refresh won (the
      // browser may already hold the new cookie), or it is another same-site app's session.
      // Refusals of the call itself (a foreign Origin, not JSON) were thrown above and clear
      // nothing: a forged request cannot sign anyone out.
      if (fromCookie && error instanceof AppError && error.code === 'invalid_token' && !(error instanceof SessionLivesOn)) clearRefreshCookie(reply);
      throw error;
    }
  });

  // RFC 7009 revocation by a token in the body; it never reads the refresh cookie (a cookie-mode
  // app signs out with /logout). It acts for a client like the others: a browser call from an
  // Origin its client does not allow is refused before anything is revoked (S39).
  app.post('/token/revoke', {
    preHandler: app.requireClient,
    schema: { body: RevokeBody, response: { 200: EmptyReply, 400: ProblemReply, 403: ProblemReply, 503: ProblemReply } },
    config: { inputErrors: { body: 'invalid_request', fields: { client_id: 'invalid_client' } } },
  }, async (request, reply) => {
    const token = request.body.refresh_token ?? request.body.token;
    if (token === undefined) throw new AppError('invalid_request');
    // RFC 7009: the answer does not say whether the token was valid.
    await sessions.revokeToken(token, requestContext(request));
    return reply.code(200).send(null);
  });

  app.get('/me', {
    preHandler: app.requireAccessToken,
    schema: { response: { 200: MeReply, ...AUTHENTICATED } },
  }, async (request) => {
    const profile = await sessions.profile(caller(request));
    if (profile === null) throw unauthorized(true);
    return userView(profile, caller(request));
  });

  // The user's own metadata; app_metadata is the admin API's alone.
  app.patch('/me', {
    onRequest: app.requireAccessToken,
    schema: { body: UpdateMeBody, response: { 200: MeReply, 400: ProblemReply, ...AUTHENTICATED } },
    config: { inputErrors: { body: 'invalid_request', fields: { user_metadata: 'invalid_metadata' } } },
  }, async (request) => {
    const profile = await sessions.updateUserMetadata(caller(request), request.body.user_metadata, requestContext(request));
    if (profile === null) throw unauthorized(true);
    return userView(profile, caller(request));
  });

  app.get('/me/sessions', {
    preHandler: app.requireAccessToken,
    schema: { response: { 200: SessionsReply, ...AUTHENTICATED } },
  }, async (request) => {
    const list = await sessions.listSessions(caller(request));
    if (list === null) throw unauthorized(true);
    return {
      sessions: list.map((session) => ({
        id: session.id,
        created_at: session.createdAt.toISOString(),
        last_used_at: session.lastUsedAt.toISOString(),
        expires_at: session.expiresAt.toISOString(),
        ip: session.ip,
        user_agent: session.userAgent,
        current: session.current,
      })),
    };
  });

  app.delete('/me/sessions/:id', {
    preHandler: app.requireAccessToken,
    schema: { params: SessionParams, response: { 204: EmptyReply, 404: ProblemReply, ...AUTHENTICATED } },
    config: { inputErrors: { body: 'not_found' } },
  }, async (request, reply) => {
    if (!UUID.test(request.params.id)) throw new AppError('not_found');
    const outcome = await sessions.endSession(caller(request), request.params.id, requestContext(request));
    if (outcome === 'caller_ended') throw unauthorized(true);
    if (outcome === 'not_found') throw new AppError('not_found');
    return reply.code(204).send(null);
  });

  // By access token (ends the caller's session), or, without one, by refresh token: in the body
  // or, in cookie mode, the cookie (S40). Either way the refresh cookie is cleared.
  app.post('/logout', {
    preHandler: app.requireClient,
    schema: { body: Type.Union([LogoutBody, Type.Null()]), response: { 204: EmptyReply, 400: ProblemReply, 403: ProblemReply, 415: ProblemReply, ...AUTHENTICATED } },
    config: { inputErrors: { body: 'invalid_request', fields: { client_id: 'invalid_client' } }, refreshCookie: { 204: 'cleared' } },
  }, async (request, reply) => {
    const client = request.client!;
    if (request.headers.authorization !== undefined) {
      await app.requireAccessToken(request, reply);
      // Already over is fine: logging out twice is not an error.
      await sessions.logout(caller(request), requestContext(request));
    } else {
      const token = request.body?.refresh_token ?? cookieRefreshToken(request, client);
      if (token === undefined) throw unauthorized(false);
      // Like RFC 7009 revocation: the answer does not say whether the token was live.
      await sessions.revokeToken(token, requestContext(request));
    }
    if (hasRefreshCookie(request) || client.refreshTokenDelivery === 'cookie') clearRefreshCookie(reply);
    return reply.code(204).send(null);
  });

  app.post('/logout/all', {
    preHandler: app.requireAccessToken,
    schema: { response: { 204: EmptyReply, ...AUTHENTICATED } },
  }, async (request, reply) => {
    if ((await sessions.endAllSessions(caller(request), requestContext(request))) === 'caller_ended') throw unauthorized(true);
    return reply.code(204).send(null);
  });
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
