/**
 * `npm run admin -- keys create|list|revoke`: admin API keys against DATABASE_URL (or the
 * embedded database), with the same configuration as the service. See admin-commands.ts.
 */
import { loadProcessConfig } from '../config/index.ts';
import { systemClock } from '../lib/clock.ts';
import { cryptoRandom } from '../lib/random.ts';
import { createAdminKeyRepository } from '../repositories/admin-key-repository.ts';
import { createAuditEventRepository } from '../repositories/audit-event-repository.ts';
import { createAdminKeyService } from '../services/admin/admin-keys.ts';
import { createBufferedAuditLog } from '../services/audit-log.ts';
import { runAdminCommand } from './admin-commands.ts';
import { withCliDatabase } from './cli-database.ts';

const config = loadProcessConfig();
const log = { info: () => {}, warn: () => {}, error: (object: object, message?: string) => console.error(message ?? '', object) };
process.exitCode = await withCliDatabase(config, async (db) => {
  const audit = createBufferedAuditLog({ writer: createAuditEventRepository(db.pool), clock: systemClock, log });
  const code = await runAdminCommand(process.argv.slice(2), {
    keys: createAdminKeyService({ keys: createAdminKeyRepository(db.prisma), clock: systemClock, random: cryptoRandom }),
    audit,
    io: { out: (line) => console.log(line), err: (line) => console.error(line) },
  });
  await audit.close();
  return code;
});
