/**
 * Picks the message language: the request's `locale`, else the best Accept-Language entry we
 * have templates for (RFC 9110 q-values; a region falls back to its primary language), else the
 * default. An unsupported language never fails a request.
 */

export interface LocaleResolver {
  resolve(requested: string | undefined, acceptLanguage: string | undefined): string;
}

/** Builds a resolver over the supported (lower-case) tags. */
export function createLocaleResolver(supported: readonly string[], defaultLocale: string): LocaleResolver {
  const known = new Set(supported);
  const match = (tag: string): string | undefined => {
    const lower = tag.toLowerCase();
    if (known.has(lower)) return lower;
    const primary = lower.split('-')[0]!;
    return known.has(primary) ? primary : undefined;
  };
  return {
    resolve(requested, acceptLanguage) {
      if (requested !== undefined) {
        const found = match(requested);
        if (found) return found;
      }
      for (const tag of parseAcceptLanguage(acceptLanguage)) {
        const found = match(tag);
        if (found) return found;
      }
      return defaultLocale;
    },
  };
}

const TAG = /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/i;
const QVALUE = /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/i;
// Headers are already bounded by the route; this bounds the work on a hostile list.
const MAX_ENTRIES = 20;

/** The header's language tags, best first (stable for equal q); q=0, `*` and junk are dropped. */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (header === undefined) return [];
  const entries: { tag: string; q: number; index: number }[] = [];
  for (const [index, part] of header.split(',').slice(0, MAX_ENTRIES).entries()) {
    const [rawTag, ...params] = part.split(';').map((piece) => piece.trim());
    if (!rawTag || !TAG.test(rawTag)) continue;
    let q = 1;
    let valid = true;
    for (const param of params) {
      const lower = param.replace(/\s+/g, '').toLowerCase();
      if (!lower.startsWith('q=')) continue;
      if (!QVALUE.test(lower)) valid = false;
      else q = Number(lower.slice(2));
    }
    if (valid && q > 0) entries.push({ tag: rawTag, q, index });
  }
  return entries.sort((a, b) => b.q - a.q || a.index - b.index).map((entry) => entry.tag);
}
