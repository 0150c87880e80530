// Prometheus metrics. Labels stay per flow (replication, origin, destination, topic) at most, never per partition
// or per record: per-partition detail is in /status. The latency histogram, 17 series per label set, is per
// replication and destination only. Each metric is defined here once, with its meaning.
// docs/operations.md ("Prometheus") explains each one to operators, with example alerts.
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ReplicationLatency } from './replication-latency.js';

const FLOW_LABELS = ['replication', 'origin', 'destination', 'topic'] as const;
export type FlowLabels = Record<(typeof FLOW_LABELS)[number], string>;
/** The `path` label of georep_destination_batches_written_total. */
export const BATCH_PATHS = ['forwarded', 'encoded'] as const;
/** The `result` label of georep_topic_config_syncs_total. */
export const CONFIG_SYNC_RESULTS = ['applied', 'failed'] as const;

export class Metrics {
  readonly registry = new Registry();

  /** Records the destination acknowledged. */
  readonly recordsMirrored = new Counter({
    name: 'georep_records_mirrored_total',
    help: 'Records written to the destination and acknowledged by it.',
    labelNames: FLOW_LABELS,
    registers: [this.registry],
  });

  readonly bytesMirrored = new Counter({
    name: 'georep_bytes_mirrored_total',
    help: 'Bytes of keys, values and headers written to the destination and acknowledged by it.',
    labelNames: FLOW_LABELS,
    registers: [this.registry],
  });

  readonly transactionsCommitted = new Counter({
    name: 'georep_transactions_committed_total',
    help: 'Destination transactions committed by exactly-once flows, each holding a batch and its progress.',
    labelNames: FLOW_LABELS,
    registers: [this.registry],
  });

  readonly destinationBytesWritten = new Counter({
    name: 'georep_destination_bytes_written_total',
    help: 'Bytes of record batches written to the destination as sent (after compression, with batch headers) and acknowledged by it.',
    labelNames: FLOW_LABELS,
    registers: [this.registry],
  });

  readonly destinationBatchesWritten = new Counter({
    name: 'georep_destination_batches_written_total',
    help: 'Record batches written to the destination and acknowledged, by path: forwarded (an origin batch sent on as it came, its records neither decoded for writing nor compressed again) or encoded.',
    labelNames: [...FLOW_LABELS, 'path'],
    registers: [this.registry],
  });

  readonly replicationMaxBytesPerSecond = new Gauge({
    name: 'georep_replication_max_bytes_per_second',
    help: "A replication's maxBytesPerSecond: the cap on the bytes its flows in this process write per second.",
    labelNames: ['replication'],
    registers: [this.registry],
  });

  readonly replicationThrottledSeconds = new Counter({
    name: 'georep_replication_throttled_seconds_total',
    help: "Time a replication's partitions waited for its maxBytesPerSecond, summed over the partitions.",
    labelNames: ['replication'],
    registers: [this.registry],
  });

  /** Per replication and destination, not per flow: see replication-latency.ts. */
  readonly replicationLatency = new ReplicationLatency(this.registry);

  readonly offsetLag = new Gauge({
    name: 'georep_flow_offset_lag_records',
    help: 'Records on the origin not yet mirrored, summed over the partitions this process mirrors.',
    labelNames: FLOW_LABELS,
    registers: [this.registry],
  });

  readonly flowsByState = new Gauge({
    name: 'georep_flows',
    help: 'Flows in each state (starting, running, stalled, paused, updating, stopping, error).',
    labelNames: ['state'],
    registers: [this.registry],
  });

