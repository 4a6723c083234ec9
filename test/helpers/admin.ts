/** Admin API helpers: a key made through the same service as `npm run admin -- keys create`, and calls on the admin port. */
import type { AdminScope } from '../../src/services/admin/admin-keys.ts';
import type { TestApp } from './app.ts';

/** Creates an admin key (every scope unless `scopes` is given) and returns the key. */
export async function createAdminKey(server: TestApp, scopes?: AdminScope[], name = 'test key'): Promise<string> {
  return (await server.app.services.adminKeys.create(name, scopes)).key;
}

/** A call on the admin listener with `Authorization: Bearer <key>`; a body is sent as JSON. */
export function adminCall(server: TestApp, method: string, path: string, key: string | undefined, body?: unknown): Promise<Response> {
  if (server.adminUrl === undefined) throw new Error('the admin listener is off in this test app');
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.adminUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}
