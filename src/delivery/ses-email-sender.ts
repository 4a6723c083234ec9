import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { EmailMessage, MessageSender } from './message-sender.ts';

/**
 * Email through Amazon SES v2 `SendEmail`. Region, credentials and endpoint come from the
 * SDK's standard chain (AWS_REGION, AWS_ENDPOINT_URL_SESV2, ...).
 */
export function createSesEmailSender(options: { from: string; configurationSet?: string | undefined; client?: SESv2Client }): MessageSender<EmailMessage> & { region(): Promise<string>; close(): void } {
  // One attempt per send: the outbox dispatcher owns retries, with backoff until the code expires.
  const client = options.client ?? new SESv2Client({ maxAttempts: 1 });
  return {
    provider: 'ses',
    async send(message, sendOptions) {
      const output = await client.send(
        new SendEmailCommand({
          FromEmailAddress: options.from,
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
    region: () => client.config.region(),
    close: () => client.destroy(),
  };
}
