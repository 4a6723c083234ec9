/**
 * User metadata rules: `app_metadata` (admin API only; the access tokens' `app_metadata` claim)
 * and `user_metadata` (the user's own) are JSON objects of at most 4 KB each, counted as the
 * UTF-8 bytes of their JSON text, so a token stays small and a row stays cheap.
 */
import { AppError } from '../errors.ts';

export const MAX_METADATA_BYTES = 4096;

export type Metadata = Record<string, unknown>;

/** The object itself when it is a JSON object within the limit; else `400 invalid_metadata`. */
export function checkMetadata(value: unknown): Metadata {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('invalid_metadata');
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_METADATA_BYTES) throw new AppError('invalid_metadata');
  return value as Metadata;
}
