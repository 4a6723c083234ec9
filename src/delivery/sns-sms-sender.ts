import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { MessageSender, SmsMessage } from './message-sender.ts';

/**
 * SMS through Amazon SNS `Publish` to a phone number, marked transactional so carriers
 * prioritise it. Region, credentials and endpoint come from the SDK's standard chain
 * (AWS_REGION, AWS_ENDPOINT_URL_SNS, ...).
 */
export function createSnsSmsSender(options: { senderId?: string | undefined; client?: SNSClient }): MessageSender<SmsMessage> & { region(): Promise<string>; close(): void } {
  // One attempt per send: the outbox dispatcher owns retries, with backoff until the code expires.
  const client = options.client ?? new SNSClient({ maxAttempts: 1 });
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
  };
  if (options.senderId) attributes['AWS.SNS.SMS.SenderID'] = { DataType: 'String', StringValue: options.senderId };
  return {
    provider: 'sns',
    async send(message, sendOptions) {
      const output = await client.send(
        new PublishCommand({ PhoneNumber: message.to, Message: message.text, MessageAttributes: attributes }),
        { abortSignal: sendOptions?.signal },
      );
      return { messageId: output.MessageId };
    },
    region: () => client.config.region(),
    close: () => client.destroy(),
  };
}
