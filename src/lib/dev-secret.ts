import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Development only: without SESAME_SECRET a random secret is created once under dataDir and
 * reused, so the signing key stored in the embedded database stays decryptable across restarts.
 * Production refuses to start without SESAME_SECRET (S36).
 */
export async function loadOrCreateDevSecret(dataDir: string): Promise<Buffer> {
  const file = join(resolve(dataDir), 'dev-secret');
  if (existsSync(file)) return Buffer.from((await readFile(file, 'utf8')).trim(), 'utf8');
  await mkdir(resolve(dataDir), { recursive: true, mode: 0o755 });
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return Buffer.from((await readFile(file, 'utf8')).trim(), 'utf8');
}