  readonly flowRestarts = new Counter({
    name: 'georep_flow_restarts_total',
    help: 'Flow restarts, by reason (config-change, retry).',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly buildInfo = new Gauge({
    name: 'georep_build_info',
    help: 'Always 1; the label says which version of georep runs (nodejs_version_info says which Node.js).',
    labelNames: ['version'],
    registers: [this.registry],
  });

  readonly flowErrors = new Counter({
    name: 'georep_flow_errors_total',
    help: 'Flows entering the error state, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly flowStalls = new Counter({
    name: 'georep_flow_stalls_total',
    help: 'Running flows becoming stalled because a cluster stopped answering, by reason (origin-unavailable, destination-unavailable).',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly topicConfigSyncs = new Counter({
    name: 'georep_topic_config_syncs_total',
    help: "Destination topic config changes made to follow the origin topic's, by result (applied, failed).",
    labelNames: [...FLOW_LABELS, 'result'],
    registers: [this.registry],
  });

  readonly originTopicsDeleted = new Counter({
    name: 'georep_origin_topics_deleted_total',
    help: 'Mirrored origin topics seen deleted, by what happened to the destination copy (kept, deleted, delete-failed).',
    labelNames: ['origin', 'topic', 'destination_copy'],
    registers: [this.registry],
  });

  readonly originTopicsRecreated = new Counter({
    name: 'georep_origin_topics_recreated_total',
    help: 'Origin topics seen deleted and then re-created under the same name while georep ran.',
    labelNames: ['origin', 'topic'],
    registers: [this.registry],
  });

  readonly lastReloadSuccessful = new Gauge({
    name: 'georep_config_last_reload_successful',
    help: 'Whether the last attempt to load the configuration file succeeded (1) or was rejected (0).',
    registers: [this.registry],
  });

  readonly lastReloadSuccessTimestamp = new Gauge({
    name: 'georep_config_last_reload_success_timestamp_seconds',
    help: 'When the configuration was last loaded successfully, as a Unix timestamp.',
    registers: [this.registry],
  });

  readonly reconcileDuration = new Histogram({
    name: 'georep_reconcile_duration_seconds',
    help: 'Time one reconcile took: listing origin topics, planning and applying the plan.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Per consumer group whose positions follow (replications with `groups`). */
  readonly groupTranslatedPartitions = new Gauge({
    name: 'georep_group_translated_partitions',
    help: 'Partitions of a consumer group whose committed origin offset has a translated destination offset.',
    labelNames: ['replication', 'destination', 'group'],
    registers: [this.registry],
  });

  readonly groupSyncLastSuccess = new Gauge({
    name: 'georep_group_sync_last_success_timestamp_seconds',
    help: 'When consumer-group positions of a replication were last translated to a destination, as a Unix timestamp.',
    labelNames: ['replication', 'destination'],
    registers: [this.registry],
  });

  readonly groupSyncErrors = new Counter({
    name: 'georep_group_sync_errors_total',
    help: 'Failed passes of the consumer-group position sync of a replication to a destination.',
    labelNames: ['replication', 'destination'],
    registers: [this.registry],
  });

  constructor() {
    // Both reasons exist from the start at 0, so that a rate() or increase() sees the first restart too.
    for (const reason of ['config-change', 'retry']) this.flowRestarts.inc({ reason }, 0);
    for (const reason of ['origin-unavailable', 'destination-unavailable'])
      this.flowStalls.inc({ reason }, 0);
    this.buildInfo.set({ version: packageVersion() }, 1);
    // process_* and nodejs_*: memory, CPU, open files, event loop lag, garbage collection.
    collectDefaultMetrics({ register: this.registry });
    // Gauges that prom-client names *_total, which Prometheus keeps for counters (promtool check metrics
    // rejects them); nodejs_active_handles and nodejs_active_requests, by type, say the same.
    for (const misnamed of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(misnamed);
    }
  }

  /**
   * Removes a flow's series (stopped for good, or its replication renamed): nothing counts into them any more,
   * and at thousands of topics, series of flows gone would pile up in every scrape.
   */
  removeFlow(labels: FlowLabels): void {
    for (const metric of [
      this.recordsMirrored,
      this.bytesMirrored,
      this.transactionsCommitted,
      this.destinationBytesWritten,
      this.offsetLag,
    ]) {
      metric.remove(labels);
    }
    for (const path of BATCH_PATHS) this.destinationBatchesWritten.remove({ ...labels, path });
    for (const result of CONFIG_SYNC_RESULTS) this.topicConfigSyncs.remove({ ...labels, result });
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** georep's version from its package.json: two levels up from this module, in src/ and in dist/ alike. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
