/**
 * The texts people receive. The code and link are the only substituted values and both are
 * HTML-escaped in the HTML part (S16); the identifier is never echoed into a message.
 */
import escapeHtml from 'escape-html';
import type { EmailMessage, SmsMessage } from './message-sender.ts';

export interface SignInMessageInput {
  appName: string;
  code: string;
  /** Magic link, when PASSWORDLESS_EMAIL_LOGIN_URL is configured. */
  link: string | undefined;
  lifetimeMinutes: number;
}

export function signInEmail(to: string, input: SignInMessageInput): EmailMessage {
  const { appName, code, link, lifetimeMinutes } = input;
  const subject = `Your ${appName} sign-in code: ${code}`;
  const lines = [
    `Your ${appName} sign-in code is ${code}`,
    '',
    ...(link ? ['Or open this link to sign in:', link, ''] : []),
    `It expires in ${lifetimeMinutes} minutes. If you did not ask for it, ignore this email.`,
  ];
  const e = escapeHtml;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>Your ${e(appName)} sign-in code is</p>`,
    `<p style="font-size:28px;letter-spacing:4px;font-weight:bold">${e(code)}</p>`,
    ...(link ? [`<p><a href="${e(link)}">Sign in to ${e(appName)}</a></p>`] : []),
    `<p>It expires in ${lifetimeMinutes} minutes. If you did not ask for it, ignore this email.</p>`,
    '</body></html>',
  ].join('\n');
  return { to, subject, text: lines.join('\n'), html };
}

export function signInSms(to: string, input: Omit<SignInMessageInput, 'link'>): SmsMessage {
  return { to, text: `${input.code} is your ${input.appName} sign-in code. It expires in ${input.lifetimeMinutes} minutes.` };
}

/** Fills `{token}` in the configured login URL template (S11: never from request headers). */
export function magicLink(template: string, token: string): string {
  return template.replaceAll('{token}', encodeURIComponent(token));
}
