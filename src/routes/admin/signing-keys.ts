/** `GET /admin/keys` and `POST /admin/keys/rotate`: the same rules as `npm run keys -- list | rotate`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SigningKeyView } from '../../keys/key-admin.ts';
import { adminActor } from '../../plugins/admin-auth.ts';
import { ADMIN_AUTH_RESPONSES, ProblemReply } from '../../schemas/admin/common.ts';
import { RotationReply, SigningKeysReply } from '../../schemas/admin/signing-keys.ts';

function keyView(key: SigningKeyView) {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: key.createdAt.toISOString(),
    activated_at: key.activatedAt?.toISOString() ?? null,
    retired_at: key.retiredAt?.toISOString() ?? null,
  };
}

export const adminSigningKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { signingKeyAdmin } = app.services;

  app.get('/admin/keys', {
    onRequest: app.requireAdminScope('keys:write'),
    schema: { response: { 200: SigningKeysReply, ...ADMIN_AUTH_RESPONSES } },
  }, async () => ({ data: (await signingKeyAdmin.list()).map(keyView) }));

  app.post('/admin/keys/rotate', {
    onRequest: app.requireAdminScope('keys:write'),
    schema: { response: { 200: RotationReply, 409: ProblemReply, ...ADMIN_AUTH_RESPONSES } },
  }, async (request) => {
    const report = await signingKeyAdmin.rotate(adminActor(request));
    return {
      created: report.created ?? null,
      promoted: report.promote ?? null,
      removed: report.remove,
      promotable_at: report.promotableAt?.toISOString() ?? null,
      keys: (await signingKeyAdmin.list()).map(keyView),
    };
  });
};
