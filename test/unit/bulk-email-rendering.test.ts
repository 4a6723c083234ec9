// A bulk-sent email (SES SendBulkEmail: one template, per-destination values filled in by plain
// substitution) must be byte for byte the message a single send renders, in every built-in
// language, with hostile values escaped in the HTML part only (S16).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMessageTemplates } from '../../src/delivery/message-templates.ts';
import { createMessageRenderer } from '../../src/delivery/messages.ts';

const templates = loadMessageTemplates({ dir: undefined, defaultLocale: 'en' });

/** What SES does with an inline template: replace each {{name}} with the entry's value, unescaped. */
function substitute(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? '');
}

describe('bulk email rendering', () => {
  it('equals the single-send rendering for every language, with and without a link, hostile values included', () => {
    const renderer = createMessageRenderer({ templates, appName: `<b>"Sesame"</b> & 'Co'`, smsOrigin: undefined });
    for (const kind of ['sign_in', 'verify', 'notice_taken', 'notice_changed'] as const) for (const locale of templates.locales) {
      for (const link of [undefined, 'https://app.test/"><script>alert(1)</script>?token=a&b=<c>']) {
        const payload = { kind, channel: 'email' as const, to: 'a@example.com', code: 'AB12CD', link, locale };
        const single = renderer.render(payload, 15);
        const template = renderer.bulkTemplate({ kind, locale, lifetimeMinutes: 15, hasLink: link !== undefined });
        assert.ok(template, `a bulk template for ${kind} in ${locale}`);
        const values = renderer.bulkValues(payload);
        assert.equal(single.channel, 'email');
        if (single.channel !== 'email') continue;
        assert.equal(substitute(template.subject, values), single.subject);
        assert.equal(substitute(template.text, values), single.text);
        assert.equal(substitute(template.html, values), single.html);
        assert.ok(!substitute(template.html, values).includes('<script>'));
      }
    }
  });

  it('declines a template whose own text would read as a placeholder, so those messages go one by one', () => {
    const renderer = createMessageRenderer({ templates, appName: 'Sesame {{code}}', smsOrigin: undefined });
    assert.equal(renderer.bulkTemplate({ kind: 'sign_in', locale: 'en', lifetimeMinutes: 15, hasLink: false }), undefined);
  });
});
