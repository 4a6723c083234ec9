/** `GET /admin/audit-events`: the audit log, filtered by user, event and time, newest first. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ADMIN_AUTH_RESPONSES, ProblemReply } from '../../schemas/admin/common.ts';
import { AuditPage, AuditQuery } from '../../schemas/admin/users.ts';
import { pageLimit } from './paging.ts';

export const adminAuditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { adminAudit } = app.services;

  app.get('/admin/audit-events', {
    onRequest: app.requireAdminScope('audit:read'),
    schema: { querystring: AuditQuery, response: { 200: AuditPage, 400: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: { inputErrors: { body: 'invalid_query' } },
  }, async (request) => {
    const { user_id, event, since, until, limit, cursor } = request.query;
    const page = await adminAudit.list({ userId: user_id, event, since, until, limit: pageLimit(limit), cursor });
    return {
      data: page.data.map((row) => ({
        id: row.id,
        created_at: row.createdAt.toISOString(),
        event: row.event,
        user_id: row.userId,
        channel: row.channel,
        destination: row.destination,
        client_ip: row.clientIp,
        user_agent: row.userAgent,
        outcome: row.outcome,
        reason: row.reason,
        detail: row.detail,
      })),
      next_cursor: page.nextCursor,
    };
  });
};
