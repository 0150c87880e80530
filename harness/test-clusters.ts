// Kafka clusters for integration tests: local ones started by the harness, or the user's own given by
// GEOREP_TEST_BOOTSTRAP_A, _B, … (see external.ts).
//
//   const targets = kafkaTestTargets({ clusters: 2 });   // one per Kafka version, or one for external clusters
//   for (const target of targets) describe(target.label, { skip: target.skipReason }, () => { … });
//   before((context) => startTargets(targets, context.signal));
//   after(() => stopTargets(targets));
import { type ExternalCluster, externalClustersFromEnv } from './external.js';
import {
  type LocalKafkaCluster,
  type LocalKafkaRun,
  type StartClustersOptions,
  startClusters,
} from './kafka-local.js';
import type { TestPki } from './tls-certs.js';
import { type KafkaVersion, kafkaVersionFromEnv, testKafkaVersionsFromEnv } from './versions.js';

export interface TestCluster {
  name: string;
  brokers: string[];
  /** Present for clusters the harness started: their data dir, log, kill() and restart(). */
  local?: LocalKafkaCluster;
}

/** What a suite asks of its clusters. */
export interface TestClustersOptions {
  readonly clusters: number;
  /** Names of local clusters, for their folders and the harness's messages; default 'a', 'b', … */
  readonly names?: readonly string[];
  /**
   * Why the suite needs clusters the harness starts (a SASL listener, a broker to stop): when external
   * clusters are given, the target is skipped with this reason.
   */
  readonly localOnly?: string;
  /** Listeners and authorizer of local clusters (see StartClustersOptions); needs `localOnly`. */
  readonly local?: Pick<StartClustersOptions, 'saslPlainUsers' | 'standardAuthorizer' | 'tls'>;
}

export interface KafkaTestTarget {
  /** Names what the tests run against, e.g. 'Kafka 4.1.2' or 'external Kafka (GEOREP_TEST_BOOTSTRAP_A)'. */
  readonly label: string;
  /** The version of Kafka's Java tools that tests run against these clusters. */
  readonly toolsVersion: KafkaVersion;
  /** Set when the target cannot serve the suite (too few external clusters). */
  readonly skipReason: string | undefined;
  /** Starts local clusters; does nothing for external ones or if already started. */
  start(signal?: AbortSignal): Promise<void>;
  /** The clusters, once started. */
  clusters(): readonly TestCluster[];
  /** The CA and certificates of local clusters started with `local.tls`; null otherwise. */
  pki(): TestPki | null;
  /** Stops local clusters; external ones are left as they are. */
  stop(): Promise<void>;
}

class LocalTarget implements KafkaTestTarget {
  readonly skipReason = undefined;
  private run: LocalKafkaRun | undefined;
  private starting: Promise<LocalKafkaRun> | undefined;

  constructor(
    readonly toolsVersion: KafkaVersion,
    private readonly options: TestClustersOptions,
  ) {}

  get label(): string {
    return `Kafka ${this.toolsVersion}`;
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.starting ??= startClusters({
      ...this.options.local,
      count: this.options.clusters,
      names: this.options.names,
      version: this.toolsVersion,
      signal,
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    this.run = await this.starting;
  }

  clusters(): readonly TestCluster[] {
    if (!this.run) throw new Error(`${this.label}: clusters used before start()`);
    return this.run.clusters.map((local) => ({ name: local.name, brokers: [local.bootstrap], local }));
  }

  pki(): TestPki | null {
    return this.run?.pki ?? null;
  }

  async stop(): Promise<void> {
    // A start that is still under way (the suite timed out) is stopped once it is done.
    const run = this.run ?? (await this.starting?.catch(() => undefined));
    await run?.stopAll();
  }
}

class ExternalTarget implements KafkaTestTarget {
  readonly toolsVersion = kafkaVersionFromEnv();
  readonly label: string;
  readonly skipReason: string | undefined;

  constructor(
    private readonly given: readonly ExternalCluster[],
    options: TestClustersOptions,
  ) {
    this.label = `external Kafka (${given.map((cluster) => cluster.source).join(', ')})`;
    this.skipReason =
      options.localOnly ??
      (given.length < options.clusters
        ? `needs ${options.clusters} clusters, ${given.length} given by GEOREP_TEST_BOOTSTRAP_*`
        : undefined);
  }

  async start(): Promise<void> {}

  clusters(): readonly TestCluster[] {
    return this.given.map((cluster) => ({ name: cluster.name, brokers: cluster.brokers }));
  }

  pki(): null {
    return null;
  }

  async stop(): Promise<void> {}
}

/**
 * The targets a suite that needs `clusters` clusters runs against: the external clusters if any are given,
 * else one local target per Kafka version in GEOREP_TEST_KAFKA_VERSIONS (default: every supported one).
 */
export function kafkaTestTargets(options: TestClustersOptions): KafkaTestTarget[] {
  const external = externalClustersFromEnv();
  if (external.length > 0) return [new ExternalTarget(external, options)];
  return testKafkaVersionsFromEnv().map((version) => new LocalTarget(version, options));
}

/** Starts every target that is not skipped, together (local clusters of every version at once). */
export async function startTargets(targets: readonly KafkaTestTarget[], signal?: AbortSignal): Promise<void> {
  await Promise.all(targets.filter((target) => !target.skipReason).map((target) => target.start(signal)));
}

/** Stops every target (a start still under way is stopped once done). */
export async function stopTargets(targets: readonly KafkaTestTarget[]): Promise<void> {
  await Promise.all(targets.map((target) => target.stop()));
}

/** One target, for suites that need not cover every version: GEOREP_KAFKA_VERSION's, or the external clusters. */
export function kafkaTestTarget(options: TestClustersOptions): KafkaTestTarget {
  const external = externalClustersFromEnv();
  if (external.length > 0) return new ExternalTarget(external, options);
  return new LocalTarget(kafkaVersionFromEnv(), options);
}
