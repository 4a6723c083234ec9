/**
 * The built-in message templates (Mustache), one set per language. Variables: `appName`,
 * `code`, `link` (email only, absent without a magic link), `lifetimeMinutes`. The HTML part is
 * rendered with Mustache's HTML escaping of every value (S16); the other parts are plain text.
 * The identifier is never a variable, so no template can echo it. Operators override any file
 * from TEMPLATES_DIR (see message-templates.ts).
 *
 * Four messages, each with the same four parts: the sign-in code (no prefix), the code that
 * confirms an address added to an account (`verify.`), and two notices without a code: the
 * address belongs to another account (`notice-taken.`), and the account's address was changed
 * or removed (`notice-changed.`).
 */
import type { MessageKind } from './outbox-payload.ts';

const PARTS = ['email.subject', 'email.text', 'email.html', 'sms.text'] as const;
/** File-name prefix of each message's templates. */
export const MESSAGE_PREFIX = { sign_in: '', verify: 'verify.', notice_taken: 'notice-taken.', notice_changed: 'notice-changed.' } as const satisfies Record<MessageKind, string>;
type Prefixed<P extends string> = `${P}${(typeof PARTS)[number]}`;

/** The files of one language, named as in TEMPLATES_DIR/<locale>/<name>.mustache. */
export const TEMPLATE_NAMES = Object.values(MESSAGE_PREFIX).flatMap((prefix) => PARTS.map((part) => `${prefix}${part}`)) as TemplateName[];
export type TemplateName = Prefixed<(typeof MESSAGE_PREFIX)[MessageKind]>;
export type TemplateSet = Record<TemplateName, string>;
/** The templates of one message: a language brings all of a message's parts or none. */
export const MESSAGE_TEMPLATES = Object.fromEntries(
  Object.entries(MESSAGE_PREFIX).map(([kind, prefix]) => [kind, PARTS.map((part) => `${prefix}${part}` as TemplateName)]),
) as Record<MessageKind, TemplateName[]>;

interface Wording {
  lang: string;
  subject: string;
  codeIs: string;
  orOpenLink: string;
  linkLabel: string;
  expires: string;
  sms: string;
}

interface AccountWording {
  verifySubject: string;
  verifyCodeIs: string;
  verifyExpires: string;
  verifySms: string;
  takenSubject: string;
  taken: string;
  takenSms: string;
  changedSubject: string;
  changed: string;
  changedSms: string;
}

// One shape for every language, so a fix to the layout reaches all of them.
function templateSet(w: Wording, a: AccountWording): TemplateSet {
  return {
    ...signInTemplates(w),
    'verify.email.subject': a.verifySubject,
    'verify.email.text': [`${a.verifyCodeIs} {{code}}`, '', a.verifyExpires, ''].join('\n'),
    'verify.email.html': html(w.lang, [`<p>${a.verifyCodeIs}</p>`, '<p style="font-size:28px;letter-spacing:4px;font-weight:bold">{{code}}</p>', `<p>${a.verifyExpires}</p>`]),
    'verify.sms.text': a.verifySms,
    'notice-taken.email.subject': a.takenSubject,
    'notice-taken.email.text': `${a.taken}\n`,
    'notice-taken.email.html': html(w.lang, [`<p>${a.taken}</p>`]),
    'notice-taken.sms.text': a.takenSms,
    'notice-changed.email.subject': a.changedSubject,
    'notice-changed.email.text': `${a.changed}\n`,
    'notice-changed.email.html': html(w.lang, [`<p>${a.changed}</p>`]),
    'notice-changed.sms.text': a.changedSms,
  };
}

function html(lang: string, body: string[]): string {
  return ['<!doctype html>', `<html lang="${lang}">`, '<body style="font-family:sans-serif">', ...body, '</body>', '</html>', ''].join('\n');
}

