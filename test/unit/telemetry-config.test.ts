// Optional OpenTelemetry traces: off by default (and then every helper is a no-op), on with an
// http(s) OTLP endpoint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import type { EmailMessage, MessageSender } from '../../src/delivery/message-sender.ts';
import { startTelemetry, telemetryEnabled, traceSender } from '../../src/telemetry.ts';

describe('telemetry settings', () => {
  it('defaults: off, service name sesame; an endpoint must be an http(s) URL', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    assert.equal(config.otelEndpoint, undefined);
    assert.equal(config.otelServiceName, 'sesame');
    const on = loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'auth' });
    assert.equal(on.otelEndpoint, 'http://127.0.0.1:4318');
    assert.equal(on.otelServiceName, 'auth');
    assert.throws(() => loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
    assert.throws(() => loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: 'file:///tmp/x' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });

  it('starts nothing without an endpoint, and hands the senders back unwrapped', async () => {
    await startTelemetry({ otelEndpoint: undefined, otelServiceName: 'sesame' });
    assert.equal(telemetryEnabled(), false);
    const sender: MessageSender<EmailMessage> = { provider: 'console', send: async () => ({ messageId: undefined }) };
    assert.equal(traceSender(sender, 'email'), sender);
  });
});
