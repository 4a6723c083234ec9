/** Signs a user in over HTTP (request a code, read it from local SES, exchange it). */
import assert from 'node:assert/strict';
import { codeIn, eventually, type TestApp } from './app.ts';
import type { SesLocal } from './ses-local.ts';

export interface Tokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

/** A full email sign-in; `headers` go with the exchange (e.g. a User-Agent for the session row). */
export async function signIn(server: TestApp, ses: SesLocal, email: string, headers: Record<string, string> = {}): Promise<Tokens> {
  const before = (await ses.emails(email)).length;
  const requested = await server.post('/passwordless/request/email', { email });
  assert.equal(requested.status, 202, `code request for ${email}: ${requested.status} ${requested.status === 202 ? "" : await requested.clone().text()}`);
  const mail = await eventually(async () => {
    const emails = await ses.emails(email);
    return emails.length > before ? emails[emails.length - 1] : undefined;
  });
  const response = await server.post('/passwordless/exchange/email', { email, token: codeIn(mail.body.text ?? '') }, headers);
  assert.equal(response.status, 200, `exchange for ${email}`);
  return (await response.json()) as Tokens;
}

/** GET with a bearer token. */
export function getWithToken(server: TestApp, path: string, token: string, method = 'GET'): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
}
