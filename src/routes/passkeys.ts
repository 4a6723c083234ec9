/**
 * Passkeys: registration and management for the signed-in caller (/me/passkeys), and sign-in
 * with a discoverable credential (/passkeys/authenticate). Each handler is one service call.
 * Sign-in acts for a client like the code exchange: `client_id` in the body (else the default
 * client), its origin rule (S39), its tokens, and its cookie mode (S40).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AccessTokenReply, ProblemReply } from '../schemas/passwordless.ts';
import {
  AuthenticateBody, AuthenticationOptionsBody, OptionsReply, PasskeyParams, PasskeyReply, PasskeysReply, RegisterBody, RegisteredReply, RenameBody,
} from '../schemas/passkeys.ts';
import { EmptyReply } from '../schemas/sessions.ts';
import type { PasskeyView } from '../services/passkey-service.ts';
import type { Caller } from '../services/session-service.ts';
import { deliverTokens } from './refresh-cookie.ts';
import { requestContext } from './request-context.ts';

const AUTHENTICATED = { 401: ProblemReply, 429: ProblemReply, 503: ProblemReply };
// Any sign-in failure, malformed bodies included, is the same invalid_passkey (S18); a client_id
// too long to be one is invalid_client, like an unknown one.
const SIGN_IN = { inputErrors: { body: 'invalid_passkey' as const, fields: { client_id: 'invalid_client' as const } }, rateLimitFamily: 'exchange' as const };

function passkeyView(passkey: PasskeyView) {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
    backed_up: passkey.backedUp,
  };
}

export const passkeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { passkeys } = app.services;
  const caller = (request: { caller: Caller | null }): Caller => request.caller!;
  const onRequest = app.requireAccessToken;

  app.post('/me/passkeys/options', { onRequest, schema: { response: { 200: OptionsReply, ...AUTHENTICATED } } },
    async (request) => passkeys.registrationOptions(caller(request)));

  app.post('/me/passkeys', {
    onRequest,
    schema: { body: RegisterBody, response: { 201: RegisteredReply, 400: ProblemReply, ...AUTHENTICATED } },
    config: { inputErrors: { body: 'invalid_passkey' } },
  }, async (request, reply) => {
    const registered = await passkeys.register(caller(request), request.body.response as RegistrationResponseJSON, request.body.name, requestContext(request));
    return reply.code(201).send({ id: registered.id, name: registered.name, created_at: registered.createdAt.toISOString() });
  });

  app.get('/me/passkeys', { onRequest, schema: { response: { 200: PasskeysReply, ...AUTHENTICATED } } },
    async (request) => ({ passkeys: (await passkeys.list(caller(request))).map(passkeyView) }));

  app.patch('/me/passkeys/:id', {
    onRequest,
    schema: { params: PasskeyParams, body: RenameBody, response: { 200: PasskeyReply, 400: ProblemReply, 404: ProblemReply, ...AUTHENTICATED } },
  }, async (request) => passkeyView(await passkeys.rename(caller(request), request.params.id, request.body.name, requestContext(request))));

  app.delete('/me/passkeys/:id', {
    onRequest,
    schema: { params: PasskeyParams, response: { 204: EmptyReply, 404: ProblemReply, ...AUTHENTICATED } },
  }, async (request, reply) => {
    await passkeys.remove(caller(request), request.params.id, requestContext(request));
    return reply.code(204).send(null);
  });

  app.post('/passkeys/authenticate/options', {
    preHandler: app.requireClient,
    schema: { body: AuthenticationOptionsBody, response: { 200: OptionsReply, 400: ProblemReply, 403: ProblemReply, 429: ProblemReply, 503: ProblemReply } },
    config: { inputErrors: { body: 'invalid_request', fields: { client_id: 'invalid_client' } }, rateLimitFamily: 'exchange' },
  }, async (request) => passkeys.authenticationOptions(request.client!));

  app.post('/passkeys/authenticate', {
    preHandler: app.requireClient,
    schema: { body: AuthenticateBody, response: { 200: AccessTokenReply, 400: ProblemReply, 403: ProblemReply, 429: ProblemReply, 503: ProblemReply } },
    config: { ...SIGN_IN, refreshCookie: { 200: 'set' } },
  }, async (request, reply) => deliverTokens(reply, request.client!,
    await passkeys.authenticate(request.body.response as AuthenticationResponseJSON, requestContext(request), request.client!)));
};
