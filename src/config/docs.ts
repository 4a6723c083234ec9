/**
 * The API description: GET /openapi.json and the interactive reference at GET /docs. Both are
 * on by default (the document describes only public routes and their public error codes); an
 * operator who does not want to publish them turns them off. Called once from loadConfig.
 */
import type { EnvReader } from './reader.ts';

export interface DocsConfig {
  /** Serve GET /openapi.json and GET /docs (and the admin listener's GET /openapi.json). */
  docsEnabled: boolean;
}

export function parseDocs(read: EnvReader): DocsConfig {
  return { docsEnabled: read.bool('DOCS_ENABLED', true) };
}
