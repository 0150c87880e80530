// Builds the mirror flows the supervisor starts: each gets the clients of its two clusters, the offset store of
// its destination, the daemon's settings in force and the state that outlives any one flow (a restarted flow
// must not forget that its group has stored progress, nor restart its mirrored totals from zero).
import type { Config } from '../config/types.js';
import { ConcurrencyLimit } from '../kafka/concurrency-limit.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import { DEFAULT_FLOW_BACKOFF } from './backoff.js';
import type { BandwidthCaps } from './bandwidth-caps.js';
import type { ClusterClients } from './cluster-clients.js';
import { labelsOf } from './flow-identity.js';
import { type MirroredTotal, MirrorFlow } from './mirror-flow.js';
import type { OffsetSyncStores } from './offset-sync-store.js';

/**
 * Session timeout of the flows' consumer group members. A georep process that dies without leaving the group
 * (kill -9, power loss, a network partition) keeps its partitions until this runs out; a process that restarts
 * after a crash waits as long before it gets them back, because georep uses no static membership
 * (group.instance.id). @platformatic/kafka's default is 60 s; 10 s (Kafka's own default before 3.0) moves
 * partitions six times sooner and still leaves three heartbeat intervals (3 s) of slack, which the source's
 * own heartbeat timer keeps up also while a slow destination holds a batch. A member wrongly removed costs a rebalance and some repeated records, never lost ones.
 */
const CONSUMER_SESSION_TIMEOUT_MS = 10_000;
/**
 * Flows preparing their destination topic at once (MirrorFlowDependencies.preparing). 10,000 flows starting
 * together would otherwise all hold their requests, answers and topic configs in memory at the same time, while
 * the clusters answer a few coalesced batches (admin-batches.ts) at a time anyway.
 */
const FLOWS_PREPARING_AT_ONCE = 1_000;

export interface MirrorFlowFactoryDependencies {
  /** The clients of a cluster, or undefined when there is none. */
  readonly clients: (cluster: string) => ClusterClients | undefined;
  readonly offsetStores: OffsetSyncStores;
  readonly bandwidthCaps: BandwidthCaps;
  /** The config in force, for the daemon-wide settings a flow follows. */
  readonly config: () => Config | null;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly nowMs: () => number;
}

export class MirrorFlowFactory {
  readonly #deps: MirrorFlowFactoryDependencies;
  /** Outlives the flows: see MirrorFlowDependencies.flowsWithStoredProgress. */
  readonly #flowsWithStoredProgress = new Set<string>();
  /** Outlives the flows: see MirrorFlowDependencies.mirroredTotals. */
  readonly #mirroredTotals = new Map<string, MirroredTotal>();
  readonly #preparing = new ConcurrencyLimit(FLOWS_PREPARING_AT_ONCE);

  constructor(deps: MirrorFlowFactoryDependencies) {
    this.#deps = deps;
  }

  /**
   * The flow was stopped for good (not restarted): its totals and metric series go, so that topics gone leave
   * nothing behind in /status or a scrape. A flow restarted by a reload keeps both and counts on.
   */
  forget(spec: FlowSpec): void {
    this.#mirroredTotals.delete(spec.key);
    this.#deps.metrics.removeFlow(labelsOf(spec));
  }

  /** @throws Error when a cluster of the flow has no client (the supervisor reports it on the flow). */
  create(spec: FlowSpec): MirrorFlow {
    const origin = this.#deps.clients(spec.origin);
    const destination = this.#deps.clients(spec.destination);
    if (origin === undefined || destination === undefined) {
      throw new Error(`no client for cluster ${origin === undefined ? spec.origin : spec.destination}`);
    }
    const config = this.#deps.config();
    return new MirrorFlow(spec, {
      origin: origin.cluster,
      destination: destination.cluster,
      originAdmin: origin.admin,
      destinationAdmin: destination.admin,
      sink: destination.sink,
      offsetMaps: this.#deps.offsetStores.of(spec.destination),
      logger: this.#deps.logger,
      metrics: this.#deps.metrics,
      backoff: DEFAULT_FLOW_BACKOFF,
      nonRetriableRecheckMs: 5 * 60_000,
      lagRefreshMs: config?.daemon.discoveryIntervalMs ?? 5000,
      stopGraceMs: Math.max(1000, (config?.daemon.shutdownTimeoutMs ?? 30_000) / 2),
      sessionTimeoutMs: CONSUMER_SESSION_TIMEOUT_MS,
      flowsWithStoredProgress: this.#flowsWithStoredProgress,
      mirroredTotals: this.#mirroredTotals,
      bandwidthCaps: this.#deps.bandwidthCaps,
      preparing: this.#preparing,
      nowMs: this.#deps.nowMs,
    });
  }
}
