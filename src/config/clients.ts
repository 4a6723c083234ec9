/**
 * Clients (applications): which one a request without `client_id` uses, the origins of that
 * default client, and how often each replica reloads the clients table. The default client is
 * built from the environment as before clients existed (its login URL, methods, audience and
 * lifetimes are PASSWORDLESS_EMAIL_LOGIN_URL, ALLOWED_PASSWORDLESS_METHODS, JWT_AUDIENCE, ...).
 */
import { clientIdProblem, originProblem } from '../lib/client-fields.ts';
import type { EnvReader } from './reader.ts';

export interface ClientsConfig {
  /** The client of a request that names none. */
  defaultClientId: string;
  /** Origins the default client's browser apps call from (S39); the issuer's origin is always added. */
  allowedOrigins: string[];
  /** Seconds between reloads of the clients table on each replica; 0 turns reloading off. */
  clientReloadIntervalSeconds: number;
}

export function parseClients(read: EnvReader, problems: string[], context: { production: boolean }): ClientsConfig {
  const defaultClientId = read.string('DEFAULT_CLIENT_ID', 'sesame');
  const idProblem = clientIdProblem(defaultClientId);
  if (idProblem !== undefined) problems.push(`DEFAULT_CLIENT_ID: ${idProblem}`);
  const allowedOrigins = read.list('ALLOWED_ORIGINS', []);
  for (const origin of allowedOrigins) {
    const problem = originProblem(origin);
    if (problem !== undefined) problems.push(`ALLOWED_ORIGINS: ${problem}`);
    // A page served over plain HTTP (a developer's localhost included) has no business holding
    // production sessions (S36, S39).
    else if (context.production && !origin.startsWith('https://')) problems.push(`ALLOWED_ORIGINS: "${origin}" is not https://; plain-HTTP origins are for development`);
  }
  return {
    defaultClientId,
    allowedOrigins,
    clientReloadIntervalSeconds: read.int('CLIENT_RELOAD_INTERVAL', 10, 0, 3_600),
  };
}
