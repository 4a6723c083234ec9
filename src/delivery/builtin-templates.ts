/**
 * The built-in message templates (Mustache), one set per language. Variables: `appName`,
 * `code`, `link` (email only, absent without a magic link), `lifetimeMinutes`. The HTML part is
 * rendered with Mustache's HTML escaping of every value (S16); the other parts are plain text.
 * The identifier is never a variable, so no template can echo it. Operators override any file
 * from TEMPLATES_DIR (see message-templates.ts).
 */

/** The files of one language, named as in TEMPLATES_DIR/<locale>/<name>.mustache. */
export const TEMPLATE_NAMES = ['email.subject', 'email.text', 'email.html', 'sms.text'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export type TemplateSet = Record<TemplateName, string>;

interface Wording {
  lang: string;
  subject: string;
  codeIs: string;
  orOpenLink: string;
  linkLabel: string;
  expires: string;
  sms: string;
}

// One shape for every language, so a fix to the layout reaches all of them.
function templateSet(w: Wording): TemplateSet {
  return {
    'email.subject': w.subject,
    'email.text': [
      `${w.codeIs} {{code}}`,
      '',
      '{{#link}}',
      w.orOpenLink,
      '{{link}}',
      '',
      '{{/link}}',
      w.expires,
      '',
    ].join('\n'),
    'email.html': [
      '<!doctype html>',
      `<html lang="${w.lang}">`,
      '<body style="font-family:sans-serif">',
      `<p>${w.codeIs}</p>`,
      '<p style="font-size:28px;letter-spacing:4px;font-weight:bold">{{code}}</p>',
      '{{#link}}',
      `<p><a href="{{link}}">${w.linkLabel}</a></p>`,
      '{{/link}}',
      `<p>${w.expires}</p>`,
      '</body>',
      '</html>',
      '',
    ].join('\n'),
    'sms.text': w.sms,
  };
}

export const BUILTIN_TEMPLATES: Readonly<Record<string, TemplateSet>> = {
  en: templateSet({
    lang: 'en',
    subject: 'Your {{appName}} sign-in code: {{code}}',
    codeIs: 'Your {{appName}} sign-in code is',
    orOpenLink: 'Or open this link to sign in:',
    linkLabel: 'Sign in to {{appName}}',
    expires: 'It expires in {{lifetimeMinutes}} minutes. If you did not ask for it, ignore this email.',
    sms: '{{code}} is your {{appName}} sign-in code. It expires in {{lifetimeMinutes}} minutes.',
  }),
  de: templateSet({
    lang: 'de',
    subject: 'Ihr Anmeldecode für {{appName}}: {{code}}',
    codeIs: 'Ihr Anmeldecode für {{appName}} lautet',
    orOpenLink: 'Oder öffnen Sie diesen Link, um sich anzumelden:',
    linkLabel: 'Bei {{appName}} anmelden',
    expires: 'Der Code ist {{lifetimeMinutes}} Minuten lang gültig. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail einfach.',
    sms: '{{code}} ist Ihr Anmeldecode für {{appName}}. Er ist {{lifetimeMinutes}} Minuten lang gültig.',
  }),
  fr: templateSet({
    lang: 'fr',
    subject: 'Votre code de connexion {{appName}} : {{code}}',
    codeIs: 'Votre code de connexion {{appName}} est',
    orOpenLink: 'Vous pouvez aussi ouvrir ce lien pour vous connecter :',
    linkLabel: 'Se connecter à {{appName}}',
    expires: "Il expire dans {{lifetimeMinutes}} minutes. Si vous ne l'avez pas demandé, ignorez simplement cet e-mail.",
    sms: '{{code}} est votre code de connexion {{appName}}. Il expire dans {{lifetimeMinutes}} minutes.',
  }),
  es: templateSet({
    lang: 'es',
    subject: 'Tu código de acceso a {{appName}}: {{code}}',
    codeIs: 'Tu código de acceso a {{appName}} es',
    orOpenLink: 'O abre este enlace para iniciar sesión:',
    linkLabel: 'Iniciar sesión en {{appName}}',
    expires: 'Caduca en {{lifetimeMinutes}} minutos. Si no lo has solicitado, ignora este correo.',
    sms: '{{code}} es tu código de acceso a {{appName}}. Caduca en {{lifetimeMinutes}} minutos.',
  }),
  pt: templateSet({
    lang: 'pt',
    subject: 'Seu código de acesso ao {{appName}}: {{code}}',
    codeIs: 'Seu código de acesso ao {{appName}} é',
    orOpenLink: 'Ou abra este link para entrar:',
    linkLabel: 'Entrar no {{appName}}',
    expires: 'Ele expira em {{lifetimeMinutes}} minutos. Se você não pediu este código, ignore este e-mail.',
    sms: '{{code}} é seu código de acesso ao {{appName}}. Expira em {{lifetimeMinutes}} minutos.',
  }),
};
