// The daemon: the effectful shell around the pure core. Every trigger (startup, SIGHUP, a file change, the
// discovery timer) goes through one serial reconcile loop; startup is simply the first reconcile.
//
// One reconcile, in order:
//   1. if the trigger may have changed the file: load it (in a worker thread, config-loader.ts); an invalid
//      file is rejected whole, the last good config stays in force, and the failure goes to the log, /status
//      and a metric;
//   2. make sure a client exists for each cluster in use (a cluster whose connection settings changed gets
//      a new one; the old one is closed only after step 5, once the flows that used it stopped);
//   3. list the topics of every origin (an origin that cannot be listed keeps its last listing, so a network
//      blip never stops flows);
//   4. desired flows → plan against the running flows (pure; the long parts run in time slices,
//      time-slices.ts, so that /healthz and the flows are served meanwhile);
//   5. the supervisor applies the plan: stop first, then start, then in-place updates;
//   6. flows stopped because their origin topic was deleted: the destination copy is kept or deleted, as the
//      replication says (onOriginTopicDeleted);
//   7. on discovery rounds, destination topic configs follow the origin's: one DescribeConfigs per cluster for
//      every copying flow, then an AlterConfigs for each destination topic that drifted;
//   8. start, stop or restart the consumer-group position syncs (one per replication with `groups` and
//      destination) whose settings changed;
//   9. close the clients no flow or group sync uses any more.
import { createHash } from 'node:crypto';
import { readTextFile } from '../config/environment.js';
import { formatIssue } from '../config/issues.js';
import { CONFIG_LIMITS } from '../config/limits.js';
import type { FileLoadResult } from '../config/load.js';
import type { Config } from '../config/types.js';
import { TopicNotFound } from '../kafka/errors.js';
import type {
  KafkaAdmin,
  KafkaCluster,
  KafkaClusterFactory,
  KafkaLogEntry,
  RecordSink,
  TopicConfigEntry,
} from '../kafka/port.js';
import { HttpListener } from '../observability/http-listener.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SystemdNotifier } from '../observability/systemd-notify.js';
import { desiredFlowSteps, type TopicListing } from '../plan/desired-flows.js';
import { clusterConnectionDigest, type FlowSpec, type RejectedFlow } from '../plan/flow-spec.js';
import { desiredGroupSyncs, planGroupSyncs } from '../plan/group-syncs.js';
import { planFlows, planHasChanges } from '../plan/plan.js';
import type { Steps } from '../plan/steps.js';
import { describeConfigDrift, planTopicConfigSync } from '../plan/topic-configs.js';
import { describeUnlisted, type UnlistedTopic, unlistedTopicSteps } from '../plan/unlisted-topics.js';
import { DEFAULT_FLOW_BACKOFF } from './backoff.js';
import { type BandwidthCapStatus, BandwidthCaps } from './bandwidth-caps.js';
import { loadConfigFileInWorker } from './config-loader.js';
import { CredentialChanges } from './credential-changes.js';
import type { FlowState } from './flow-state.js';
import { GroupSync, type GroupSyncStatus } from './group-sync.js';
import { type FlowStatus, type MirroredTotal, MirrorFlow } from './mirror-flow.js';
import { OffsetSyncStore } from './offset-sync-store.js';
import { ReconcileLoop, type ReconcileTrigger } from './reconcile-loop.js';
import { Supervisor } from './supervisor.js';
import { runInSlices } from './time-slices.js';

export interface DaemonOptions {
  readonly configPath: string;
  /** Where relative paths in the file resolve; default: the file's directory. */
  readonly baseDir?: string;
  readonly env: (name: string) => string | undefined;
  readonly clusterFactory: KafkaClusterFactory;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly notifier: SystemdNotifier;
  /** Overrides the config's daemon.httpListen (tests bind port 0). */
  readonly httpListenOverride?: string;
  readonly nowMs?: () => number;
}

/** Thrown by start() when the first load of the file fails: there is no last good config to keep running. */
export class StartupFailed extends Error {
  constructor(
    message: string,
    readonly details: readonly string[],
  ) {
    super(message);
    this.name = 'StartupFailed';
  }
}

export interface ReloadOutcome {
  readonly ok: boolean;
  readonly atMs: number;
  /** `file:line:col: message` lines of the rejected file, or warnings of the accepted one. */
  readonly messages: readonly string[];
}

