// One client per cluster in use, shared by every flow and group sync that reads or writes there: an admin
// client always, and a sink once something writes to the cluster. A cluster whose connection settings or
// secrets changed gets new clients; the old ones are retired, not closed, because the flows that use them
// are only stopped later in the same reconcile. The daemon closes retired and unused clients last.
import type { Config } from '../config/types.js';
import type {
  KafkaAdmin,
  KafkaCluster,
  KafkaClusterFactory,
  KafkaLogEntry,
  RecordSink,
} from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import { clusterConnectionDigest } from '../plan/flow-spec.js';

/** The clients of one cluster, made for one version of its connection settings. */
export class ClusterClients {
  #sink: RecordSink | null = null;

  constructor(
    /** The connection settings and secret-change count the clients were made for. */
    readonly digest: string,
    readonly cluster: KafkaCluster,
    readonly admin: KafkaAdmin,
  ) {}

  /** Created on first use: only a destination is written to. */
  get sink(): RecordSink {
    this.#sink ??= this.cluster.createSink();
    return this.#sink;
  }

  async close(): Promise<void> {
    await this.#sink?.close();
    await this.admin.close();
  }
}

export interface ClusterClientPoolDependencies {
  readonly clusterFactory: KafkaClusterFactory;
  readonly logger: Logger;
}

export class ClusterClientPool {
  readonly #deps: ClusterClientPoolDependencies;
  readonly #clients = new Map<string, ClusterClients>();
  /** Replaced by clients for new connection settings; closed once the flows that used them stopped. */
  readonly #retired: ClusterClients[] = [];

  constructor(deps: ClusterClientPoolDependencies) {
    this.#deps = deps;
  }

  get(cluster: string): ClusterClients | undefined {
    return this.#clients.get(cluster);
  }

  /**
   * Makes sure each cluster the config uses has clients made for its current connection settings and secrets
   * (`credentialChangeCounts`: how often each cluster's secrets changed).
   */
  ensure(config: Config, credentialChangeCounts: ReadonlyMap<string, number>): void {
    for (const name of clustersInUse(config)) {
      const cluster = config.clusters.get(name);
      if (cluster === undefined) continue;
      const digest = `${clusterConnectionDigest(cluster)}/${credentialChangeCounts.get(name) ?? 0}`;
      const existing = this.#clients.get(name);
      if (existing?.digest === digest) continue;
      if (existing !== undefined) this.#retired.push(existing);
      const kafkaLogger = this.#deps.logger.child({ component: 'kafka', cluster: name });
      const created = this.#deps.clusterFactory(cluster, (entry) => logKafka(kafkaLogger, entry));
      this.#clients.set(name, new ClusterClients(digest, created, created.createAdmin()));
    }
  }

  /** Closes the retired clients, then those of clusters the config no longer uses. */
  async closeRetiredAndUnused(config: Config): Promise<void> {
    await this.#close(this.#retired.splice(0));
    const inUse = clustersInUse(config);
    const unused: ClusterClients[] = [];
    for (const [name, clients] of this.#clients) {
      if (inUse.has(name)) continue;
      this.#clients.delete(name);
      unused.push(clients);
    }
    await this.#close(unused);
  }

  /** Closes every client (shutdown, after the flows and group syncs stopped). */
  async closeAll(): Promise<void> {
    await this.#close([...this.#clients.values(), ...this.#retired]);
  }

  async #close(clients: readonly ClusterClients[]): Promise<void> {
    await Promise.all(
      clients.map(async (entry) => {
        try {
          await entry.close();
        } catch (error) {
          this.#deps.logger.warn(
            { cluster: entry.cluster.name, err: error },
            'closing a cluster client failed',
          );
        }
      }),
    );
  }
}

function clustersInUse(config: Config): Set<string> {
  return new Set(
    config.replications.flatMap((replication) => [replication.origin, ...replication.destinations]),
  );
}

// A client's info lines (joins, rebalances, connections) are routine: they go to debug, so that the info level
// shows what georep itself decided.
function logKafka(logger: Logger, entry: KafkaLogEntry): void {
  const fields = { kafkaComponent: entry.component, ...entry.fields };
  switch (entry.level) {
    case 'error':
      logger.error(fields, entry.message);
      return;
    case 'warn':
      logger.warn(fields, entry.message);
      return;
    case 'info':
      logger.debug(fields, entry.message);
      return;
    case 'debug':
      logger.trace(fields, entry.message);
      return;
  }
}
