import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Metrics } from '../../src/observability/metrics.js';

describe('Metrics', () => {
  test('exposes per-flow counters, the lag gauge and reload state in the Prometheus text format', async () => {
    const metrics = new Metrics();
    const flow = { replication: 'orders', origin: 'london', destination: 'frankfurt', topic: 'orders' };
    metrics.recordsMirrored.inc(flow, 3);
    metrics.offsetLag.set(flow, 42);
    metrics.lastReloadSuccessful.set(0);
    const { contentType, body } = await metrics.exposition();
    assert.match(contentType, /^text\/plain/);
    assert.match(
      body,
      /^georep_records_mirrored_total\{replication="orders",origin="london",destination="frankfurt",topic="orders"\} 3$/m,
    );
    assert.match(body, /^georep_flow_offset_lag_records\{.*topic="orders"\} 42$/m);
    assert.match(body, /^georep_config_last_reload_successful 0$/m);
  });

  test("removing a flow removes every series of it, and no other flow's", async () => {
    const metrics = new Metrics();
    const gone = { replication: 'orders', origin: 'london', destination: 'frankfurt', topic: 'gone' };
    const kept = { ...gone, topic: 'kept' };
    for (const flow of [gone, kept]) {
      metrics.recordsMirrored.inc(flow, 3);
      metrics.bytesMirrored.inc(flow, 30);
      metrics.transactionsCommitted.inc(flow);
      metrics.destinationBytesWritten.inc(flow, 40);
      metrics.destinationBatchesWritten.inc({ ...flow, path: 'forwarded' });
      metrics.destinationBatchesWritten.inc({ ...flow, path: 'encoded' });
      metrics.offsetLag.set(flow, 42);
      metrics.topicConfigSyncs.inc({ ...flow, result: 'applied' });
      metrics.topicConfigSyncs.inc({ ...flow, result: 'failed' });
    }
    metrics.removeFlow(gone);
    const { body } = await metrics.exposition();
    assert.doesNotMatch(body, /topic="gone"/);
    const keptSeries = body.split('\n').filter((line) => line.includes('topic="kept"'));
    assert.equal(keptSeries.length, 9, keptSeries.join('\n'));
  });

  test('has restart counters at 0 before the first restart, build info, and the process metrics', async () => {
    const { body } = await new Metrics().exposition();
    assert.match(body, /^georep_flow_restarts_total\{reason="config-change"\} 0$/m);
    assert.match(body, /^georep_flow_restarts_total\{reason="retry"\} 0$/m);
    assert.match(body, /^georep_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    assert.match(body, /^nodejs_eventloop_lag_seconds /m);
  });
});