export interface DaemonStatus {
  readonly configFile: string;
  /** Where the HTTP server listens (the port the OS chose when the config says 0), or null. */
  readonly httpAddress: string | null;
  readonly ready: boolean;
  readonly lastReload: ReloadOutcome | null;
  readonly flows: readonly FlowStatus[];
  /** Consumer-group position syncs, one per replication with `groups` and destination. */
  readonly groupSyncs: readonly GroupSyncStatus[];
  readonly rejected: readonly RejectedFlow[];
  readonly originsNotListed: readonly { readonly cluster: string; readonly error: string }[];
  /** Replications with maxBytesPerSecond. */
  readonly bandwidthCaps: readonly BandwidthCapStatus[];
}

interface ClusterClients {
  readonly digest: string;
  readonly cluster: KafkaCluster;
  readonly admin: KafkaAdmin;
  sink: RecordSink | null;
}

/**
 * Session timeout of the flows' consumer group members. A georep process that dies without leaving the group
 * (kill -9, power loss, a network partition) keeps its partitions until this runs out; a process that restarts
 * after a crash waits as long before it gets them back, because georep uses no static membership
 * (group.instance.id). @platformatic/kafka's default is 60 s; 10 s (Kafka's own default before 3.0) moves
 * partitions six times sooner and still leaves three heartbeat intervals (3 s) of slack, which the source's
 * own heartbeat timer keeps up also while a slow destination holds a batch. A member wrongly removed costs a rebalance and some repeated records, never lost ones.
 */
const CONSUMER_SESSION_TIMEOUT_MS = 10_000;
/** How long a reconcile may run before /readyz reports it as stuck. */
const RECONCILE_STUCK_MS = 120_000;
const COALESCE_MS = 50;

