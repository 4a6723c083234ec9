/**
 * `/admin/clients`: list, read, add, change and remove clients (applications) with the same
 * fields and validation as `npm run clients`; scope clients:write (S41). A bad field answers
 * `400 invalid_client_settings` listing each bad field in `errors`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { ERRORS } from '../../errors.ts';
import { adminActor } from '../../plugins/admin-auth.ts';
import { PROBLEM_CONTENT_TYPE } from '../../plugins/error-handler.ts';
import { ADMIN_AUTH_RESPONSES, ProblemReply } from '../../schemas/admin/common.ts';
import { ClientItem, ClientListQuery, ClientPage, ClientParams, ClientSettingsProblemReply, CreateClientBody, UpdateClientBody } from '../../schemas/admin/clients.ts';
import { EmptyReply } from '../../schemas/sessions.ts';
import { ClientSettingsError } from '../../services/admin/admin-clients.ts';
import type { ClientView } from '../../services/client-registry.ts';
import { pageLimit } from './paging.ts';

/** Runs `work`; a ClientSettingsError becomes its problem document with the list of bad fields. */
async function withFieldProblems<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ClientSettingsError)) throw error;
    const entry = ERRORS.invalid_client_settings;
    return reply.code(entry.status).type(PROBLEM_CONTENT_TYPE).send({
      type: 'about:blank', title: entry.title, status: entry.status, detail: entry.detail, code: 'invalid_client_settings', errors: error.problems,
    });
  }
}

const INPUT_ERRORS = { inputErrors: { body: 'invalid_client_settings' as const } };

export const adminClientRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { adminClients } = app.services;
  const onRequest = app.requireAdminScope('clients:write');
  const view = (client: ClientView) => client;

  app.get('/admin/clients', {
    onRequest,
    schema: { querystring: ClientListQuery, response: { 200: ClientPage, 400: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: { inputErrors: { body: 'invalid_query' } },
  }, async (request) => {
    const page = await adminClients.list({ limit: pageLimit(request.query.limit), cursor: request.query.cursor });
    return { data: page.data.map(view), next_cursor: page.nextCursor };
  });

  app.get('/admin/clients/:client_id', {
    onRequest,
    schema: { params: ClientParams, response: { 200: ClientItem, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => adminClients.get(request.params.client_id));

  app.post('/admin/clients', {
    onRequest,
    schema: { body: CreateClientBody, response: { 201: ClientItem, 400: ClientSettingsProblemReply, 409: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: INPUT_ERRORS,
  }, async (request, reply) => withFieldProblems(reply, async () => {
    const { client_id, ...input } = request.body;
    return reply.code(201).send(await adminClients.create(client_id, input, adminActor(request)));
  }));

  app.patch('/admin/clients/:client_id', {
    onRequest,
    schema: { params: ClientParams, body: UpdateClientBody, response: { 200: ClientItem, 400: ClientSettingsProblemReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: INPUT_ERRORS,
  }, async (request, reply) => withFieldProblems(reply, () => adminClients.update(request.params.client_id, request.body, adminActor(request))));

  app.delete('/admin/clients/:client_id', {
    onRequest,
    schema: { params: ClientParams, response: { 204: EmptyReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request, reply) => {
    await adminClients.remove(request.params.client_id, adminActor(request));
    return reply.code(204).send(null);
  });
};
