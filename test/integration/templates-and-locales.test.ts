// Messages come from templates in the requester's language: the body's "locale", else
// Accept-Language (q-values, primary subtags), else DEFAULT_LOCALE. HTML escapes every value
// (S16), the identifier is never echoed, TEMPLATES_DIR overrides any file and is checked at
// start, and SMS_ORIGIN adds the WebOTP line.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { codeIn, eventually, startTestApp, testEnv, useLocalAws, type TestApp } from '../helpers/app.ts';
import { startSesLocal, type ReceivedEmail, type SesLocal } from '../helpers/ses-local.ts';
import { startSnsFake, type SnsFake } from '../helpers/sns-fake.ts';

const LOGIN_URL = 'https://app.sesame.test/login?token={token}';

// Words that only the right language's built-in templates contain.
const WORDING: Record<string, { subject: string; text: string; html: string; sms: string }> = {
  en: { subject: 'sign-in code', text: 'Or open this link to sign in:', html: 'Sign in to Sesame', sms: 'is your Sesame sign-in code' },
  de: { subject: 'Ihr Anmeldecode für Sesame', text: 'Oder öffnen Sie diesen Link', html: 'Bei Sesame anmelden', sms: 'ist Ihr Anmeldecode für Sesame' },
  fr: { subject: 'Votre code de connexion Sesame', text: 'Vous pouvez aussi ouvrir ce lien', html: 'Se connecter à Sesame', sms: 'est votre code de connexion Sesame' },
  es: { subject: 'Tu código de acceso a Sesame', text: 'O abre este enlace para iniciar sesión', html: 'Iniciar sesión en Sesame', sms: 'es tu código de acceso a Sesame' },
  pt: { subject: 'Seu código de acesso ao Sesame', text: 'Ou abra este link para entrar', html: 'Entrar no Sesame', sms: 'é seu código de acesso ao Sesame' },
};

