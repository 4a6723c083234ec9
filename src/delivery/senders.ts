import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { createConsoleSender } from './console-sender.ts';
import type { EmailMessage, MessageSender, SmsMessage } from './message-sender.ts';
import { createSesEmailSender } from './ses-email-sender.ts';
import { createWebhookSigner } from '../lib/standard-webhooks.ts';
import { createOutboundHttp } from './outbound-http.ts';
import { createSendHookSenders } from './send-hook-sender.ts';
import { createSmtpEmailSender } from './smtp-email-sender.ts';
import { createSnsSmsSender } from './sns-sms-sender.ts';
import { traceSender } from '../telemetry.ts';

export interface Senders {
  email: MessageSender<EmailMessage>;
  sms: MessageSender<SmsMessage>;
  /** Fails at start rather than at the first send when an AWS provider has no region. */
  check(): Promise<void>;
  close(): void;
}

/** Picks the email and SMS providers named in the configuration. */
export function createSenders(config: Config): Senders {
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
  const email = traceSender(createEmailSender(config, { console: consoleSender.email, sendHook: sendHook?.email }), 'email');
  const sms = traceSender(config.smsProvider === 'http'
    ? sendHook!.sms
    : config.smsProvider === 'sns' ? createSnsSmsSender({ senderId: config.smsSenderId }) : consoleSender.sms, 'sms');
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

function createEmailSender(
  config: Config,
  built: { console: MessageSender<EmailMessage>; sendHook: MessageSender<EmailMessage> | undefined },
): MessageSender<EmailMessage> {
  switch (config.emailProvider) {
    case 'ses':
      return createSesEmailSender({ from: config.emailFrom!, configurationSet: config.sesConfigurationSet });
    case 'smtp':
      return createSmtpEmailSender({
        from: config.emailFrom!,
        server: config.smtp!,
        allowInsecure: config.smtpAllowInsecure,
        ca: config.smtpCaFile === undefined ? undefined : readFileSync(config.smtpCaFile, 'utf8'),
        maxConnections: config.smtpMaxConnections,
        timeoutMs: config.deliverySendTimeoutMs,
      });
    case 'http':
      return built.sendHook!;
    case 'console':
      return built.console;
  }
}
