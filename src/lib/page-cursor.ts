/**
 * Opaque page cursors for the admin lists: the sort key of the last item, as base64url JSON.
 * Opaque to clients (they pass back what they got), checked on the way in: a cursor that does
 * not decode to the expected shape is refused rather than guessed at.
 */

/** Encodes the last item's sort key. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The sort key a cursor carries, or undefined when it is not one of ours with `arity` parts. */
export function decodeCursor(cursor: string, arity: number): string[] | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== arity || !parsed.every((part) => typeof part === 'string')) return undefined;
    return parsed as string[];
  } catch {
    return undefined;
  }
}
