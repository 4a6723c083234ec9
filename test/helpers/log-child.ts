/**
 * Child process for test/unit/log-destination.test.ts: logs through the service's destination
 * (src/lib/log-destination.ts) on standard output, then ends as the first argument says:
 * `exit` (process.exit), `throw` (an uncaught exception), `signal` (SIGTERM, handled as the
 * server does), or `stay` (keeps running until killed). Run as
 * `node --import tsx test/helpers/log-child.ts <how>`.
 */
import pino from 'pino';
import { logDestination } from '../../src/lib/log-destination.ts';

const how = process.argv[2];
const log = pino(logDestination());
log.info({ how }, `written before ${how}`);

if (how === 'exit') process.exit(0);
if (how === 'throw') setImmediate(() => { throw new Error('uncaught on purpose'); });
if (how === 'signal') {
  process.on('SIGTERM', () => {
    log.info('stopped');
    process.exit(0);
  });
  process.stderr.write('ready\n');
  setTimeout(() => undefined, 60_000);
}
if (how === 'stay') setTimeout(() => undefined, 60_000);
