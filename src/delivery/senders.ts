import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { createConsoleSender } from './console-sender.ts';
import type { EmailMessage, MessageSender, SmsMessage } from './message-sender.ts';
import { createWebhookSigner } from '../lib/standard-webhooks.ts';
import { createOutboundHttp } from './outbound-http.ts';
import { createSendHookSenders } from './send-hook-sender.ts';
import { traceSender } from '../telemetry.ts';

export interface Senders {
  email: MessageSender<EmailMessage>;
  sms: MessageSender<SmsMessage>;
  /** Fails at start rather than at the first send when an AWS provider has no region. */
  check(): Promise<void>;
  close(): void;
}

/**
 * Loads a provider's module, and with it its SDK, only when the configuration names it: the
 * AWS clients and nodemailer are megabytes of heap and compiled code that a deployment on
 * another provider never uses. A module that cannot be loaded stops the start, naming the setting.
 */
async function provider<T>(setting: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new Error(`${setting}: the provider's module could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Picks the email and SMS providers named in the configuration, loading only their modules. */
export async function createSenders(config: Config): Promise<Senders> {
  const consoleSender = createConsoleSender();
  const sendHook = config.emailProvider === 'http' || config.smsProvider === 'http'
    ? createSendHookSenders({
      url: config.sendHookUrl!,
      signer: createWebhookSigner(config.sendHookSecret!),
      http: createOutboundHttp({ allowPrivateNetworks: config.webhookAllowPrivateNetworks }),
      timeoutMs: config.deliverySendTimeoutMs,
      defaultFrom: config.emailFrom,
    })
    : undefined;
  // A span per provider call when traces are on (the senders themselves otherwise).
  const email = traceSender(await createEmailSender(config, { console: consoleSender.email, sendHook: sendHook?.email }), 'email');
  const sms = traceSender(await createSmsSender(config, { console: consoleSender.sms, sendHook: sendHook?.sms }), 'sms');
  return {
    email,
    sms,
    async check() {
      for (const sender of [email, sms]) {
        if (!('region' in sender) || typeof sender.region !== 'function') continue;
        const region = await sender.region().catch(() => undefined);
        if (!region) throw new Error(`${sender.provider}: no AWS region is configured (set AWS_REGION)`);
      }
    },
    close() {
      for (const sender of [email, sms]) if ('close' in sender && typeof sender.close === 'function') sender.close();
    },
  };
}

async function createEmailSender(
  config: Config,
  built: { console: MessageSender<EmailMessage>; sendHook: MessageSender<EmailMessage> | undefined },
): Promise<MessageSender<EmailMessage>> {
  switch (config.emailProvider) {
    case 'ses': {
      const { createSesEmailSender } = await provider('EMAIL_PROVIDER=ses', () => import('./ses-email-sender.ts'));
      return createSesEmailSender({ from: config.emailFrom!, configurationSet: config.sesConfigurationSet });
    }
    case 'smtp': {
      const { createSmtpEmailSender } = await provider('EMAIL_PROVIDER=smtp', () => import('./smtp-email-sender.ts'));
      return createSmtpEmailSender({
        from: config.emailFrom!,
        server: config.smtp!,
        allowInsecure: config.smtpAllowInsecure,
        ca: config.smtpCaFile === undefined ? undefined : readFileSync(config.smtpCaFile, 'utf8'),
        maxConnections: config.smtpMaxConnections,
        timeoutMs: config.deliverySendTimeoutMs,
      });
    }
    case 'http':
      return built.sendHook!;
    case 'console':
      return built.console;
  }
}

async function createSmsSender(
  config: Config,
  built: { console: MessageSender<SmsMessage>; sendHook: MessageSender<SmsMessage> | undefined },
): Promise<MessageSender<SmsMessage>> {
  switch (config.smsProvider) {
    case 'sns': {
      const { createSnsSmsSender } = await provider('SMS_PROVIDER=sns', () => import('./sns-sms-sender.ts'));
      return createSnsSmsSender({ senderId: config.smsSenderId });
    }
    case 'http':
      return built.sendHook!;
    case 'console':
      return built.console;
  }
}
