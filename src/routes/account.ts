/**
 * The caller's identifiers: POST /me/email and /me/phone_number send a code (or, for an address
 * another account holds, a notice; the answer is the same, S45), POST .../verify sets the
 * address, DELETE removes one. Each handler is one service call. Sending and verifying act for
 * a client like sign-in: `client_id` in the body (else the default client) and its origin rule (S39).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AcceptedReply, ProblemReply } from '../schemas/passwordless.ts';
import { AddEmailBody, AddPhoneBody, VerifyEmailBody, VerifyPhoneBody } from '../schemas/account.ts';
import { EmptyReply, MeReply } from '../schemas/sessions.ts';
import type { Caller } from '../services/session-service.ts';
import { requestContext } from './request-context.ts';
import { userView } from './user-view.ts';

// One body for every accepted request, whoever holds the address (S45).
const ACCEPTED = { detail: 'If this address can be added to your account, a code is on its way.' };
const AUTHENTICATED = { 401: ProblemReply, 429: ProblemReply, 503: ProblemReply };
const REQUEST_RESPONSES = { 202: AcceptedReply, 400: ProblemReply, 403: ProblemReply, ...AUTHENTICATED };
const VERIFY_RESPONSES = { 200: MeReply, 400: ProblemReply, 403: ProblemReply, ...AUTHENTICATED };
const DELETE_RESPONSES = { 204: EmptyReply, 400: ProblemReply, 404: ProblemReply, ...AUTHENTICATED };
// Like the exchange, every verification failure is invalid_token, malformed bodies included; a
// client_id too long to be one is invalid_client, like an unknown one.
const VERIFY_CONFIG = { inputErrors: { body: 'invalid_token' as const, fields: { client_id: 'invalid_client' as const } }, rateLimitFamily: 'exchange' as const };

export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts } = app.services;
  const caller = (request: { caller: Caller | null }): Caller => request.caller!;
  // The token is checked before the body, so an unauthenticated caller learns nothing from validation.
  const onRequest = app.requireAccessToken;
  // Then the body's client: unknown is invalid_client, a foreign Origin origin_not_allowed (S39).
  const preHandler = app.requireClient;

  app.post('/me/email', {
    onRequest,
    preHandler,
    schema: { body: AddEmailBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { email: 'invalid_email', locale: 'invalid_locale', client_id: 'invalid_client' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await accounts.requestVerification(caller(request), 'email', request.body.email, { ...requestContext(request), locale: request.body.locale }, request.client!);
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/me/phone_number', {
    onRequest,
    preHandler,
    schema: { body: AddPhoneBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { phone_number: 'invalid_phone_number', locale: 'invalid_locale', client_id: 'invalid_client' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await accounts.requestVerification(caller(request), 'mobile', request.body.phone_number, { ...requestContext(request), locale: request.body.locale }, request.client!);
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/me/email/verify', { onRequest, preHandler, schema: { body: VerifyEmailBody, response: VERIFY_RESPONSES }, config: VERIFY_CONFIG }, async (request) => {
    const profile = await accounts.verify(caller(request), 'email', request.body.email, request.body.token, requestContext(request), request.client!);
    return userView(profile, caller(request));
  });

  app.post('/me/phone_number/verify', { onRequest, preHandler, schema: { body: VerifyPhoneBody, response: VERIFY_RESPONSES }, config: VERIFY_CONFIG }, async (request) => {
    const profile = await accounts.verify(caller(request), 'mobile', request.body.phone_number, request.body.token, requestContext(request), request.client!);
    return userView(profile, caller(request));
  });

  app.delete('/me/email', { onRequest, schema: { response: DELETE_RESPONSES } }, async (request, reply) => {
    await accounts.removeIdentifier(caller(request), 'email', requestContext(request));
    return reply.code(204).send(null);
  });

  app.delete('/me/phone_number', { onRequest, schema: { response: DELETE_RESPONSES } }, async (request, reply) => {
    await accounts.removeIdentifier(caller(request), 'mobile', requestContext(request));
    return reply.code(204).send(null);
  });
};
