// Generates the Prisma client without network access.
// The Prisma CLI insists on a native schema engine before any command and tries to
// download one; `generate` never runs it, so an existing stub path is enough. The
// variable is set only for this child process: with the stub, migrate commands
// would "succeed" silently, so it must never leak into the wider environment.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const stubDir = mkdtempSync(join(tmpdir(), 'sesame-prisma-'));
const stub = join(stubDir, 'schema-engine-stub');
writeFileSync(stub, '#!/bin/sh\necho "schema engine unavailable offline" >&2\nexit 1\n');
chmodSync(stub, 0o755);

let cli;
try {
  cli = require.resolve('prisma/build/index.js');
} catch {
  // The Prisma CLI is a development dependency: an `npm ci --omit=dev` install (a runtime with a
  // prebuilt dist/, which already holds the compiled client) has nothing to generate.
  console.log('prisma-generate: the Prisma CLI is not installed (--omit=dev); skipping client generation');
  process.exit(0);
}
const result = spawnSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
process.exit(result.status ?? 1);