export class Daemon {
  readonly #options: DaemonOptions;
  readonly #logger: Logger;
  readonly #nowMs: () => number;
  readonly #supervisor: Supervisor;
  readonly #loop: ReconcileLoop;
  #config: Config | null = null;
  /**
   * Digest of the file as last loaded, accepted or rejected: a write with the same bytes changes nothing,
   * and a file put back to the last good content after a rejected one is loaded again (and recovers).
   */
  #configDigest: string | null = null;
  #lastReload: ReloadOutcome | null = null;
  readonly #credentialChanges = new CredentialChanges();
  #credentialChangeCounts: ReadonlyMap<string, number> = new Map();
  #clients = new Map<string, ClusterClients>();
  #retiredClients: ClusterClients[] = [];
  #lastListings = new Map<string, readonly TopicListing[]>();
  #originsNotListed: { cluster: string; error: string }[] = [];
  /** Topics named in includes that their origin did not list at the last discovery. */
  #unlisted: readonly UnlistedTopic[] = [];
  #rejected: readonly RejectedFlow[] = [];
  /** Origin topics (`origin/topic`) whose flows stopped because the topic was deleted, with when it was seen. */
  #deletedOriginTopics = new Map<string, number>();
  /** Outlives the flows: see MirrorFlowDependencies.groupsWithStoredProgress. */
  readonly #groupsWithStoredProgress = new Set<string>();
  /** Outlives the flows: see MirrorFlowDependencies.mirroredTotals. */
  readonly #mirroredTotals = new Map<string, MirroredTotal>();
  readonly #bandwidthCaps: BandwidthCaps;
  #firstReconcileDone = false;
  #reconcileStartedMs: number | null = null;
  #discoveryTimer: NodeJS.Timeout | null = null;
  #discoveryIntervalMs = 0;
  readonly #http: HttpListener;
  /** Where records landed, per destination cluster; kept across reloads (flows keep recording into them). */
  readonly #offsetStores = new Map<string, OffsetSyncStore>();
  readonly #groupSyncs = new Map<string, GroupSync>();

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#bandwidthCaps = new BandwidthCaps(options.metrics, this.#nowMs);
    this.#supervisor = new Supervisor((spec) => this.#createFlow(spec));
    this.#http = new HttpListener(
      {
        notReadyReason: () => this.#notReadyReason(),
        status: () => this.status(),
        metrics: () => this.#metricsExposition(),
      },
      this.#logger,
    );
    this.#loop = new ReconcileLoop({
      coalesceMs: COALESCE_MS,
      reconcile: (triggers) => this.#reconcile(triggers),
      onUnexpectedError: (error) => this.#logger.error({ err: error }, 'reconcile failed unexpectedly'),
    });
  }

  /** How long a graceful stop may take (daemon.shutdownTimeoutMs of the config in force). */
  get shutdownTimeoutMs(): number {
    return this.#config?.daemon.shutdownTimeoutMs ?? 30_000;
  }

  /** The address the HTTP server listens on, once started. */
  get httpAddress(): string | null {
    return this.#http.address;
  }

  /**
   * Loads the file, serves HTTP and runs the first reconcile; resolves when it is done (flows are then
   * starting or running).
   * @throws StartupFailed when the file is invalid or the HTTP address cannot be bound.
   */
  async start(): Promise<void> {
    if (!(await this.#loadConfig(true))) {
      throw new StartupFailed(
        `cannot start with ${this.#options.configPath}`,
        this.#lastReload?.messages ?? [],
      );
    }
    this.#loop.request('startup');
    await this.#loop.whenIdle();
    this.#options.notifier.startWatchdog();
    await this.#options.notifier.ready(this.#summary());
  }

  /** Asks for a reload (SIGHUP, a file change). Returns at once; the loop does the work. */
  requestReconcile(trigger: ReconcileTrigger): void {
    this.#loop.request(trigger);
  }

  /** Resolves when no reconcile runs or waits to run (tests, `plan` comparisons). */
  whenIdle(): Promise<void> {
    return this.#loop.whenIdle();
  }

  /**
   * Stops every flow (each flushes and commits what the destination acknowledged), then closes clients and
   * the HTTP server. Resolves 'timeout' if the flows did not stop within `timeoutMs`.
   */
  async stop(timeoutMs: number): Promise<'stopped' | 'timeout'> {
    await this.#options.notifier.stopping('stopping: flushing and committing progress');
    this.#options.notifier.stopWatchdog();
    if (this.#discoveryTimer !== null) clearInterval(this.#discoveryTimer);
    const stopped = (async () => {
      await this.#loop.stop();
      await this.#stopGroupSyncs([...this.#groupSyncs.keys()]);
      await this.#supervisor.stopAll();
      await this.#closeClients([...this.#clients.values(), ...this.#retiredClients]);
      return 'stopped' as const;
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([stopped, deadline]);
    clearTimeout(timer);
    await this.#http.close();
    return outcome;
  }

  status(): DaemonStatus {
    return {
      configFile: this.#options.configPath,
      httpAddress: this.httpAddress,
      ready: this.#notReadyReason() === null,
      lastReload: this.#lastReload,
      flows: this.#flowStatuses(),
      groupSyncs: [...this.#groupSyncs.values()]
        .map((sync) => sync.status())
        .sort((a, b) => (a.key < b.key ? -1 : 1)),
      rejected: this.#rejected,
      originsNotListed: this.#originsNotListed,
      bandwidthCaps: this.#bandwidthCaps.statuses(),
    };
  }

  #flowStatuses(): FlowStatus[] {
    return this.#supervisor
      .flows()
      .filter((flow): flow is MirrorFlow => flow instanceof MirrorFlow)
      .map((flow) => flow.status())
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  #notReadyReason(): string | null {
    if (!this.#firstReconcileDone) return 'the first reconcile has not finished';
    if (this.#reconcileStartedMs !== null && this.#nowMs() - this.#reconcileStartedMs > RECONCILE_STUCK_MS) {
      return `a reconcile has been running for ${Math.round((this.#nowMs() - this.#reconcileStartedMs) / 1000)} s`;
    }
    // A flow whose cluster does not answer copies nothing: whoever relies on this process should know.
    const stalled = this.#flowStatuses().filter((flow) => flow.state === 'stalled');
    if (stalled.length > 0) {
      const first = stalled[0]!;
      return `${stalled.length} flow(s) stalled, e.g. ${first.key}: ${first.error?.reason}: ${first.error?.message}`;
    }
    return null;
  }

  async #reconcile(triggers: ReadonlySet<ReconcileTrigger>): Promise<void> {
    this.#reconcileStartedMs = this.#nowMs();
    const endTimer = this.#options.metrics.reconcileDuration.startTimer();
    const reloading = triggers.has('sighup') || triggers.has('file-change');
    try {
      if (reloading) {
        await this.#options.notifier.reloading(`reloading ${this.#options.configPath}`);
        await this.#loadConfig(triggers.has('sighup'));
      }
      const config = this.#config;
      if (config === null) return;
      this.#ensureClients(config);
      const listings = await this.#listOrigins(config);
      const desired = await runInSlices(desiredFlowSteps(config, listings, this.#credentialChangeCounts));
      this.#reportRejected(desired.rejected);
      await runInSlices(this.#reportUnlisted(await runInSlices(unlistedTopicSteps(config, listings))));
      const plan = planFlows(desired.flows, this.#supervisor.runningSpecs());
      const originDeleted = plan.stop.filter((spec) => this.#originTopicGone(spec, listings));
      this.#noteRecreatedOriginTopics(plan.start);
      if (planHasChanges(plan)) {
        this.#logger.info(
          {
            trigger: [...triggers].join(','),
            start: plan.start.map((f) => f.key),
            stop: plan.stop.map((f) => f.key),
            restart: plan.restart.map((c) => ({ flow: c.to.key, changes: c.changes })),
            update: plan.update.map((c) => ({ flow: c.to.key, changes: c.changes })),
            unchanged: plan.unchanged.length,
          },
          `applying plan: ${plan.start.length} to start, ${plan.stop.length} to stop, ${plan.restart.length} to restart, ${plan.update.length} to update`,
        );
      }
      for (const _ of plan.restart) this.#options.metrics.flowRestarts.inc({ reason: 'config-change' });
      const results = await this.#supervisor.apply(plan);
      for (const result of results.filter((r) => !r.ok)) {
        this.#logger.error(
          { flow: result.key, action: result.action },
          `could not ${result.action} flow: ${result.error}`,
        );
      }
      await Promise.all(originDeleted.map((spec) => this.#onOriginTopicDeleted(spec)));
      if (triggers.has('discovery')) await this.#syncTopicConfigs();
      await this.#applyGroupSyncs(config);
      await this.#closeClients(this.#retiredClients.splice(0));
      await this.#closeClients(this.#unusedClients(config));
    } finally {
      this.#firstReconcileDone = true;
      this.#reconcileStartedMs = null;
      endTimer();
      // Whoever asks after READY=1 (systemctl reload, Ansible's handler) sees this reconcile's outcome.
      this.#http.forgetResponses();
      if (reloading) await this.#options.notifier.ready(this.#summary());
    }
  }

  /**
   * Loads the file and puts it in force. Returns whether a new config is now in force. A file whose bytes
   * did not change is not loaded again unless `force` (SIGHUP: secrets in other files may have changed).
   * A file is rejected whole — the previous config stays in force, untouched — when it is invalid or when
   * one of its daemon settings cannot be applied (an HTTP address that cannot be bound).
   */
  async #loadConfig(force: boolean): Promise<boolean> {
    const path = this.#options.configPath;
    let digest: string | null = null;
    // Read within the size limit, so that a huge file is refused (by loadConfigFile below) unread.
    const read = readTextFile(path, CONFIG_LIMITS.maxFileBytes);
    if (read.ok) digest = createHash('sha256').update(read.text).digest('hex');
    if (!force && digest !== null && digest === this.#configDigest) {
      this.#logger.debug(
        { file: path },
        'the file was written but its content is the same: nothing to reload',
      );
      return false;
    }
    let result: FileLoadResult;
    try {
      result = await loadConfigFileInWorker(path, {
        ...(this.#options.baseDir === undefined ? {} : { baseDir: this.#options.baseDir }),
        env: this.#options.env,
      });
    } catch (error) {
      this.#rejectReload([
        `${path}: cannot load the file: ${error instanceof Error ? error.message : error}`,
      ]);
      return false;
    }
    this.#configDigest = digest;
    if (!result.ok) {
      this.#rejectReload(
        'unreadable' in result
          ? [`${path}: cannot read the file: ${result.unreadable}`]
          : result.issues.map(formatIssue),
      );
      return false;
    }
    const problem = await this.#applyDaemonSettings(result.config);
    if (problem !== null) {
      this.#rejectReload([`${path}: ${problem}`]);
      return false;
    }
    const messages = result.warnings.map(formatIssue);
    for (const message of messages) this.#logger.warn(message);
    const atMs = this.#nowMs();
    this.#config = result.config;
    this.#bandwidthCaps.apply(result.config.replications);
    this.#credentialChangeCounts = this.#credentialChanges.observe(result.config);
    this.#lastReload = { ok: true, atMs, messages };
    this.#options.metrics.lastReloadSuccessful.set(1);
    this.#options.metrics.lastReloadSuccessTimestamp.set(atMs / 1000);
    this.#logger.level = result.config.daemon.logLevel;
    this.#logger.info(
      { file: path, clusters: result.config.clusters.size, replications: result.config.replications.length },
      'configuration loaded',
    );
    return true;
  }

  #rejectReload(messages: readonly string[]): void {
    this.#lastReload = { ok: false, atMs: this.#nowMs(), messages };
    this.#options.metrics.lastReloadSuccessful.set(0);
    this.#logger.error(
      { file: this.#options.configPath, errors: messages, keptConfig: this.#config !== null },
      this.#config === null
        ? `configuration rejected: ${messages.length} problem(s)`
        : `configuration rejected, the last good configuration stays in force: ${messages.length} problem(s)`,
    );
    for (const message of messages) this.#logger.error(message);
  }

  /**
   * Applies the daemon-wide settings of a candidate config; returns why it cannot, or null. The new HTTP
   * server is bound before the old one closes, so a bad address leaves the running one serving.
   */
  async #applyDaemonSettings(config: Config): Promise<string | null> {
    const problem = await this.#http.apply({
      listen: this.#options.httpListenOverride ?? config.daemon.httpListen,
      allowedHosts: config.daemon.httpAllowedHosts,
      webConfig: config.daemon.httpWebConfig,
    });
    if (problem !== null) return problem;
    if (config.daemon.discoveryIntervalMs !== this.#discoveryIntervalMs) {
      if (this.#discoveryTimer !== null) clearInterval(this.#discoveryTimer);
      this.#discoveryIntervalMs = config.daemon.discoveryIntervalMs;
      this.#discoveryTimer = setInterval(() => this.#loop.request('discovery'), this.#discoveryIntervalMs);
      this.#discoveryTimer.unref();
    }
    return null;
  }

  async #metricsExposition(): Promise<{ contentType: string; body: string }> {
    const counts = new Map<FlowState, number>(
      (['starting', 'running', 'stalled', 'paused', 'updating', 'stopping', 'error'] as const).map(
        (state) => [state, 0],
      ),
    );
    for (const flow of this.#flowStatuses()) counts.set(flow.state, (counts.get(flow.state) ?? 0) + 1);
    for (const [state, count] of counts) this.#options.metrics.flowsByState.set({ state }, count);
    return this.#options.metrics.exposition();
  }

  #ensureClients(config: Config): void {
    for (const name of clustersInUse(config)) {
      const cluster = config.clusters.get(name);
      if (cluster === undefined) continue;
      const digest = `${clusterConnectionDigest(cluster)}/${this.#credentialChangeCounts.get(name) ?? 0}`;
      const existing = this.#clients.get(name);
      if (existing?.digest === digest) continue;
      if (existing !== undefined) this.#retiredClients.push(existing);
      const kafkaLogger = this.#logger.child({ component: 'kafka', cluster: name });
      const created = this.#options.clusterFactory(cluster, (entry) => logKafka(kafkaLogger, entry));
      this.#clients.set(name, { digest, cluster: created, admin: created.createAdmin(), sink: null });
    }
  }

  #unusedClients(config: Config): ClusterClients[] {
    const inUse = clustersInUse(config);
    const unused: ClusterClients[] = [];
    for (const [name, clients] of this.#clients) {
      if (inUse.has(name)) continue;
      this.#clients.delete(name);
      unused.push(clients);
    }
    return unused;
  }

  async #closeClients(clients: readonly ClusterClients[]): Promise<void> {
    await Promise.all(
      clients.map(async (entry) => {
        try {
          await entry.sink?.close();
          await entry.admin.close();
        } catch (error) {
          this.#logger.warn({ cluster: entry.cluster.name, err: error }, 'closing a cluster client failed');
        }
      }),
    );
  }

  async #listOrigins(config: Config): Promise<Map<string, readonly TopicListing[]>> {
    const origins = [...new Set(config.replications.map((replication) => replication.origin))];
    const failures: { cluster: string; error: string }[] = [];
    await Promise.all(
      origins.map(async (origin) => {
        const clients = this.#clients.get(origin);
        if (clients === undefined) return;
        try {
          const topics = await clients.admin.listTopics();
          this.#lastListings.set(
            origin,
            topics.map((topic) => ({ name: topic.name, partitions: topic.partitionCount })),
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ cluster: origin, error: message });
          this.#logger.warn(
            { cluster: origin },
            `cannot list the topics of origin ${origin}, keeping its last known topics: ${message}`,
          );
        }
      }),
    );
    this.#originsNotListed = failures;
    return new Map(
      origins.flatMap((origin) => {
        const listing = this.#lastListings.get(origin);
        return listing === undefined ? [] : [[origin, listing] as const];
      }),
    );
  }

  /** True when the flow's origin was listed this round and its topic was not in the listing. */
  #originTopicGone(spec: FlowSpec, listings: ReadonlyMap<string, readonly TopicListing[]>): boolean {
    if (this.#originsNotListed.some((failure) => failure.cluster === spec.origin)) return false;
    const listing = listings.get(spec.origin);
    return listing !== undefined && !listing.some((topic) => topic.name === spec.originTopic);
  }

  /**
   * A flow about to start for an origin topic that was seen deleted: the topic was re-created. It is reported
   * here; the flow itself tells it by the topic's id and never appends it to the deleted one's copy.
   */
  #noteRecreatedOriginTopics(starting: readonly FlowSpec[]): void {
    for (const spec of starting) {
      const topicKey = `${spec.origin}/${spec.originTopic}`;
      const deletedAtMs = this.#deletedOriginTopics.get(topicKey);
      if (deletedAtMs === undefined) continue;
      this.#deletedOriginTopics.delete(topicKey);
      this.#options.metrics.originTopicsRecreated.inc({ origin: spec.origin, topic: spec.originTopic });
      this.#logger.warn(
        { origin: spec.origin, topic: spec.originTopic, deletedAt: new Date(deletedAtMs).toISOString() },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted and has been re-created: it is a new ` +
          'topic, whose records are not a continuation of the copy',
      );
    }
  }

  /**
   * After the flow of a deleted origin topic stopped: keep or delete its destination copy. The origin is asked
   * once more before anything is deleted, so that a listing that missed the topic never costs a copy.
   */
  async #onOriginTopicDeleted(spec: FlowSpec): Promise<void> {
    const origin = this.#clients.get(spec.origin);
    const destination = this.#clients.get(spec.destination);
    if (origin === undefined || destination === undefined) return;
    try {
      await origin.admin.describeTopic(spec.originTopic);
      return; // still there: the flow stopped for another reason (its replication no longer selects it)
    } catch (error) {
      if (!(error instanceof TopicNotFound)) {
        this.#logger.warn(
          { flow: spec.key, err: error },
          'origin topic missing from the listing but cannot be checked; its destination copy is kept',
        );
        return;
      }
    }
    this.#deletedOriginTopics.set(`${spec.origin}/${spec.originTopic}`, this.#nowMs());
    const labels = { origin: spec.origin, topic: spec.originTopic };
    if (spec.onOriginTopicDeleted === 'keep') {
      this.#options.metrics.originTopicsDeleted.inc({ ...labels, destination_copy: 'kept' });
      this.#logger.warn(
        { flow: spec.key, onOriginTopicDeleted: 'keep' },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted: its flow stopped; the copy ` +
          `${spec.destinationTopic} on ${spec.destination} is kept`,
      );
      return;
    }
    try {
      await destination.admin.deleteTopic(spec.destinationTopic);
      this.#options.metrics.originTopicsDeleted.inc({ ...labels, destination_copy: 'deleted' });
      this.#logger.warn(
        { flow: spec.key, onOriginTopicDeleted: 'delete' },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted: its flow stopped and the copy ` +
          `${spec.destinationTopic} on ${spec.destination} was deleted too`,
      );
    } catch (error) {
      this.#options.metrics.originTopicsDeleted.inc({ ...labels, destination_copy: 'delete-failed' });
      this.#logger.error(
        { flow: spec.key, onOriginTopicDeleted: 'delete', err: error },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted, but deleting the copy ` +
          `${spec.destinationTopic} on ${spec.destination} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * Makes the destination topics' configs follow their origin topics' for every flow that copies: one batched
   * DescribeConfigs per cluster, a pure comparison, then one replace per drifted topic. Each failure is
   * reported on its flow; the others go ahead.
   */
  async #syncTopicConfigs(): Promise<void> {
    const flows = this.#supervisor
      .flows()
      .filter((flow): flow is MirrorFlow => flow instanceof MirrorFlow && flow.copying);
    if (flows.length === 0) return;
    const topicsByCluster = new Map<string, Set<string>>();
    const add = (cluster: string, topic: string) =>
      topicsByCluster.set(cluster, (topicsByCluster.get(cluster) ?? new Set()).add(topic));
    for (const { spec } of flows) {
      add(spec.origin, spec.originTopic);
      add(spec.destination, spec.destinationTopic);
    }
    const described = new Map(
      await Promise.all(
        [...topicsByCluster].map(
          async ([cluster, topics]) =>
            [cluster, await this.#describeTopicConfigs(cluster, [...topics])] as const,
        ),
      ),
    );
    const updates = planTopicConfigSync(
      flows.map((flow) => ({
        key: flow.spec.key,
        origin: flow.spec.origin,
        originTopic: flow.spec.originTopic,
        destination: flow.spec.destination,
        destinationTopic: flow.spec.destinationTopic,
        topicConfigExclude: flow.spec.restartSettings.topicConfigExclude.split(',').filter(Boolean),
        mirrorFlow: flow,
      })),
      described,
    );
    await Promise.all(
      updates.map(async ({ flow, update }) => {
        const admin = this.#clients.get(flow.destination)?.admin;
        if (admin === undefined) return;
        try {
          await admin.alterTopicConfigs(flow.destinationTopic, update.changes);
          flow.mirrorFlow.recordTopicConfigSync({ applied: describeConfigDrift(update.drift) });
        } catch (error) {
          flow.mirrorFlow.recordTopicConfigSync({
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }),
    );
  }

  /**
   * The configs of `topics` on `cluster`, in one request (topics deleted since the listing are left out); a
   * cluster that cannot be reached gives nothing this round, and the flows' own errors say why.
   */
  async #describeTopicConfigs(
    cluster: string,
    topics: readonly string[],
  ): Promise<Map<string, TopicConfigEntry[]>> {
    const admin = this.#clients.get(cluster)?.admin;
    if (admin === undefined) return new Map();
    try {
      return await admin.describeTopicConfigs(topics);
    } catch (error) {
      this.#logger.warn(
        { cluster, err: error },
        'cannot describe topic configs; config sync waits for the next round',
      );
      return new Map();
    }
  }

  #reportRejected(rejected: readonly RejectedFlow[]): void {
    const describe = (r: RejectedFlow) =>
      `${r.origin}/${r.originTopic} -> ${r.destination}/${r.destinationTopic}: ${r.reason}`;
    const before = new Set(this.#rejected.map(describe));
    for (const flow of rejected) {
      if (!before.has(describe(flow)))
        this.#logger.warn({ replication: flow.replication }, `not mirrored: ${describe(flow)}`);
    }
    this.#rejected = rejected;
  }

  /**
   * Warns once about each topic named in an include that its origin does not list, until it is listed. In
   * steps: a file of 10,000 replications may name 10,000 topics that do not exist.
   */
  *#reportUnlisted(unlisted: readonly UnlistedTopic[]): Steps<void> {
    const reported = new Set(this.#unlisted.map(describeUnlisted));
    for (const topic of unlisted) {
      yield;
      const message = describeUnlisted(topic);
      if (!reported.has(message)) this.#logger.warn({ replication: topic.replication }, message);
    }
    this.#unlisted = unlisted;
  }

  #createFlow(spec: Parameters<ConstructorParameters<typeof Supervisor>[0]>[0]): MirrorFlow {
    const origin = this.#clients.get(spec.origin);
    const destination = this.#clients.get(spec.destination);
    if (origin === undefined || destination === undefined) {
      throw new Error(`no client for cluster ${origin === undefined ? spec.origin : spec.destination}`);
    }
    destination.sink ??= destination.cluster.createSink();
    const config = this.#config;
    return new MirrorFlow(spec, {
      origin: origin.cluster,
      destination: destination.cluster,
      originAdmin: origin.admin,
      destinationAdmin: destination.admin,
      sink: destination.sink,
      offsetMaps: this.#offsetStore(spec.destination),
      logger: this.#logger,
      metrics: this.#options.metrics,
      backoff: DEFAULT_FLOW_BACKOFF,
      nonRetriableRecheckMs: 5 * 60_000,
      lagRefreshMs: config?.daemon.discoveryIntervalMs ?? 5000,
      stopGraceMs: Math.max(1000, (config?.daemon.shutdownTimeoutMs ?? 30_000) / 2),
      sessionTimeoutMs: CONSUMER_SESSION_TIMEOUT_MS,
      groupsWithStoredProgress: this.#groupsWithStoredProgress,
      mirroredTotals: this.#mirroredTotals,
      bandwidthCaps: this.#bandwidthCaps,
      nowMs: this.#nowMs,
    });
  }

  #offsetStore(destination: string): OffsetSyncStore {
    let store = this.#offsetStores.get(destination);
    if (store === undefined) {
      store = new OffsetSyncStore();
      this.#offsetStores.set(destination, store);
    }
    return store;
  }

  /**
   * Applies the group syncs' plan (src/plan/group-syncs.ts): a sync whose settings or clusters' connections
   * changed restarts, a renamed replication's sync takes the name in place, a removed one stops; flows are
   * not touched.
   */
  async #applyGroupSyncs(config: Config): Promise<void> {
    const plan = planGroupSyncs(
      desiredGroupSyncs(config, this.#credentialChangeCounts),
      [...this.#groupSyncs.values()].map((sync) => sync.spec),
    );
    if (planHasChanges(plan)) {
      this.#logger.info(
        {
          start: plan.start.map((spec) => spec.key),
          stop: plan.stop.map((spec) => spec.key),
          restart: plan.restart.map((c) => ({ groupSync: c.to.key, changes: c.changes })),
          update: plan.update.map((c) => ({ groupSync: c.to.key, changes: c.changes })),
        },
        `applying group-sync plan: ${plan.start.length} to start, ${plan.stop.length} to stop, ${plan.restart.length} to restart, ${plan.update.length} to update`,
      );
    }
    await this.#stopGroupSyncs(
      [...plan.stop, ...plan.restart.map((change) => change.from)].map((s) => s.key),
    );
    for (const change of plan.update) this.#groupSyncs.get(change.to.key)?.update(change.to);
    for (const spec of [...plan.start, ...plan.restart.map((change) => change.to)]) {
      const origin = this.#clients.get(spec.origin);
      const destination = this.#clients.get(spec.destination);
      if (origin === undefined || destination === undefined) continue;
      destination.sink ??= destination.cluster.createSink();
      const sync = new GroupSync(spec, {
        originAdmin: origin.admin,
        destination: destination.cluster,
        destinationAdmin: destination.admin,
        destinationSink: destination.sink,
        store: this.#offsetStore(spec.destination),
        mirroredTopics: () =>
          this.#supervisor
            .runningSpecs()
            .filter((flow) => flow.origin === spec.origin && flow.destination === spec.destination)
            .map((flow) => ({ originTopic: flow.originTopic, destinationTopic: flow.destinationTopic })),
        logger: this.#logger,
        metrics: this.#options.metrics,
        nowMs: this.#nowMs,
        readTimeoutMs: 60_000,
      });
      this.#groupSyncs.set(spec.key, sync);
      this.#logger.info({ groupSync: spec.key, replication: spec.replication }, 'group sync started');
    }
  }

  async #stopGroupSyncs(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const running = this.#groupSyncs.get(key);
        this.#groupSyncs.delete(key);
        await running?.stop();
      }),
    );
  }

  #summary(): string {
    const flows = this.#flowStatuses();
    const byState = new Map<string, number>();
    for (const flow of flows) byState.set(flow.state, (byState.get(flow.state) ?? 0) + 1);
    const parts = [...byState].map(([state, count]) => `${count} ${state}`);
    const reload = this.#lastReload?.ok === false ? '; last reload FAILED, previous config in force' : '';
    return `${flows.length} flows${parts.length > 0 ? ` (${parts.join(', ')})` : ''}${reload}`;
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
