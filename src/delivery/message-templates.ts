/**
 * Loads the message templates: the built-in languages, with any file overridden (and any new
 * language added) from TEMPLATES_DIR/<locale>/<name>.mustache. Every template is parsed at
 * start, so a broken override stops the service with a clear error instead of failing a send.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import { ConfigError } from '../config/index.ts';
import { BUILTIN_TEMPLATES, MESSAGE_TEMPLATES, TEMPLATE_NAMES, type TemplateName, type TemplateSet } from './builtin-templates.ts';

/** The values a template may use. The identifier is deliberately not one of them (S16). */
export interface TemplateView {
  appName: string;
  code: string;
  link?: string | undefined;
  lifetimeMinutes: number;
}

export interface MessageTemplates {
  /** Lower-case language tags with a complete set of templates. */
  readonly locales: readonly string[];
  readonly defaultLocale: string;
  /** Renders one template; `email.html` escapes every value for HTML, the others are plain text. */
  render(locale: string, name: TemplateName, view: TemplateView): string;
}

const LOCALE_DIR = /^[a-z]{2,8}(-[a-z0-9]{1,8})*$/;
const FILE_SUFFIX = '.mustache';
// Plain-text parts must not turn "&" in an app name into "&amp;".
const PLAIN_TEXT = { escape: (value: unknown) => String(value) };

/** Reads and validates the templates; throws ConfigError naming every broken file. */
export function loadMessageTemplates(options: { dir: string | undefined; defaultLocale: string }): MessageTemplates {
  const problems: string[] = [];
  const sets = new Map<string, TemplateSet>(Object.entries(BUILTIN_TEMPLATES).map(([locale, set]) => [locale, { ...set }]));

  const defaultLocale = options.defaultLocale.toLowerCase();
  if (options.dir !== undefined) readOverrides(options.dir, sets, problems, defaultLocale);
  for (const [locale, set] of sets) {
    for (const name of TEMPLATE_NAMES) {
      try {
        Mustache.parse(set[name]);
      } catch (error) {
        problems.push(`TEMPLATES_DIR: ${locale}/${name}${FILE_SUFFIX} does not parse: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  if (!sets.has(defaultLocale)) {
    problems.push(`DEFAULT_LOCALE: no templates for "${defaultLocale}" (built in: ${Object.keys(BUILTIN_TEMPLATES).join(', ')}; add more under TEMPLATES_DIR)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    locales: [...sets.keys()],
    defaultLocale,
    render(locale, name, view) {
      const set = sets.get(locale) ?? sets.get(defaultLocale)!;
      return name.endsWith('email.html')
        ? Mustache.render(set[name], view)
        : Mustache.render(set[name], view, undefined, PLAIN_TEXT);
    },
  };
}

// A file for a built-in language replaces that one file; a new language must bring all four
// sign-in templates, so a message is never half in one language and half in another. The
// account messages (verify, notices) follow the same rule message by message: a new language
// brings all four parts of one or none, and without them that message is sent in DEFAULT_LOCALE.
function readOverrides(dir: string, sets: Map<string, TemplateSet>, problems: string[], defaultLocale: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    problems.push(`TEMPLATES_DIR: "${dir}" is not a directory`);
    return;
  }
  const added: [string, string, Partial<TemplateSet>][] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || !statSync(join(dir, entry)).isDirectory()) continue;
    const locale = entry.toLowerCase();
    if (!LOCALE_DIR.test(locale)) {
      problems.push(`TEMPLATES_DIR: "${entry}" is not a language tag (e.g. en, pt-br)`);
      continue;
    }
    const found: Partial<TemplateSet> = {};
    for (const file of readdirSync(join(dir, entry)).sort()) {
      if (file.startsWith('.')) continue;
      const name = file.endsWith(FILE_SUFFIX) ? file.slice(0, -FILE_SUFFIX.length) : undefined;
      if (name === undefined || !(TEMPLATE_NAMES as readonly string[]).includes(name)) {
        problems.push(`TEMPLATES_DIR: ${entry}/${file} is not a template name (use ${TEMPLATE_NAMES.map((n) => n + FILE_SUFFIX).join(', ')})`);
        continue;
      }
      found[name as TemplateName] = readFileSync(join(dir, entry, file), 'utf8');
    }
    const base = sets.get(locale);
    if (base !== undefined) {
      sets.set(locale, { ...base, ...found });
      continue;
    }
    const missing = MESSAGE_TEMPLATES.sign_in.filter((name) => found[name] === undefined);
    if (missing.length > 0) {
      problems.push(`TEMPLATES_DIR: ${entry}/ adds a language, so it needs every template; missing ${missing.map((n) => n + FILE_SUFFIX).join(', ')}`);
      continue;
    }
    added.push([entry, locale, found]);
  }
  // New languages borrow whole account messages from the default language, after every
  // override of that language is in.
  const fallback = sets.get(defaultLocale) ?? BUILTIN_TEMPLATES.en!;
  for (const [entry, locale, found] of added) {
    const set = { ...found } as TemplateSet;
    for (const [kind, names] of Object.entries(MESSAGE_TEMPLATES)) {
      const present = names.filter((name) => found[name] !== undefined);
      if (present.length > 0 && present.length < names.length) {
        const absent = names.filter((name) => found[name] === undefined);
        problems.push(`TEMPLATES_DIR: ${entry}/ brings part of the ${kind} message; add ${absent.map((n) => n + FILE_SUFFIX).join(', ')} or none of its files`);
      }
      if (present.length === 0) for (const name of names) set[name] = fallback[name];
    }
    sets.set(locale, set);
  }
}
