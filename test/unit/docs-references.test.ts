// The docs point at real things: every requirement id the code cites is defined in
// docs/security.md, every file path the docs name exists, and every test the docs name by
// "`file` › name" is in that file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PATH_ROOTS = ['src/', 'test/', 'tools/', 'prisma/', 'docker/', 'bench/', 'docs/', '.ci/'];
const TEST_DIRS = ['unit/', 'integration/', 'timing/', 'helpers/'];
/** Names in the docs that look like identifiers but belong to AWS or HTTP, not to our code. */
const NOT_CODE = /Exception$|^HttpOnly$/;

function walk(dir: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (skip(path)) continue;
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...walk(path, skip));
    else out.push(path);
  }
  return out;
}

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('docs references', () => {
  it('defines every requirement id that src/ and test/ cite', () => {
    const security = read('docs/security.md');
    const defined = new Set([...security.matchAll(/^\*\*(S\d+) —/gm)].map((match) => match[1]));
    for (let id = 1; id <= 48; id++) assert.ok(defined.has(`S${id}`), `docs/security.md defines S${id}`);
    const sources = [...walk('src', (path) => path.includes('generated')), ...walk('test')].filter((path) => /\.(ts|mjs)$/.test(path));
    const missing = new Set<string>();
    for (const file of sources) {
      for (const match of read(file).matchAll(/\bS(\d{1,2})\b/g)) if (!defined.has(`S${match[1]}`)) missing.add(`S${match[1]} in ${file}`);
    }
    assert.deepEqual([...missing], []);
  });

  it('names only files that exist', () => {
    const basenames = new Set([...walk('src'), ...walk('test'), ...walk('tools'), ...walk('bench', (path) => path.includes('results')), ...walk('docker')].map((path) => basename(path)));
    const missing: string[] = [];
    for (const doc of docs) {
      for (const [, token] of read(doc).matchAll(/`([^`\s]+)`/g)) {
        const path = token!.replace(/[),.:]+$/, '');
        if (/[<>*{}$]/.test(path) || path.startsWith('bench/results')) continue;
        if (PATH_ROOTS.some((root) => path.startsWith(root))) {
          if (!existsSync(join(ROOT, path))) missing.push(`${doc}: ${path}`);
        } else if (TEST_DIRS.some((dir) => path.startsWith(dir)) && /\.test\.ts$/.test(path)) {
          if (!existsSync(join(ROOT, 'test', path))) missing.push(`${doc}: test/${path}`);
        } else if (/^[\w.-]+\.(ts|mjs)$/.test(path) && !path.startsWith('.')) {
          if (!basenames.has(path)) missing.push(`${doc}: ${path}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('names only functions and constants that exist', () => {
    const code = [...walk('src', (path) => path.includes('generated')), ...walk('tools')].map(read).join('\n');
    const missing: string[] = [];
    for (const doc of ['docs/security.md', 'docs/invariants.md', 'docs/architecture.md']) {
      for (const [, token] of read(doc).matchAll(/`([A-Za-z_][\w.]*)(?:\(\))?`/g)) {
        for (const part of token!.split('.')) {
          const identifier = /^[a-z]+[A-Z]\w*$/.test(part) || /^[A-Z][a-z]+[A-Z]\w*$/.test(part) || /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(part);
          if (identifier && !NOT_CODE.test(part) && !new RegExp(`\\b${part}\\b`).test(code)) missing.push(`${doc}: ${part}`);
        }
      }
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('names only tests that exist, in the file it names', () => {
    const missing: string[] = [];
    for (const doc of docs) {
      const text = read(doc);
      // A test file in backticks, then one or more "› name" up to the next file.
      for (const [, file, rest] of text.matchAll(/`((?:unit|integration|timing)\/[\w./-]+\.test\.ts)`([^`]*?)(?=`(?:unit|integration|timing)\/|\n\n|\|\s*$|$)/gms)) {
        if (!existsSync(join(ROOT, 'test', file!))) continue; // reported by the path check
        const source = read(join('test', file!));
        for (const [, raw] of rest!.matchAll(/›\s*([^›·;|\n]+)/g)) {
          const name = raw!.split('…')[0]!.trim().replace(/[.,]$/, '').trim();
          if (name.length > 0 && !source.includes(name)) missing.push(`${doc}: ${file} › ${name}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });
});