function signInTemplates(w: Wording): Record<Prefixed<''>, string> {
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
  }, {
    verifySubject: "Your {{appName}} confirmation code: {{code}}",
    verifyCodeIs: "Your code to confirm this address for {{appName}} is",
    verifyExpires: "Enter it where you added this address. It expires in {{lifetimeMinutes}} minutes. If you did not ask for it, ignore this message.",
    verifySms: "{{code}} is your {{appName}} confirmation code. It expires in {{lifetimeMinutes}} minutes.",
    takenSubject: "Someone tried to add this address to a {{appName}} account",
    taken: "Someone tried to add this address to a {{appName}} account, but it already belongs to an account, so nothing was changed. If that was you, sign in with this address instead. Otherwise there is nothing to do.",
    takenSms: "Someone tried to add this number to a {{appName}} account. It already belongs to an account; nothing was changed.",
    changedSubject: "Your {{appName}} sign-in address was changed",
    changed: "This address was replaced or removed on your {{appName}} account and no longer signs in to it. If you did not make this change, contact support right away.",
    changedSms: "This number was replaced or removed on your {{appName}} account. If you did not do this, contact support.",
  }),
  de: templateSet({
    lang: 'de',
    subject: 'Ihr Anmeldecode für {{appName}}: {{code}}',
    codeIs: 'Ihr Anmeldecode für {{appName}} lautet',
    orOpenLink: 'Oder öffnen Sie diesen Link, um sich anzumelden:',
    linkLabel: 'Bei {{appName}} anmelden',
    expires: 'Der Code ist {{lifetimeMinutes}} Minuten lang gültig. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail einfach.',
    sms: '{{code}} ist Ihr Anmeldecode für {{appName}}. Er ist {{lifetimeMinutes}} Minuten lang gültig.',
  }, {
    verifySubject: "Ihr Bestätigungscode für {{appName}}: {{code}}",
    verifyCodeIs: "Ihr Code zur Bestätigung dieser Adresse für {{appName}} lautet",
    verifyExpires: "Geben Sie ihn dort ein, wo Sie diese Adresse hinzugefügt haben. Er ist {{lifetimeMinutes}} Minuten lang gültig. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht.",
    verifySms: "{{code}} ist Ihr Bestätigungscode für {{appName}}. Er ist {{lifetimeMinutes}} Minuten lang gültig.",
    takenSubject: "Jemand wollte diese Adresse einem {{appName}}-Konto hinzufügen",
    taken: "Jemand wollte diese Adresse einem {{appName}}-Konto hinzufügen. Sie gehört bereits zu einem Konto, daher wurde nichts geändert. Falls Sie das waren, melden Sie sich stattdessen mit dieser Adresse an. Andernfalls ist nichts zu tun.",
    takenSms: "Jemand wollte diese Nummer einem {{appName}}-Konto hinzufügen. Sie gehört bereits zu einem Konto; nichts wurde geändert.",
    changedSubject: "Die Anmeldeadresse Ihres {{appName}}-Kontos wurde geändert",
    changed: "Diese Adresse wurde in Ihrem {{appName}}-Konto ersetzt oder entfernt und meldet Sie dort nicht mehr an. Falls Sie das nicht waren, wenden Sie sich umgehend an den Support.",
    changedSms: "Diese Nummer wurde in Ihrem {{appName}}-Konto ersetzt oder entfernt. Falls Sie das nicht waren, wenden Sie sich an den Support.",
  }),
  fr: templateSet({
    lang: 'fr',
    subject: 'Votre code de connexion {{appName}} : {{code}}',
    codeIs: 'Votre code de connexion {{appName}} est',
    orOpenLink: 'Vous pouvez aussi ouvrir ce lien pour vous connecter :',
    linkLabel: 'Se connecter à {{appName}}',
    expires: "Il expire dans {{lifetimeMinutes}} minutes. Si vous ne l'avez pas demandé, ignorez simplement cet e-mail.",
    sms: '{{code}} est votre code de connexion {{appName}}. Il expire dans {{lifetimeMinutes}} minutes.',
  }, {
    verifySubject: "Votre code de confirmation {{appName}} : {{code}}",
    verifyCodeIs: "Votre code pour confirmer cette adresse sur {{appName}} est",
    verifyExpires: "Saisissez-le là où vous avez ajouté cette adresse. Il expire dans {{lifetimeMinutes}} minutes. Si vous ne l'avez pas demandé, ignorez ce message.",
    verifySms: "{{code}} est votre code de confirmation {{appName}}. Il expire dans {{lifetimeMinutes}} minutes.",
    takenSubject: "Quelqu'un a essayé d'ajouter cette adresse à un compte {{appName}}",
    taken: "Quelqu'un a essayé d'ajouter cette adresse à un compte {{appName}}, mais elle appartient déjà à un compte : rien n'a été modifié. Si c'était vous, connectez-vous plutôt avec cette adresse. Sinon, vous n'avez rien à faire.",
    takenSms: "Quelqu'un a essayé d'ajouter ce numéro à un compte {{appName}}. Il appartient déjà à un compte ; rien n'a été modifié.",
    changedSubject: "L’adresse de connexion de votre compte {{appName}} a été modifiée",
    changed: "Cette adresse a été remplacée ou retirée de votre compte {{appName}} et ne permet plus de vous y connecter. Si vous n'êtes pas à l'origine de ce changement, contactez le support sans attendre.",
    changedSms: "Ce numéro a été remplacé ou retiré de votre compte {{appName}}. Si ce n'était pas vous, contactez le support.",
  }),
  es: templateSet({
    lang: 'es',
    subject: 'Tu código de acceso a {{appName}}: {{code}}',
    codeIs: 'Tu código de acceso a {{appName}} es',
    orOpenLink: 'O abre este enlace para iniciar sesión:',
    linkLabel: 'Iniciar sesión en {{appName}}',
    expires: 'Caduca en {{lifetimeMinutes}} minutos. Si no lo has solicitado, ignora este correo.',
    sms: '{{code}} es tu código de acceso a {{appName}}. Caduca en {{lifetimeMinutes}} minutos.',
  }, {
    verifySubject: "Tu código de confirmación de {{appName}}: {{code}}",
    verifyCodeIs: "Tu código para confirmar esta dirección en {{appName}} es",
    verifyExpires: "Introdúcelo donde añadiste esta dirección. Caduca en {{lifetimeMinutes}} minutos. Si no lo has solicitado, ignora este mensaje.",
    verifySms: "{{code}} es tu código de confirmación de {{appName}}. Caduca en {{lifetimeMinutes}} minutos.",
    takenSubject: "Alguien intentó añadir esta dirección a una cuenta de {{appName}}",
    taken: "Alguien intentó añadir esta dirección a una cuenta de {{appName}}, pero ya pertenece a una cuenta, así que no se ha cambiado nada. Si fuiste tú, inicia sesión con esta dirección. Si no, no tienes que hacer nada.",
    takenSms: "Alguien intentó añadir este número a una cuenta de {{appName}}. Ya pertenece a una cuenta; no se ha cambiado nada.",
    changedSubject: "Se cambió la dirección de acceso de tu cuenta de {{appName}}",
    changed: "Esta dirección se ha sustituido o eliminado de tu cuenta de {{appName}} y ya no sirve para iniciar sesión en ella. Si no hiciste este cambio, contacta con soporte de inmediato.",
    changedSms: "Este número se ha sustituido o eliminado de tu cuenta de {{appName}}. Si no fuiste tú, contacta con soporte.",
  }),
  pt: templateSet({
    lang: 'pt',
    subject: 'Seu código de acesso ao {{appName}}: {{code}}',
    codeIs: 'Seu código de acesso ao {{appName}} é',
    orOpenLink: 'Ou abra este link para entrar:',
    linkLabel: 'Entrar no {{appName}}',
    expires: 'Ele expira em {{lifetimeMinutes}} minutos. Se você não pediu este código, ignore este e-mail.',
    sms: '{{code}} é seu código de acesso ao {{appName}}. Expira em {{lifetimeMinutes}} minutos.',
  }, {
    verifySubject: "Seu código de confirmação do {{appName}}: {{code}}",
    verifyCodeIs: "Seu código para confirmar este endereço no {{appName}} é",
    verifyExpires: "Digite-o onde você adicionou este endereço. Ele expira em {{lifetimeMinutes}} minutos. Se você não pediu este código, ignore esta mensagem.",
    verifySms: "{{code}} é seu código de confirmação do {{appName}}. Expira em {{lifetimeMinutes}} minutos.",
    takenSubject: "Alguém tentou adicionar este endereço a uma conta do {{appName}}",
    taken: "Alguém tentou adicionar este endereço a uma conta do {{appName}}, mas ele já pertence a uma conta, então nada foi alterado. Se foi você, entre com este endereço. Caso contrário, não é preciso fazer nada.",
    takenSms: "Alguém tentou adicionar este número a uma conta do {{appName}}. Ele já pertence a uma conta; nada foi alterado.",
    changedSubject: "O endereço de acesso da sua conta do {{appName}} foi alterado",
    changed: "Este endereço foi substituído ou removido da sua conta do {{appName}} e não serve mais para entrar nela. Se você não fez esta alteração, fale com o suporte imediatamente.",
    changedSms: "Este número foi substituído ou removido da sua conta do {{appName}}. Se não foi você, fale com o suporte.",
  }),
};
