/**
 * The texts people receive, rendered from the templates at send time in the job's language.
 * The code and link are the only per-request values, the HTML part escapes them (S16), and the
 * identifier is never a template value, so it is never echoed into a message.
 */
import Mustache from 'mustache';
import type { BulkEmail, EmailMessage, SmsMessage } from './message-sender.ts';
import { MESSAGE_PREFIX } from './builtin-templates.ts';
import type { MessageTemplates } from './message-templates.ts';
import type { DeliveryPayload, MessageKind } from './outbox-payload.ts';

export type OutboundMessage = ({ channel: 'email' } & EmailMessage) | ({ channel: 'mobile' } & SmsMessage);

export interface MessageRenderer {
  render(payload: DeliveryPayload, lifetimeMinutes: number): OutboundMessage;
  /**
   * The email template shared by every code of one language, lifetime and link presence, with
   * provider placeholders where the per-message values go; undefined when the rendered text
   * itself contains `{{` or `}}` (an override or app name that would read as a placeholder),
   * in which case those messages are sent one by one.
   */
  bulkTemplate(key: BulkKey): BulkEmail['template'] | undefined;
  /** One message's values for `bulkTemplate`'s placeholders; the HTML ones escaped as the HTML template escapes (S16). */
  bulkValues(payload: DeliveryPayload): Record<string, string>;
}

/** What decides a bulk template: messages with the same key share one provider call. */
export interface BulkKey {
  kind: MessageKind;
  locale: string;
  lifetimeMinutes: number;
  hasLink: boolean;
  /** The client's name when it has its own (undefined: APP_NAME), and its sender address. */
  appName?: string | undefined;
  from?: string | undefined;
  /**
   * The client itself: one bulk call never carries two clients' codes, even two whose name and
   * sender happen to match today (an operator may change either while codes wait).
   */
  clientId?: string | undefined;
}

export function bulkKeyString(key: BulkKey): string {
  return JSON.stringify([key.kind, key.locale, key.lifetimeMinutes, key.hasLink ? 'link' : 'code', key.appName ?? null, key.from ?? null, key.clientId ?? null]);
}

// Placeholders the provider fills (SES: simple substitution, no escaping). Plain parts get the
// raw values; the HTML part gets values escaped here with Mustache's own HTML escaping, so a
// bulk-sent message is byte for byte the one `render` would have produced. Templates are first
// rendered with NUL-delimited markers (no escaping touches them, no template text holds them);
// only then are the markers swapped for placeholders, once the rest is known free of braces.
const SLOTS = ['code', 'link', 'codeHtml', 'linkHtml'] as const;
const marker = (slot: string) => `\u0000${slot}\u0000`;
const MARKER = /\u0000(code|link|codeHtml|linkHtml)\u0000/g;

export function createMessageRenderer(deps: {
  templates: MessageTemplates;
  appName: string;
  /** Host for the WebOTP line (`@auth.example.com #123456`), when set. */
  smsOrigin: string | undefined;
}): MessageRenderer {
  const { templates, appName, smsOrigin } = deps;
  const bulkTemplates = new Map<string, BulkEmail['template'] | undefined>();
  return {
    bulkTemplate(key) {
      const id = bulkKeyString(key);
      if (bulkTemplates.has(id)) return bulkTemplates.get(id);
      const plain = { appName: key.appName ?? appName, code: marker(SLOTS[0]), link: key.hasLink ? marker(SLOTS[1]) : undefined, lifetimeMinutes: key.lifetimeMinutes };
      const html = { ...plain, code: marker(SLOTS[2]), link: key.hasLink ? marker(SLOTS[3]) : undefined };
      const prefix = MESSAGE_PREFIX[key.kind];
      const parts = {
        subject: templates.render(key.locale, `${prefix}email.subject`, plain).replace(/\s+/g, ' ').trim(),
        text: templates.render(key.locale, `${prefix}email.text`, plain),
        html: templates.render(key.locale, `${prefix}email.html`, html),
      };
      const safe = Object.values(parts).every((part) => !part.includes('{{') && !part.includes('}}'));
      const template = safe
        ? { subject: placeholders(parts.subject), text: placeholders(parts.text), html: placeholders(parts.html) }
        : undefined;
      // Bounded: one entry per kind × language × lifetime × link presence × client.
      if (bulkTemplates.size < 1_000) bulkTemplates.set(id, template);
      return template;
    },
    bulkValues(payload) {
      const values: Record<string, string> = { code: payload.code, codeHtml: Mustache.escape(payload.code) };
      if (payload.link !== undefined) {
        values.link = payload.link;
        values.linkHtml = Mustache.escape(payload.link);
      }
      return values;
    },
    render(payload, lifetimeMinutes) {
      const view = { appName: payload.appName ?? appName, code: payload.code, link: payload.link, lifetimeMinutes };
      const locale = payload.locale;
      const kind = payload.kind ?? 'sign_in';
      const prefix = MESSAGE_PREFIX[kind];
      if (payload.channel === 'email') {
        return {
          channel: 'email',
          to: payload.to,
          ...(payload.from !== undefined ? { from: payload.from } : {}),
          // A subject is one header line whatever the template says.
          subject: templates.render(locale, `${prefix}email.subject`, view).replace(/\s+/g, ' ').trim(),
          text: templates.render(locale, `${prefix}email.text`, view),
          html: templates.render(locale, `${prefix}email.html`, view),
          locale,
        };
      }
      let text = templates.render(locale, `${prefix}sms.text`, view).trimEnd();
      // WebOTP: the last line binds the code to the origin so browsers can offer to fill it in.
      // Notices carry no code, so they get no such line.
      if (smsOrigin !== undefined && (kind === 'sign_in' || kind === 'verify')) text += `\n\n@${smsOrigin} #${payload.code}`;
      return { channel: 'mobile', to: payload.to, text, locale };
    },
  };
}

function placeholders(part: string): string {
  return part.replace(MARKER, (_, slot: string) => `{{${slot}}}`);
}

/** Fills `{token}` in the configured login URL template (S11: never from request headers). */
export function magicLink(template: string, token: string): string {
  return template.replaceAll('{token}', encodeURIComponent(token));
}
