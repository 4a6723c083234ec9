/**
 * `npm run clients -- <command>`: manage clients (applications) in DATABASE_URL (or the embedded
 * database), with the same configuration and the same rules as the admin API. Output is JSON;
 * invalid values print one line per problem, exit 1 and write nothing. Running replicas see a
 * change within CLIENT_RELOAD_INTERVAL.
 *
 *   add <client_id> [flags]      prints the client
 *   update <client_id> [flags]   prints the client
 *   list                         prints a JSON array
 *   remove <client_id>           prints {"client_id": ..., "removed": true}
 *
 * Flags: --name N, --origin URL (repeatable), --login-url T, --methods email,mobile,
 * --audience A, --refresh-token body|cookie, --access-token-ttl S, --refresh-token-ttl S,
 * --email-from F.
 */
import { parseArgs } from 'node:util';
import { clientDefaults } from '../composition.ts';
import { loadProcessConfig } from '../config/index.ts';
import { systemClock } from '../lib/clock.ts';
import { createClientRepository } from '../repositories/client-repository.ts';
import { createClientRegistry, validateClientInput, type ClientChange, type ClientInput, type ClientProblem } from '../services/client-registry.ts';
import { withCliDatabase } from './cli-database.ts';

const USAGE = 'usage: npm run clients -- add|update <client_id> [--name N] [--origin URL]... [--login-url T] [--methods email,mobile] [--audience A] [--refresh-token body|cookie] [--access-token-ttl S] [--refresh-token-ttl S] [--email-from F] | list | remove <client_id>';

/** The flag each input field is set with, for the problem lines. */
const FLAG: Record<ClientProblem['field'], string> = {
  client_id: 'client_id',
  name: '--name',
  allowed_origins: '--origin',
  login_url: '--login-url',
  allowed_methods: '--methods',
  audience: '--audience',
  access_token_ttl: '--access-token-ttl',
  refresh_token_ttl: '--refresh-token-ttl',
  refresh_token_delivery: '--refresh-token',
  email_from: '--email-from',
};

function fail(lines: string[], code = 1): never {
  for (const line of lines) console.error(line);
  process.exit(code);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      origin: { type: 'string', multiple: true },
      'login-url': { type: 'string' },
      methods: { type: 'string' },
      audience: { type: 'string' },
      'refresh-token': { type: 'string' },
      'access-token-ttl': { type: 'string' },
      'refresh-token-ttl': { type: 'string' },
      'email-from': { type: 'string' },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  fail([(error as Error).message, USAGE], 2);
}

const [command, clientId, ...extra] = parsed.positionals;
const needsId = command === 'add' || command === 'update' || command === 'remove';
if (!(needsId || command === 'list') || (needsId && clientId === undefined) || (!needsId && clientId !== undefined) || extra.length > 0) fail([USAGE], 2);
if ((command === 'list' || command === 'remove') && Object.keys(parsed.values).length > 0) fail([`${command} takes no flags`, USAGE], 2);

// Flags to input; a number that is not one is a problem like any other value.
const input: ClientInput = {};
const numberProblems: string[] = [];
const { values } = parsed;
if (values.name !== undefined) input.name = values.name;
if (values.origin !== undefined) input.allowed_origins = values.origin;
if (values['login-url'] !== undefined) input.login_url = values['login-url'];
if (values.methods !== undefined) input.allowed_methods = values.methods.split(',').map((method) => method.trim()).filter((method) => method !== '');
if (values.audience !== undefined) input.audience = values.audience;
if (values['refresh-token'] !== undefined) input.refresh_token_delivery = values['refresh-token'];
if (values['email-from'] !== undefined) input.email_from = values['email-from'];
for (const [flag, field] of [['access-token-ttl', 'access_token_ttl'], ['refresh-token-ttl', 'refresh_token_ttl']] as const) {
  const value = values[flag];
  if (value === undefined) continue;
  if (/^\d+$/.test(value)) input[field] = Number(value);
  else numberProblems.push(`--${flag}: "${value}" is not a whole number of seconds`);
}

const config = loadProcessConfig();
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
let exitCode = 0;
await withCliDatabase(config, async (db) => {
  const clients = createClientRegistry({ repository: createClientRepository(db.pool), defaults: clientDefaults(config), clock: systemClock, log: quiet });
  const report = (change: ClientChange): void => {
    switch (change.outcome) {
      case 'ok':
        console.log(JSON.stringify(change.client, null, 2));
        return;
      case 'invalid':
        for (const problem of change.problems) console.error(`${FLAG[problem.field]}: ${problem.message}`);
        break;
      case 'exists':
        console.error(`client_id: a client "${clientId}" already exists (use update)`);
        break;
      case 'not_found':
        console.error(`client_id: no client "${clientId}"`);
        break;
    }
    exitCode = 1;
  };
  if (command === 'list') {
    console.log(JSON.stringify(await clients.list(), null, 2));
  } else if (command === 'remove') {
    if ((await clients.remove(clientId!)) === 'removed') console.log(JSON.stringify({ client_id: clientId, removed: true }));
    else report({ outcome: 'not_found' });
  } else if (numberProblems.length > 0) {
    // Every problem at once, the number flags' and the other fields', and nothing written.
    for (const problem of validateClientInput(clientId!, input, config.allowedMethods)) console.error(`${FLAG[problem.field]}: ${problem.message}`);
    for (const line of numberProblems) console.error(line);
    exitCode = 1;
  } else {
    report(await clients[command as 'add' | 'update'](clientId!, input));
  }
});
process.exit(exitCode);
