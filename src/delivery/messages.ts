/**
 * The texts people receive, rendered from the templates at send time in the job's language.
 * The code and link are the only per-request values, the HTML part escapes them (S16), and the
 * identifier is never a template value, so it is never echoed into a message.
 */
import type { EmailMessage, SmsMessage } from './message-sender.ts';
import { MESSAGE_PREFIX } from './builtin-templates.ts';
import type { MessageTemplates } from './message-templates.ts';
import type { DeliveryPayload } from './outbox-payload.ts';

export type OutboundMessage = ({ channel: 'email' } & EmailMessage) | ({ channel: 'mobile' } & SmsMessage);

export interface MessageRenderer {
  render(payload: DeliveryPayload, lifetimeMinutes: number): OutboundMessage;
}

export function createMessageRenderer(deps: {
  templates: MessageTemplates;
  appName: string;
  /** Host for the WebOTP line (`@auth.example.com #123456`), when set. */
  smsOrigin: string | undefined;
}): MessageRenderer {
  const { templates, appName, smsOrigin } = deps;
  return {
    render(payload, lifetimeMinutes) {
      const view = { appName, code: payload.code, link: payload.link, lifetimeMinutes };
      const locale = payload.locale;
      const kind = payload.kind ?? 'sign_in';
      const prefix = MESSAGE_PREFIX[kind];
      if (payload.channel === 'email') {
        return {
          channel: 'email',
          to: payload.to,
          // A subject is one header line whatever the template says.
          subject: templates.render(locale, `${prefix}email.subject`, view).replace(/\s+/g, ' ').trim(),
          text: templates.render(locale, `${prefix}email.text`, view),
          html: templates.render(locale, `${prefix}email.html`, view),
        };
      }
      let text = templates.render(locale, `${prefix}sms.text`, view).trimEnd();
      // WebOTP: the last line binds the code to the origin so browsers can offer to fill it in.
      // Notices carry no code, so they get no such line.
      if (smsOrigin !== undefined && (kind === 'sign_in' || kind === 'verify')) text += `\n\n@${smsOrigin} #${payload.code}`;
      return { channel: 'mobile', to: payload.to, text };
    },
  };
}

/** Fills `{token}` in the configured login URL template (S11: never from request headers). */
export function magicLink(template: string, token: string): string {
  return template.replaceAll('{token}', encodeURIComponent(token));
}
