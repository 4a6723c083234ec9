/**
 * `npm run keys -- <command>`: signing-key operations against DATABASE_URL (or the embedded
 * database), with the same configuration as the service.
 *
 *   list     the stored keys and their states
 *   rotate   one lifecycle step now: creates a next key when none is waiting; promotes the
 *            waiting one once it has been published long enough (JWKS_MAX_AGE +
 *            KEY_RELOAD_INTERVAL); removes retired keys past their retention. Running replicas
 *            do the promotion by themselves on their next maintenance tick.
 */
import { loadProcessConfig } from '../config/index.ts';
import { listSigningKeys, rotateSigningKeys } from '../keys/key-admin.ts';
import { loadKeyStore } from '../keys/key-store.ts';
import { systemClock } from '../lib/clock.ts';
import { loadOrCreateDevSecret } from '../lib/dev-secret.ts';
import { createSigningKeyRepository } from '../repositories/signing-key-repository.ts';
import { withCliDatabase } from './cli-database.ts';

const USAGE = 'usage: npm run keys -- list | rotate';
const command = process.argv[2];
if (command !== 'list' && command !== 'rotate') {
  console.error(USAGE);
  process.exit(2);
}

const config = loadProcessConfig();
if (config.operatorKey !== undefined) {
  console.error('JWT_PRIVATE_KEY is set: signing keys are managed by the operator, not by Sesame. Rotate them where they are managed.');
  process.exit(1);
}
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
await withCliDatabase(config, async (db) => {
  const secrets = config.secrets ?? [await loadOrCreateDevSecret(config.dataDir)];
  const repository = createSigningKeyRepository(db.pool);
  const keys = await loadKeyStore({ keys: repository, secrets, alg: config.jwtAlg, clock: systemClock, policy: config, log: quiet });
  if (command === 'rotate') {
    const report = await rotateSigningKeys(keys);
    for (const kid of report.remove) console.log(`removed retired key ${kid}`);
    if (report.promote) console.log(`promoted ${report.promote} to current; the previous key is retired and stays published`);
    if (report.created) console.log(`created next key ${report.created}; it is published now and can be promoted from ${report.promotableAt!.toISOString()}`);
    else if (report.promotableAt) console.log(`a next key is waiting to be published long enough; it can be promoted from ${report.promotableAt.toISOString()}`);
  }
  const stored = await listSigningKeys(repository);
  console.log(`${'state'.padEnd(8)} ${'alg'.padEnd(6)} ${'kid'.padEnd(44)} ${'created'.padEnd(24)} ${'activated'.padEnd(24)} retired`);
  for (const key of stored) {
    console.log([key.state.padEnd(8), key.alg.padEnd(6), key.kid.padEnd(44), iso(key.createdAt), iso(key.activatedAt), iso(key.retiredAt)].join(' '));
  }
});

function iso(date: Date | null): string {
  return (date?.toISOString() ?? '-').padEnd(24);
}
