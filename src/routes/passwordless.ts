/** The passwordless endpoints: request a code, exchange it. Each handler is one service call. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AcceptedReply,
  AccessTokenReply,
  ExchangeEmailBody,
  ExchangeMobileBody,
  ExchangeStandaloneBody,
  ProblemReply,
  RequestEmailBody,
  RequestMobileBody,
} from '../schemas/passwordless.ts';
import { requestContext } from './request-context.ts';
import { deliverTokens } from './refresh-cookie.ts';

// One body for every accepted request, known identifier or not (S17).
const ACCEPTED = { detail: 'If this identifier can sign in, a code is on its way.' };
const REQUEST_RESPONSES = { 202: AcceptedReply, 400: ProblemReply, 403: ProblemReply, 429: ProblemReply, 503: ProblemReply };
const EXCHANGE_RESPONSES = { 200: AccessTokenReply, 400: ProblemReply, 403: ProblemReply, 429: ProblemReply, 503: ProblemReply };
// Exchange failures of any kind, malformed bodies included, answer invalid_token (S18).
// Rate-limit families: see plugins/rate-limit.ts.
// A client_id too long to be one is invalid_client, like an unknown one.
// Cookie mode (S40): the refresh token arrives in a cookie instead (documented with the route).
const EXCHANGE_INPUT_ERRORS = {
  inputErrors: { body: 'invalid_token' as const, fields: { client_id: 'invalid_client' as const } }, rateLimitFamily: 'exchange' as const, refreshCookie: { 200: 'set' as const },
};

export const passwordlessRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { passwordless } = app.services;
  // Every endpoint acts for a client: unknown ones and foreign origins are refused first (S39).
  const preHandler = app.requireClient;

  app.post('/passwordless/request/email', {
    preHandler,
    schema: { body: RequestEmailBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { email: 'invalid_email', locale: 'invalid_locale', client_id: 'invalid_client' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await passwordless.requestCode('email', request.body.email, { ...requestContext(request), locale: request.body.locale }, request.client!);
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/passwordless/request/mobile', {
    preHandler,
    schema: { body: RequestMobileBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { phone_number: 'invalid_phone_number', locale: 'invalid_locale', client_id: 'invalid_client' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await passwordless.requestCode('mobile', request.body.phone_number, { ...requestContext(request), locale: request.body.locale }, request.client!);
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/passwordless/exchange/email', {
    preHandler,
    schema: { body: ExchangeEmailBody, response: EXCHANGE_RESPONSES },
    config: EXCHANGE_INPUT_ERRORS,
  }, async (request, reply) => deliverTokens(reply, request.client!, await passwordless.exchange('email', request.body.email, request.body.token, requestContext(request), request.client!)));

  app.post('/passwordless/exchange/mobile', {
    preHandler,
    schema: { body: ExchangeMobileBody, response: EXCHANGE_RESPONSES },
    config: EXCHANGE_INPUT_ERRORS,
  }, async (request, reply) => deliverTokens(reply, request.client!, await passwordless.exchange('mobile', request.body.phone_number, request.body.token, requestContext(request), request.client!)));

  app.post('/passwordless/exchange/standalone', {
    preHandler,
    schema: { body: ExchangeStandaloneBody, response: EXCHANGE_RESPONSES },
    config: EXCHANGE_INPUT_ERRORS,
  }, async (request, reply) => deliverTokens(reply, request.client!, await passwordless.exchangeStandalone(request.body.token, requestContext(request), request.client!)));
};
