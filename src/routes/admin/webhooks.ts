/**
 * `/admin/webhooks`: manage webhooks (scope `webhooks:write`), list their deliveries with each
 * attempt, and re-send one. The secret appears in the create answer only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { adminActor } from '../../plugins/admin-auth.ts';
import type { WebhookDeliveryRecord, WebhookRecord } from '../../repositories/webhook-repository.ts';
import { ADMIN_AUTH_RESPONSES, ProblemReply } from '../../schemas/admin/common.ts';
import {
  CreatedWebhookView, CreateWebhookBody, DeliveryIdParams, DeliveryPage, ListQuery, UpdateWebhookBody, WebhookIdParams, WebhookPage, WebhookView,
} from '../../schemas/admin/webhooks.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

function limitOf(raw: string | undefined): number {
  const limit = raw === undefined ? DEFAULT_LIMIT : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new AppError('invalid_request');
  return limit;
}

function webhookView(webhook: WebhookRecord) {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    enabled: webhook.enabled,
    created_at: webhook.createdAt.toISOString(),
    updated_at: webhook.updatedAt.toISOString(),
  };
}

function deliveryView(delivery: WebhookDeliveryRecord) {
  return {
    id: delivery.id,
    event_type: delivery.eventType,
    status: delivery.status,
    created_at: delivery.createdAt.toISOString(),
    next_attempt_at: delivery.nextAttemptAt?.toISOString() ?? null,
    finished_at: delivery.finishedAt?.toISOString() ?? null,
    attempts: delivery.attempts.map((attempt) => ({
      attempted_at: attempt.attemptedAt.toISOString(),
      status: attempt.status,
      duration_ms: attempt.durationMs,
      error: attempt.error,
    })),
  };
}

export const adminWebhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks } = app.services;
  const scope = app.requireAdminScope('webhooks:write');

  app.get('/admin/webhooks', {
    onRequest: scope,
    schema: { querystring: ListQuery, response: { 200: WebhookPage, 400: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => {
    const page = await webhooks.list({ limit: limitOf(request.query.limit), cursor: request.query.cursor });
    return { data: page.data.map(webhookView), next_cursor: page.next_cursor };
  });

  app.post('/admin/webhooks', {
    onRequest: scope,
    schema: { body: CreateWebhookBody, response: { 201: CreatedWebhookView, 400: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request, reply) => {
    const { webhook, secret } = await webhooks.create(adminActor(request), request.body);
    return reply.code(201).send({ ...webhookView(webhook), secret });
  });

  app.get('/admin/webhooks/:id', {
    onRequest: scope,
    schema: { params: WebhookIdParams, response: { 200: WebhookView, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => webhookView(await webhooks.get(request.params.id)));

  app.patch('/admin/webhooks/:id', {
    onRequest: scope,
    schema: { params: WebhookIdParams, body: UpdateWebhookBody, response: { 200: WebhookView, 400: ProblemReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => webhookView(await webhooks.update(adminActor(request), request.params.id, request.body)));

  app.delete('/admin/webhooks/:id', {
    onRequest: scope,
    schema: { params: WebhookIdParams, response: { 204: Type.Null(), 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request, reply) => {
    await webhooks.remove(adminActor(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/admin/webhooks/:id/deliveries', {
    onRequest: scope,
    schema: { params: WebhookIdParams, querystring: ListQuery, response: { 200: DeliveryPage, 400: ProblemReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => {
    const page = await webhooks.deliveries(request.params.id, { limit: limitOf(request.query.limit), cursor: request.query.cursor });
    return { data: page.data.map(deliveryView), next_cursor: page.next_cursor };
  });

  app.post('/admin/webhooks/:id/deliveries/:delivery_id/retry', {
    onRequest: scope,
    schema: { params: DeliveryIdParams, response: { 202: Type.Null(), 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request, reply) => {
    await webhooks.retry(adminActor(request), request.params.id, request.params.delivery_id);
    return reply.code(202).send(null);
  });
};
