/**
 * Optional OpenTelemetry traces: on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (an OTLP/HTTP
 * collector's base URL; spans go to <endpoint>/v1/traces). Off by default, and then no
 * OpenTelemetry module is loaded at all. Called once from loadConfig.
 */
import type { EnvReader } from './reader.ts';

export interface TelemetryConfig {
  /** The OTLP/HTTP endpoint; undefined: tracing is off. */
  otelEndpoint: string | undefined;
  /** service.name on every span. */
  otelServiceName: string;
}

export function parseTelemetry(read: EnvReader, problems: string[]): TelemetryConfig {
  const otelEndpoint = read.optional('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (otelEndpoint !== undefined) {
    let url: URL | undefined;
    try { url = new URL(otelEndpoint); } catch { /* reported below */ }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push('OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL (an OTLP/HTTP collector)');
    }
  }
  return { otelEndpoint, otelServiceName: read.string('OTEL_SERVICE_NAME', 'sesame') };
}
