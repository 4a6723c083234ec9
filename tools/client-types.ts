/**
 * The typed client's generated part: clients/js/openapi.json (the public document of a default
 * configuration) and clients/js/src/schema.ts (its types, by openapi-typescript). `npm run
 * client:types` rewrites both from the app (a scratch database on TEST_DATABASE_URL);
 * test/integration/client-types.test.ts fails when the committed files are stale.
 * openapi-typescript and its TypeScript 5 live in clients/js/node_modules (`npm ci --prefix clients/js`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const CLIENT_DIR = new URL('../clients/js/', import.meta.url);
export const CLIENT_DOCUMENT = new URL('openapi.json', CLIENT_DIR);
export const CLIENT_SCHEMA = new URL('src/schema.ts', CLIENT_DIR);

const HEADER = '// Generated from Sesame\'s OpenAPI document by `npm run client:types` (openapi-typescript). Do not edit.\n\n';

/** The document as committed: stable key order, two-space indent, final newline. */
export function documentText(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The TypeScript types of `document`, as clients/js/src/schema.ts holds them. */
export async function clientTypes(document: unknown): Promise<string> {
  const require = createRequire(new URL('package.json', CLIENT_DIR));
  const entry = require.resolve('openapi-typescript');
  const { default: openapiTS, astToString } = await import(pathToFileURL(entry).href) as {
    default: (schema: unknown) => Promise<unknown>;
    astToString: (ast: unknown) => string;
  };
  return HEADER + astToString(await openapiTS(structuredClone(document)));
}

/** What is committed now. */
export function committed(): { document: string; types: string } {
  return { document: readFileSync(CLIENT_DOCUMENT, 'utf8'), types: readFileSync(CLIENT_SCHEMA, 'utf8') };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { createTestDatabase } = await import('../test/helpers/database.ts');
  const { startTestApp } = await import('../test/helpers/app.ts');
  const db = await createTestDatabase();
  try {
    const sesame = await startTestApp({ db });
    try {
      const document = await (await fetch(`${sesame.url}/openapi.json`)).json();
      writeFileSync(CLIENT_DOCUMENT, documentText(document));
      writeFileSync(CLIENT_SCHEMA, await clientTypes(document));
      console.log(`wrote ${CLIENT_DOCUMENT.pathname} and ${CLIENT_SCHEMA.pathname}`);
    } finally {
      await sesame.close();
    }
  } finally {
    await db.drop();
  }
}
