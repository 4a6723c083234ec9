import { maskEmail, maskPhone } from '../lib/mask.ts';
import type { EmailMessage, MessageSender, SmsMessage } from './message-sender.ts';

/**
 * Development delivery: writes the message to standard output so a developer can copy the
 * code. It prints the code by design, which is why production refuses it (S36).
 */
export function createConsoleSender(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): {
  email: MessageSender<EmailMessage>;
  sms: MessageSender<SmsMessage>;
} {
  return {
    email: {
      provider: 'console',
      async send(message) {
        write(`[console email to ${maskEmail(message.to)}] ${message.subject}\n${message.text}`);
        return { messageId: undefined };
      },
    },
    sms: {
      provider: 'console',
      async send(message) {
        write(`[console sms to ${maskPhone(message.to)}] ${message.text}`);
        return { messageId: undefined };
      },
    },
  };
}
