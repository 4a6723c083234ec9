import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_TEMPLATES, MESSAGE_TEMPLATES, TEMPLATE_NAMES } from '../../src/delivery/builtin-templates.ts';
import { ConfigError } from '../../src/config/index.ts';
import { loadMessageTemplates } from '../../src/delivery/message-templates.ts';
import { createMessageRenderer } from '../../src/delivery/messages.ts';

const templates = loadMessageTemplates({ dir: undefined, defaultLocale: 'en' });

describe('message templates', () => {
  it('has the five built-in languages, each with every part', () => {
    assert.deepEqual([...templates.locales].sort(), ['de', 'en', 'es', 'fr', 'pt']);
    for (const set of Object.values(BUILTIN_TEMPLATES)) assert.deepEqual(Object.keys(set).sort(), [...TEMPLATE_NAMES].sort());
    assert.deepEqual(MESSAGE_TEMPLATES.sign_in, ['email.subject', 'email.text', 'email.html', 'sms.text']);
    assert.deepEqual(MESSAGE_TEMPLATES.verify, ['verify.email.subject', 'verify.email.text', 'verify.email.html', 'verify.sms.text']);
  });

  it('renders the account messages in every language: the verification code with its code, the notices without one', () => {
    const renderer = createMessageRenderer({ templates, appName: 'Sesame', smsOrigin: 'auth.example.com' });
    const seen = new Set<string>();
    for (const locale of templates.locales) {
      const verify = renderer.render({ kind: 'verify', channel: 'email', to: 'jane@example.com', code: '424242', locale }, 10);
      if (verify.channel !== 'email') throw new Error('expected email');
      assert.ok(verify.subject.includes('424242') && verify.text.includes('424242') && verify.html.includes('424242'), locale);
      assert.ok(verify.text.includes('10') && !verify.text.includes('http'), locale);
      assert.notEqual(verify.subject, (renderer.render({ channel: 'email', to: 'jane@example.com', code: '424242', locale }, 10) as { subject: string }).subject, locale);
      const verifySms = renderer.render({ kind: 'verify', channel: 'mobile', to: '+15555550100', code: '424242', locale }, 10);
      assert.ok(verifySms.text.startsWith('424242 ') && verifySms.text.endsWith('@auth.example.com #424242'), locale);
      for (const kind of ['notice_taken', 'notice_changed'] as const) {
        const email = renderer.render({ kind, channel: 'email', to: 'jane@example.com', code: '', locale }, 10);
        if (email.channel !== 'email') throw new Error('expected email');
        assert.ok(email.subject.includes('Sesame') && email.text.includes('Sesame') && email.html.includes(`lang="${locale}"`), `${kind} ${locale}`);
        const sms = renderer.render({ kind, channel: 'mobile', to: '+15555550100', code: '', locale }, 10);
        assert.ok(!sms.text.includes('#') && !sms.text.includes('@auth'), 'a notice has no WebOTP line');
        seen.add(email.subject);
      }
    }
    assert.equal(seen.size, templates.locales.length * 2, 'each language has its own wording');
  });

  it('lets a new language bring a whole account message or none of it (then DEFAULT_LOCALE is used)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sesame-templates-'));
    mkdirSync(join(dir, 'it'));
    for (const name of MESSAGE_TEMPLATES.sign_in) writeFileSync(join(dir, 'it', `${name}.mustache`), '{{code}} it');
    for (const name of MESSAGE_TEMPLATES.verify) writeFileSync(join(dir, 'it', `${name}.mustache`), '{{code}} verifica');
    const loaded = loadMessageTemplates({ dir, defaultLocale: 'en' });
    const renderer = createMessageRenderer({ templates: loaded, appName: 'Sesame', smsOrigin: undefined });
    assert.equal(renderer.render({ kind: 'verify', channel: 'mobile', to: '+15555550100', code: '1', locale: 'it' }, 10).text, '1 verifica');
    const notice = renderer.render({ kind: 'notice_changed', channel: 'mobile', to: '+15555550100', code: '', locale: 'it' }, 10);
    assert.equal(notice.text, loaded.render('en', 'notice-changed.sms.text', { appName: 'Sesame', code: '', lifetimeMinutes: 10 }));

    writeFileSync(join(dir, 'it', 'notice-taken.sms.text.mustache'), 'solo uno');
    assert.throws(() => loadMessageTemplates({ dir, defaultLocale: 'en' }), (error: unknown) =>
      error instanceof ConfigError && error.problems.some((problem) => /it\/ brings part of the notice_taken message; add notice-taken\.email\.subject\.mustache/.test(problem)));
  });

  it('renders every part of every language with the code, and the link only when there is one', () => {
    const renderer = createMessageRenderer({ templates, appName: 'Sesame', smsOrigin: undefined });
    for (const locale of templates.locales) {
      const withLink = renderer.render({ channel: 'email', to: 'jane@example.com', code: '424242', link: 'https://app.test/l?t=abc', locale }, 10);
      assert.equal(withLink.channel, 'email');
      if (withLink.channel !== 'email') continue;
      assert.ok(withLink.subject.includes('424242') && !withLink.subject.includes('\n'), locale);
      assert.ok(withLink.text.includes('424242') && withLink.text.includes('https://app.test/l?t=abc'), locale);
      assert.ok(withLink.html.includes('424242') && withLink.html.includes('href="https:&#x2F;&#x2F;app.test&#x2F;l?t&#x3D;abc"'), locale);
      const withoutLink = renderer.render({ channel: 'email', to: 'jane@example.com', code: '424242', locale }, 10);
      if (withoutLink.channel !== 'email') continue;
      assert.ok(!withoutLink.text.includes('http') && !withoutLink.html.includes('href'), locale);
      assert.ok(!/\n\n\n/.test(withoutLink.text), 'no hole where the link was');
      const sms = renderer.render({ channel: 'mobile', to: '+15555550100', code: '424242', locale }, 10);
      assert.ok(sms.text.startsWith('424242 ') && sms.text.includes('10'), locale);
    }
  });

  it('escapes substituted values in HTML only (S16)', () => {
    const renderer = createMessageRenderer({ templates, appName: `<b>"Evil" & 'Co'</b>`, smsOrigin: undefined });
    const message = renderer.render({ channel: 'email', to: 'a@b.c', code: '111111', link: 'https://x.test/"><script>', locale: 'en' }, 5);
    if (message.channel !== 'email') throw new Error('expected email');
    assert.ok(!message.html.includes('<b>') && !message.html.includes('<script>'));
    assert.ok(message.html.includes('&lt;b&gt;&quot;Evil&quot; &amp; &#39;Co&#39;&lt;&#x2F;b&gt;'));
    assert.ok(message.text.includes(`<b>"Evil" & 'Co'</b>`));
    assert.ok(message.subject.includes(`<b>"Evil" & 'Co'</b>`));
  });

  it('falls back to the default language for one it does not have, and appends the WebOTP line', () => {
    const renderer = createMessageRenderer({ templates, appName: 'Sesame', smsOrigin: 'auth.example.com' });
    const sms = renderer.render({ channel: 'mobile', to: '+15555550100', code: '987654', locale: 'xx' }, 10);
    assert.equal(sms.text, '987654 is your Sesame sign-in code. It expires in 10 minutes.\n\n@auth.example.com #987654');
  });
});
