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

// One body for every accepted request, known identifier or not (S17).
const ACCEPTED = { detail: 'If this identifier can sign in, a code is on its way.' };
const REQUEST_RESPONSES = { 202: AcceptedReply, 400: ProblemReply, 429: ProblemReply, 503: ProblemReply };
const EXCHANGE_RESPONSES = { 200: AccessTokenReply, 400: ProblemReply, 429: ProblemReply, 503: ProblemReply };
// Exchange failures of any kind, malformed bodies included, answer invalid_token (S18).
// Rate-limit families: see plugins/rate-limit.ts.
const EXCHANGE_INPUT_ERRORS = { inputErrors: { body: 'invalid_token' as const }, rateLimitFamily: 'exchange' as const };

export const passwordlessRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { passwordless } = app.services;

  app.post('/passwordless/request/email', {
    schema: { body: RequestEmailBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { email: 'invalid_email', locale: 'invalid_locale' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await passwordless.requestCode('email', request.body.email, { ...requestContext(request), locale: request.body.locale });
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/passwordless/request/mobile', {
    schema: { body: RequestMobileBody, response: REQUEST_RESPONSES },
    config: { inputErrors: { body: 'invalid_request', fields: { phone_number: 'invalid_phone_number', locale: 'invalid_locale' } }, rateLimitFamily: 'request' },
  }, async (request, reply) => {
    await passwordless.requestCode('mobile', request.body.phone_number, { ...requestContext(request), locale: request.body.locale });
    return reply.code(202).send(ACCEPTED);
  });

  app.post('/passwordless/exchange/email', {
    schema: { body: ExchangeEmailBody, response: EXCHANGE_RESPONSES },
    config: EXCHANGE_INPUT_ERRORS,
  }, async (request) => passwordless.exchange('email', request.body.email, request.body.token, requestContext(request)));

  app.post('/passwordless/exchange/mobile', {
    schema: { body: ExchangeMobileBody, response: EXCHANGE_RESPONSES },
    config: EXCHANGE_INPUT_ERRORS,
  }, async (request) => passwordless.exchange('mobile', request.body.phone_number, request.body.token, requestContext(request)));

  app.post('/passwordless/exchange/standalone', {
    schema: { body: ExchangeStandaloneBody, response: EXCHANGE_RESPONSES },
    config: EXCHANGE_INPUT_ERRORS,
  }, async (request) => passwordless.exchangeStandalone(request.body.token, requestContext(request)));
};
