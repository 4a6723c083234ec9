/**
 * `/admin/users...`: list, read, create, change, erase users; list and revoke their sessions;
 * mint a sign-in link. Each handler is one service call; scopes per route (S41).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { adminActor } from '../../plugins/admin-auth.ts';
import { ADMIN_AUTH_RESPONSES, ProblemReply } from '../../schemas/admin/common.ts';
import {
  CreateUserBody, CreatedUserReply, ListUsersQuery, PageOnlyQuery, RevokedReply, SessionPage, SignInLinkBody, SignInLinkReply,
  UpdateUserBody, UserItem, UserPage, UserParams,
} from '../../schemas/admin/users.ts';
import { EmptyReply } from '../../schemas/sessions.ts';
import type { AdminSessionRecord, AdminUserRecord } from '../../services/admin/admin-users.ts';
import { pageLimit } from './paging.ts';

export function adminUserView(user: AdminUserRecord) {
  return {
    id: user.id,
    email: user.email,
    phone_number: user.phoneNumber,
    email_verified: user.emailVerified,
    phone_number_verified: user.phoneNumberVerified,
    disabled: user.disabled,
    is_admin: user.isAdmin,
    app_metadata: user.appMetadata,
    user_metadata: user.userMetadata,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

function sessionView(session: AdminSessionRecord) {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    ip: session.ip,
    user_agent: session.userAgent,
    auth_time: session.authTime.toISOString(),
    amr: session.amr,
  };
}

const IDENTIFIER_ERRORS = { email: 'invalid_email', phone_number: 'invalid_phone_number', app_metadata: 'invalid_metadata', user_metadata: 'invalid_metadata' } as const;
const BODY_ERRORS = { inputErrors: { body: 'invalid_request' as const, fields: IDENTIFIER_ERRORS } };
const QUERY_ERRORS = { inputErrors: { body: 'invalid_query' as const, fields: { email: 'invalid_email' as const, phone_number: 'invalid_phone_number' as const } } };

export const adminUserRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { adminUsers } = app.services;
  const read = app.requireAdminScope('users:read');
  const write = app.requireAdminScope('users:write');

  app.get('/admin/users', {
    onRequest: read,
    schema: { querystring: ListUsersQuery, response: { 200: UserPage, 400: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: QUERY_ERRORS,
  }, async (request) => {
    const { email, phone_number, q, limit, cursor } = request.query;
    const page = await adminUsers.list({ email, phoneNumber: phone_number, q, limit: pageLimit(limit), cursor });
    return { data: page.data.map(adminUserView), next_cursor: page.nextCursor };
  });

  app.get('/admin/users/:id', {
    onRequest: read,
    schema: { params: UserParams, response: { 200: UserItem, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => adminUserView(await adminUsers.get(request.params.id)));

  app.post('/admin/users', {
    onRequest: write,
    schema: { body: CreateUserBody, response: { 201: CreatedUserReply, 400: ProblemReply, 409: ProblemReply, 429: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: BODY_ERRORS,
  }, async (request, reply) => {
    const { email, phone_number, app_metadata, user_metadata, send_invite } = request.body;
    const created = await adminUsers.create({ email, phoneNumber: phone_number, appMetadata: app_metadata, userMetadata: user_metadata, sendInvite: send_invite }, adminActor(request));
    return reply.code(201).send({ ...adminUserView(created.user), invite_requested: created.inviteRequested });
  });

  app.patch('/admin/users/:id', {
    onRequest: write,
    schema: { params: UserParams, body: UpdateUserBody, response: { 200: UserItem, 400: ProblemReply, 404: ProblemReply, 409: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: BODY_ERRORS,
  }, async (request) => {
    const body = request.body;
    // Only the fields sent: an absent field is left as it is, a null one is removed.
    const changes = {
      ...('email' in body ? { email: body.email } : {}),
      ...('phone_number' in body ? { phoneNumber: body.phone_number } : {}),
      ...('app_metadata' in body ? { appMetadata: body.app_metadata } : {}),
      ...('user_metadata' in body ? { userMetadata: body.user_metadata } : {}),
      ...('disabled' in body ? { disabled: body.disabled } : {}),
    };
    return adminUserView(await adminUsers.update(request.params.id, changes, adminActor(request)));
  });

  app.delete('/admin/users/:id', {
    onRequest: write,
    schema: { params: UserParams, response: { 204: EmptyReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request, reply) => {
    await adminUsers.remove(request.params.id, adminActor(request));
    return reply.code(204).send(null);
  });

  app.get('/admin/users/:id/sessions', {
    onRequest: read,
    schema: { params: UserParams, querystring: PageOnlyQuery, response: { 200: SessionPage, 400: ProblemReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
    config: QUERY_ERRORS,
  }, async (request) => {
    const page = await adminUsers.listSessions(request.params.id, { limit: pageLimit(request.query.limit), cursor: request.query.cursor });
    return { data: page.data.map(sessionView), next_cursor: page.nextCursor };
  });

  app.delete('/admin/users/:id/sessions', {
    onRequest: app.requireAdminScope('sessions:write'),
    schema: { params: UserParams, response: { 200: RevokedReply, 404: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => ({ revoked: await adminUsers.revokeSessions(request.params.id, adminActor(request)) }));

  app.post('/admin/users/:id/sign-in-link', {
    onRequest: write,
    // Every field is optional, so the body may be left out altogether.
    preValidation: async (request) => { (request as { body: unknown }).body ??= {}; },
    schema: { params: UserParams, body: SignInLinkBody, response: { 200: SignInLinkReply, 400: ProblemReply, 404: ProblemReply, 409: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => {
    const link = await adminUsers.signInLink(request.params.id, request.body.client_id, adminActor(request));
    return { link: link.link, token: link.token, expires_at: link.expiresAt.toISOString() };
  });
};
