// A flow's spec and what is derived from its names: the metric labels, the child logger and the latency
// series it shares with the other flows of its replication into its destination. One object shared by the
// flow's parts, so that a renamed replication shows under its new name in every log line and metric at once.
import { type Logger, withFlatBindings } from '../observability/logger.js';
import type { FlowLabels, Metrics } from '../observability/metrics.js';
import type { LatencySeries } from '../observability/replication-latency.js';
import type { FlowSpec } from '../plan/flow-spec.js';

export class FlowIdentity {
  #spec: FlowSpec;
  #labels: FlowLabels;
  #logger: Logger;
  #latency: LatencySeries;
  readonly #rootLogger: Logger;
  readonly #metrics: Pick<Metrics, 'replicationLatency'>;

  constructor(spec: FlowSpec, rootLogger: Logger, metrics: Pick<Metrics, 'replicationLatency'>) {
    this.#spec = spec;
    this.#rootLogger = rootLogger;
    this.#metrics = metrics;
    this.#labels = labelsOf(spec);
    this.#latency = metrics.replicationLatency.hold(this.#labels);
    this.#logger = childLogger(rootLogger, spec);
  }

  get spec(): FlowSpec {
    return this.#spec;
  }

  get labels(): FlowLabels {
    return this.#labels;
  }

  get logger(): Logger {
    return this.#logger;
  }

  get latency(): Pick<LatencySeries, 'observeCopied'> {
    return this.#latency;
  }

  /** Takes the flow's new spec; labels, logger and latency series follow a renamed replication. */
  update(next: FlowSpec): void {
    const previous = this.#spec;
    this.#spec = next;
    if (next.replication === previous.replication) return;
    this.#labels = labelsOf(next);
    const previousLatency = this.#latency;
    this.#latency = this.#metrics.replicationLatency.hold(this.#labels);
    previousLatency.release();
    this.#logger = childLogger(this.#rootLogger, next);
  }

  /** The flow stopped: its latency series goes unless another flow of its replication and destination holds it. */
  release(): void {
    this.#latency.release();
  }
}

/** A flow's metric labels. */
export function labelsOf(spec: FlowSpec): FlowLabels {
  return {
    replication: spec.replication,
    origin: spec.origin,
    destination: spec.destination,
    topic: spec.originTopic,
  };
}

function childLogger(logger: Logger, spec: FlowSpec): Logger {
  return withFlatBindings(
    logger.child({
      flow: spec.key,
      replication: spec.replication,
      origin: spec.origin,
      destination: spec.destination,
      topic: spec.originTopic,
      destinationTopic: spec.destinationTopic,
    }),
  );
}
