/**
 * An application instrumented with OpenTelemetry sends its logs to the collector without
 * Footprint's SDK: the real OpenTelemetry JS logs SDK and its OTLP/HTTP (JSON) exporter,
 * pointed at POST /v1/logs with the write key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { eventsWhere, marker, startCollector, WRITE_KEY } from './support/harness.js';

describe('OpenTelemetry logs SDK → POST /v1/logs', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.dispose();
  });

  it('stores what the OTLP/HTTP exporter sends, with level, body, attributes, resource, scope and trace context', async () => {
    const m = marker();
    const exporter = new OTLPLogExporter({ url: `${collector.url}/v1/logs`, headers: { Authorization: `Bearer ${WRITE_KEY}` } });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'billing', 'deployment.environment': 'test' }),
      processors: [new BatchLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('billing-logger', '2.0.0');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
    logger.emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'card declined',
      attributes: { marker: m, 'order.id': 42 },
      context,
    });
    logger.emit({ severityNumber: SeverityNumber.INFO, body: 'invoice sent', attributes: { marker: m, 'user.id': 'u_6' } });
    await provider.forceFlush();
    await provider.shutdown();

    const events = await eventsWhere(collector.url, (e) => e.properties?.marker === m, 2);
    const declined = events.find((e) => e.message === 'card declined');
    assert.equal(declined.level, 'warn');
    assert.equal(declined.properties['order.id'], 42);
    assert.equal(declined.trace_id, traceId);
    assert.equal(declined.span_id, spanId);
    assert.equal(declined.library_name, 'billing-logger');
    assert.equal(declined.context.resource['service.name'], 'billing');
    const sent = events.find((e) => e.message === 'invoice sent');
    assert.equal(sent.level, 'info');
    assert.equal(sent.user_id, 'u_6');
  });
});