describe('templates and languages', () => {
  let db: TestDatabase;
  let ses: SesLocal;
  let sns: SnsFake;
  const running: TestApp[] = [];
  const dirs: string[] = [];
  let userCount = 0;

  before(async () => {
    ses = await startSesLocal();
    sns = await startSnsFake();
    useLocalAws({ ses: ses.url, sns: sns.url });
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const app of running.splice(0)) await app.close();
  });
  after(async () => {
    await ses.close();
    await sns.close();
    await db.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    const app = await startTestApp({ db, env: { PASSWORDLESS_EMAIL_LOGIN_URL: LOGIN_URL, TOKEN_REQUEST_THROTTLE_SECONDS: '0', ...env } });
    running.push(app);
    return app;
  }

  async function newEmail(): Promise<string> {
    const email = `lang-${++userCount}@example.com`;
    await db.pool.query('INSERT INTO users (email) VALUES ($1)', [email]);
    return email;
  }

  async function newPhone(): Promise<string> {
    const phone = `+4915112340${String(++userCount).padStart(3, '0')}`;
    await db.pool.query('INSERT INTO users (phone_number) VALUES ($1)', [phone]);
    return phone;
  }

  async function emailFor(app: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<ReceivedEmail> {
    const email = body.email as string;
    const response = await app.post('/passwordless/request/email', body, headers);
    assert.equal(response.status, 202);
    return eventually(async () => (await ses.emails(email))[0]);
  }

  async function smsFor(app: TestApp, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
    const phone = body.phone_number as string;
    const response = await app.post('/passwordless/request/mobile', body, headers);
    assert.equal(response.status, 202);
    return eventually(() => sns.messages.find((message) => message.phoneNumber === phone)?.message);
  }

  /** The language a delivered email is in, by its built-in wording. */
  function languageOf(mail: ReceivedEmail): string | undefined {
    return Object.keys(WORDING).find((locale) => mail.subject.includes(WORDING[locale]!.subject));
  }

  it('renders the email (subject, text, HTML) and the SMS in each built-in language, with the code and the link', async () => {
    const app = await start();
    for (const locale of Object.keys(WORDING)) {
      const wording = WORDING[locale]!;
      const email = await newEmail();
      const mail = await emailFor(app, { email, locale });
      const text = mail.body.text ?? '';
      const html = mail.body.html ?? '';
      const code = codeIn(text);
      assert.ok(mail.subject.includes(wording.subject) && mail.subject.includes(code), `${locale} subject`);
      assert.ok(text.includes(wording.text), `${locale} text`);
      assert.ok(text.includes('https://app.sesame.test/login?token='), `${locale} text link`);
      assert.match(text, /10 minut/i, `${locale} lifetime`);
      assert.ok(html.includes(wording.html) && html.includes(code), `${locale} html`);
      assert.ok(html.includes(`<html lang="${locale}">`));
      assert.ok(![mail.subject, text, html].some((part) => part.includes(email)), 'the identifier is never echoed (S16)');

      const phone = await newPhone();
      const sms = await smsFor(app, { phone_number: phone, locale });
      assert.ok(sms.includes(wording.sms), `${locale} sms`);
      assert.match(sms, /^\d{6} /);
      assert.ok(!sms.includes(phone.slice(1)), 'the number is never echoed');
    }
  });

  it('takes the language from Accept-Language by q-value and primary subtag when the body names none', async () => {
    const app = await start();
    const cases: Array<[string, string]> = [
      ['fr-CA, en;q=0.8', 'fr'],
      ['it;q=1, de-CH;q=0.9, en;q=0.8', 'de'],
      ['en;q=0.2, es;q=0.7, *;q=0.9', 'es'],
      ['pt-BR', 'pt'],
      ['de;q=0, fr;q=0.1', 'fr'],
      ['xx, yy;q=0.5', 'en'],
      ['garbage;;;q=abc, de;q=2, es;q=0.5', 'es'],
    ];
    for (const [header, expected] of cases) {
      const mail = await emailFor(app, { email: await newEmail() }, { 'accept-language': header });
      assert.equal(languageOf(mail), expected, header);
    }
    // The body's locale wins over the header.
    const mail = await emailFor(app, { email: await newEmail(), locale: 'pt' }, { 'accept-language': 'de' });
    assert.equal(languageOf(mail), 'pt');
    const sms = await smsFor(app, { phone_number: await newPhone() }, { 'accept-language': 'es-MX,es;q=0.9' });
    assert.ok(sms.includes(WORDING.es!.sms));
  });

  it('falls back to DEFAULT_LOCALE for a language it does not have, and refuses a malformed locale with invalid_locale', async () => {
    const app = await start({ DEFAULT_LOCALE: 'es' });
    assert.equal(languageOf(await emailFor(app, { email: await newEmail(), locale: 'it' })), 'es');
    assert.equal(languageOf(await emailFor(app, { email: await newEmail() })), 'es');
    assert.equal(languageOf(await emailFor(app, { email: await newEmail(), locale: 'DE-at' })), 'de');

    const { rows: [before] } = await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs');
    for (const locale of ['en_US', '<script>', 'x'.repeat(40), '', 42]) {
      const response = await app.post('/passwordless/request/email', { email: 'lang-bad@example.com', locale });
      assert.equal(response.status, 400, String(locale));
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_locale');
    }
    const { rows: [afterwards] } = await db.pool.query('SELECT count(*)::int AS n FROM delivery_jobs');
    assert.deepEqual(afterwards, before);
  });

  it('escapes hostile values in the HTML part and keeps them literal in the text parts (S16)', async () => {
    const appName = `<script>alert("x")</script> & 'Co'`;
    const app = await start({
      APP_NAME: appName,
      PASSWORDLESS_EMAIL_LOGIN_URL: 'https://app.sesame.test/"><script>alert(1)</script>?token={token}',
    });
    const email = await newEmail();
    const mail = await emailFor(app, { email });
    const html = mail.body.html ?? '';
    const text = mail.body.text ?? '';
    assert.ok(!html.includes('<script>'), 'no markup from a substituted value');
    assert.ok(!html.includes('"><'), 'the link cannot close its attribute');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt; &amp; &#39;Co&#39;'));
    assert.ok(html.includes('href="https:&#x2F;&#x2F;app.sesame.test&#x2F;&quot;&gt;&lt;script&gt;'));
    // Plain text is not HTML: the values appear as they are, not as entities.
    assert.ok(text.includes(appName));
    assert.ok(mail.subject.includes(appName));
    assert.ok(![mail.subject, text, html].some((part) => part.includes(email)));
  });

  it('uses operator templates from TEMPLATES_DIR: one file of a built-in language, or a whole new language', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sesame-templates-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'de'));
    writeFileSync(join(dir, 'de', 'email.subject.mustache'), 'Anmeldung bei {{appName}}: {{code}}');
    mkdirSync(join(dir, 'it'));
    writeFileSync(join(dir, 'it', 'email.subject.mustache'), 'Il tuo codice {{appName}}: {{code}}');
    writeFileSync(join(dir, 'it', 'email.text.mustache'), 'Il tuo codice è {{code}}{{#link}}\n{{link}}{{/link}}\nScade tra {{lifetimeMinutes}} minuti.');
    writeFileSync(join(dir, 'it', 'email.html.mustache'), '<p>Il tuo codice {{appName}} è <b>{{code}}</b></p>{{#link}}<a href="{{link}}">Accedi</a>{{/link}}');
    writeFileSync(join(dir, 'it', 'sms.text.mustache'), '{{code}} è il tuo codice {{appName}}.');
    const app = await start({ TEMPLATES_DIR: dir });

    const german = await emailFor(app, { email: await newEmail(), locale: 'de' });
    const code = codeIn(german.body.text ?? '');
    assert.equal(german.subject, `Anmeldung bei Sesame: ${code}`);
    assert.ok(german.body.text?.includes(WORDING.de!.text), 'the other German files stay built in');

    const italian = await emailFor(app, { email: await newEmail() }, { 'accept-language': 'it-IT, en;q=0.5' });
    const italianCode = codeIn(italian.body.text ?? '');
    assert.equal(italian.subject, `Il tuo codice Sesame: ${italianCode}`);
    assert.ok(italian.body.text?.startsWith(`Il tuo codice è ${italianCode}\nhttps://app.sesame.test/login?token=`));
    assert.ok(italian.body.text?.endsWith('Scade tra 10 minuti.'));
    assert.ok(italian.body.html?.includes(`<b>${italianCode}</b>`));
    const sms = await smsFor(app, { phone_number: await newPhone(), locale: 'it' });
    assert.match(sms, /^\d{6} è il tuo codice Sesame\.$/);
  });

  it('refuses to start when a template does not parse, a file name is unknown, a new language is incomplete or DEFAULT_LOCALE has no templates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sesame-templates-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'fr'));
    writeFileSync(join(dir, 'fr', 'email.html.mustache'), '<p>{{#link}}<a href="{{link}}">lien</a></p>');
    writeFileSync(join(dir, 'fr', 'email.htm.mustache'), 'typo');
    mkdirSync(join(dir, 'nl'));
    writeFileSync(join(dir, 'nl', 'sms.text.mustache'), '{{code}} is je code.');
    const config = loadConfig(testEnv(db, { TEMPLATES_DIR: dir, DEFAULT_LOCALE: 'sv', MIGRATE_ON_START: 'false' }));
    await assert.rejects(buildApp(config), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const problems = error.problems.join('\n');
      assert.match(problems, /TEMPLATES_DIR: fr\/email\.html\.mustache does not parse: Unclosed section "link"/);
      assert.match(problems, /TEMPLATES_DIR: fr\/email\.htm\.mustache is not a template name/);
      assert.match(problems, /TEMPLATES_DIR: nl\/ adds a language, so it needs every template; missing email\.subject\.mustache, email\.text\.mustache, email\.html\.mustache/);
      assert.match(problems, /DEFAULT_LOCALE: no templates for "sv"/);
      return true;
    });
    assert.throws(() => loadConfig(testEnv(db, { SMS_ORIGIN: 'https://auth.example.com/' })), /SMS_ORIGIN: must be a host/);
    assert.throws(() => loadConfig(testEnv(db, { DEFAULT_LOCALE: 'en_US' })), /DEFAULT_LOCALE: "en_us" is not a language tag/);
  });

  it('ends SMS texts with the WebOTP line when SMS_ORIGIN is set', async () => {
    const app = await start({ SMS_ORIGIN: 'Auth.Example.com' });
    const sms = await smsFor(app, { phone_number: await newPhone(), locale: 'fr' });
    const code = codeIn(sms);
    const lines = sms.split('\n');
    assert.equal(lines.at(-1), `@auth.example.com #${code}`);
    assert.equal(lines.at(-2), '');
    assert.ok(lines[0]!.includes(WORDING.fr!.sms));

    const plain = await start();
    const without = await smsFor(plain, { phone_number: await newPhone() });
    assert.ok(!without.includes('@'), 'no origin line unless configured');
  });
});
