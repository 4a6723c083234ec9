/**
 * Expands an alphabet spec such as "0-9", "a-z0-9" or "ABCDEFGHJKMNPQRSTUVWXYZ23456789" into
 * its distinct characters. Only ASCII letters and digits are allowed: codes are typed by people,
 * put into URLs and SMS, and must never need escaping.
 */
export function expandAlphabet(spec: string): string | { error: string } {
  const chars = new Set<string>();
  for (let i = 0; i < spec.length; i++) {
    const start = spec[i]!;
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      const end = spec[i + 2]!;
      if (!isAlnum(start) || !isAlnum(end) || start > end || kind(start) !== kind(end)) {
        return { error: `invalid range "${start}-${end}"` };
      }
      for (let code = start.charCodeAt(0); code <= end.charCodeAt(0); code++) chars.add(String.fromCharCode(code));
      i += 2;
    } else {
      if (!isAlnum(start)) return { error: `only letters and digits are allowed, found "${start}"` };
      chars.add(start);
    }
  }
  if (chars.size < 2) return { error: 'needs at least two distinct characters' };
  return [...chars].join('');
}

function isAlnum(char: string): boolean {
  return /^[A-Za-z0-9]$/.test(char);
}

function kind(char: string): 'digit' | 'lower' | 'upper' {
  if (/[0-9]/.test(char)) return 'digit';
  return char === char.toLowerCase() ? 'lower' : 'upper';
}
