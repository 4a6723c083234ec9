/**
 * The caller's identifiers: POST /me/email and /me/phone_number send a code (or, for an address
 * another account holds, a notice; the answer is the same, S45), POST .../verify sets the
 * address, DELETE removes one. Each handler is one service call.
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
const REQUEST_RESPONSES = { 202: AcceptedReply, 400: ProblemReply, ...AUTHENTICATED };
const VERIFY_RESPONSES = { 200: MeReply, 400: ProblemReply, ...AUTHENTICATED };
const DELETE_RESPONSES = { 204: EmptyReply, 400: ProblemReply, 404: ProblemReply, ...AUTHENTICATED };
// Like the exchange, every verification failure is invalid_token, malformed bodies included.
const VERIFY_CONFIG = { inputErrors: { body: 'invalid_token' as const }, rateLimitFamily: 'exchange' as const };

export const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts } = app.services;
  const caller = (request: { caller: Caller | null }): Caller => request.caller!;
  // The token is checked before the body, so an unauthenticated caller learns nothing from validation.
  const onRequest = app.requireAccessToken;

  app.post('/me/email', {
    onRequest,
    schema: { body: AddEmailBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { email: 'invalid_email', locale: 'invalid_locale' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await accounts.requestVerification(caller(request), 'email', request.body.email, { ...requestContext(request), locale: request.body.locale });
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/me/phone_number', {
    onRequest,
    schema: { body: AddPhoneBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { phone_number: 'invalid_phone_number', locale: 'invalid_locale' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await accounts.requestVerification(caller(request), 'mobile', request.body.phone_number, { ...requestContext(request), locale: request.body.locale });
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/me/email/verify', { onRequest, schema: { body: VerifyEmailBody, response: VERIFY_RESPONSES }, config: VERIFY_CONFIG }, async (request) => {
    const profile = await accounts.verify(caller(request), 'email', request.body.email, request.body.token, requestContext(request));
    return userView(profile, caller(request));
  });

  app.post('/me/phone_number/verify', { onRequest, schema: { body: VerifyPhoneBody, response: VERIFY_RESPONSES }, config: VERIFY_CONFIG }, async (request) => {
    const profile = await accounts.verify(caller(request), 'mobile', request.body.phone_number, request.body.token, requestContext(request));
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
