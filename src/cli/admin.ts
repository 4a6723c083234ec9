/**
 * `npm run admin -- keys create|list|revoke`: admin API keys against DATABASE_URL (or the
 * embedded database), with the same configuration as the service. See admin-commands.ts.
 */
import { loadProcessConfig } from '../config/index.ts';
import { createDatabase } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { migrate } from '../db/migrator.ts';
import { systemClock } from '../lib/clock.ts';
import { cryptoRandom } from '../lib/random.ts';
import { createAdminKeyRepository } from '../repositories/admin-key-repository.ts';
import { createAuditEventRepository } from '../repositories/audit-event-repository.ts';
import { createAdminKeyService } from '../services/admin/admin-keys.ts';
import { createBufferedAuditLog } from '../services/audit-log.ts';
import { runAdminCommand } from './admin-commands.ts';

const config = loadProcessConfig();
const embedded = config.databaseUrl === undefined
  ? await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort })
  : undefined;
const url = config.databaseUrl ?? embedded!.url;
const db = createDatabase(url, { poolSize: 2 });
const log = { info: () => {}, warn: () => {}, error: (object: object, message?: string) => console.error(message ?? '', object) };
let code = 1;
try {
  if (config.migrateOnStart) await migrate(url);
  const audit = createBufferedAuditLog({ writer: createAuditEventRepository(db.pool), clock: systemClock, log });
  code = await runAdminCommand(process.argv.slice(2), {
    keys: createAdminKeyService({ keys: createAdminKeyRepository(db.prisma), clock: systemClock, random: cryptoRandom }),
    audit,
    io: { out: (line) => console.log(line), err: (line) => console.error(line) },
  });
  await audit.close();
} finally {
  await db.close();
  await embedded?.stop();
}
process.exitCode = code;
