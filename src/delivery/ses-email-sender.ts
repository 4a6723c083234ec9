import { SESv2Client, SendBulkEmailCommand, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { BulkEmailSender } from './message-sender.ts';

/** SES v2 takes at most 50 destinations per SendBulkEmail call. */
const SES_MAX_BULK_ENTRIES = 50;

// Per-entry statuses worth another try: SES was busy or the account is briefly over its rate.
// Everything else (MESSAGE_REJECTED, MAIL_FROM_DOMAIN_NOT_VERIFIED, INVALID_PARAMETER, FAILED,
// ...) will not improve by asking again.
const TRANSIENT_BULK_STATUSES = new Set(['TRANSIENT_FAILURE', 'ACCOUNT_THROTTLED', 'ACCOUNT_DAILY_QUOTA_EXCEEDED']);

/**
 * Email through Amazon SES v2: `SendEmail` for one message, `SendBulkEmail` for up to 50 codes
 * of one template. Region, credentials and endpoint come from the SDK's standard chain
 * (AWS_REGION, AWS_ENDPOINT_URL_SESV2, ...). Connections are kept alive, and up to
 * `maxSockets` calls run at once (the SDK's default is 50).
 */
export function createSesEmailSender(options: { from: string; configurationSet?: string | undefined; client?: SESv2Client; maxSockets?: number }): BulkEmailSender & { region(): Promise<string>; close(): void } {
  const maxSockets = options.maxSockets ?? 128;
  // One attempt per send: the outbox dispatcher owns retries, with backoff until the code expires.
  const client = options.client ?? new SESv2Client({
    maxAttempts: 1,
    requestHandler: { httpAgent: { keepAlive: true, maxSockets }, httpsAgent: { keepAlive: true, maxSockets } },
  });
  return {
    provider: 'ses',
    maxBulkEntries: SES_MAX_BULK_ENTRIES,
    async send(message, sendOptions) {
      const output = await client.send(
        new SendEmailCommand({
          FromEmailAddress: message.from ?? options.from,
          Destination: { ToAddresses: [message.to] },
          ConfigurationSetName: options.configurationSet,
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: message.text, Charset: 'UTF-8' },
                Html: { Data: message.html, Charset: 'UTF-8' },
              },
            },
          },
        }),
        { abortSignal: sendOptions?.signal },
      );
      return { messageId: output.MessageId };
    },
    async sendBulk(email, sendOptions) {
      const output = await client.send(
        new SendBulkEmailCommand({
          FromEmailAddress: email.from ?? options.from,
          ConfigurationSetName: options.configurationSet,
          DefaultContent: {
            Template: {
              TemplateContent: { Subject: email.template.subject, Text: email.template.text, Html: email.template.html },
              TemplateData: '{}',
            },
          },
          BulkEmailEntries: email.entries.map((entry) => ({
            Destination: { ToAddresses: [entry.to] },
            ReplacementEmailContent: { ReplacementTemplate: { ReplacementTemplateData: JSON.stringify(entry.values) } },
          })),
        }),
        { abortSignal: sendOptions?.signal },
      );
      const results = output.BulkEmailEntryResults ?? [];
      return email.entries.map((_, index) => {
        const result = results[index];
        if (result?.Status === 'SUCCESS') return { ok: true, messageId: result.MessageId };
        const name = result?.Status ?? 'MissingBulkResult';
        return { ok: false, error: { name, transient: TRANSIENT_BULK_STATUSES.has(name) || result === undefined } };
      });
    },
    region: () => client.config.region(),
    close: () => client.destroy(),
  };
}
