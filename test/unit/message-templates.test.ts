import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_TEMPLATES } from '../../src/delivery/builtin-templates.ts';
import { loadMessageTemplates } from '../../src/delivery/message-templates.ts';
import { createMessageRenderer } from '../../src/delivery/messages.ts';

const templates = loadMessageTemplates({ dir: undefined, defaultLocale: 'en' });

describe('message templates', () => {
  it('has the five built-in languages, each with every part', () => {
    assert.deepEqual([...templates.locales].sort(), ['de', 'en', 'es', 'fr', 'pt']);
    for (const set of Object.values(BUILTIN_TEMPLATES)) assert.deepEqual(Object.keys(set).sort(), ['email.html', 'email.subject', 'email.text', 'sms.text']);
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
