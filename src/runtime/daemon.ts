// The daemon: the effectful shell around the pure core. Every trigger (startup, SIGHUP, a file change, the
// discovery timer) goes through one serial reconcile loop; startup is simply the first reconcile. The daemon
// only orchestrates: each step's work lives in the file named beside it.
//
// One reconcile, in order:
//   1. if the trigger may have changed the file: load it (config-source.ts); an invalid file is rejected
//      whole, the last good config stays in force, and the failure goes to the log, /status and a metric;
//   2. make sure a client exists for each cluster in use (cluster-clients.ts; a cluster whose connection
//      settings changed gets a new one; the old one is closed only after step 5, once the flows that used it
//      stopped);
//   3. list the topics of every origin (origin-catalog.ts; an origin that cannot be listed keeps its last
//      listing, so a network blip never stops flows);
//   4. desired flows → plan against the running flows (pure; the long parts run in time slices,
//      time-slices.ts, so that /healthz and the flows are served meanwhile); skipped with 5 and 6 when the
//      inputs are those of a round whose plan changed nothing (planning-inputs.ts): an idle discovery round;
//   5. the supervisor applies the plan: stop first, then start, then in-place updates;
//   6. flows stopped because their origin topic was deleted: the destination copy is kept or deleted, as the
//      replication says (deleted-origin-topics.ts);
//   7. on discovery rounds, destination topic configs follow the origin's (topic-config-sync.ts);
//   8. start, stop or restart the consumer-group position syncs (one per replication with `groups` and
//      destination) whose settings changed (group-sync-reconciler.ts);
//   9. close the clients no flow or group sync uses any more.
import type { Config } from '../config/types.js';
import type { KafkaClusterFactory } from '../kafka/port.js';
import { HttpListener } from '../observability/http-listener.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SystemdNotifier } from '../observability/systemd-notify.js';
import { desiredFlowSteps } from '../plan/desired-flows.js';
import type { RejectedFlow } from '../plan/flow-spec.js';
import { flowsOfDeletedOriginTopics } from '../plan/origin-topic-changes.js';
import { planFlows, planHasChanges } from '../plan/plan.js';
import { type PlanningInputs, samePlanningInputs } from '../plan/planning-inputs.js';
import { planLogEntry } from '../plan/render-plan.js';
import { unlistedTopicSteps } from '../plan/unlisted-topics.js';
import { type BandwidthCapStatus, BandwidthCaps } from './bandwidth-caps.js';
import { ClusterClientPool } from './cluster-clients.js';
import { ConfigSource, type ReloadOutcome, StartupFailed } from './config-source.js';
import { CredentialChanges } from './credential-changes.js';
import { DeletedOriginTopics } from './deleted-origin-topics.js';
import type { FlowState } from './flow-state.js';
import type { GroupSyncStatus } from './group-sync.js';
import { GroupSyncReconciler } from './group-sync-reconciler.js';
import type { FlowStatus, MirrorFlow } from './mirror-flow.js';
import { MirrorFlowFactory } from './mirror-flow-factory.js';
import { OffsetSyncStores } from './offset-sync-store.js';
import { OriginCatalog, type OriginListings, type OriginNotListed } from './origin-catalog.js';
import { ReconcileLoop, type ReconcileTrigger } from './reconcile-loop.js';
import { Supervisor } from './supervisor.js';
import { runInSlices } from './time-slices.js';
import { TopicConfigSync } from './topic-config-sync.js';
import { UnmirroredTopicWarnings } from './unmirrored-topic-warnings.js';

export type { ReloadOutcome } from './config-source.js';

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
  readonly originsNotListed: readonly OriginNotListed[];
  /** Replications with maxBytesPerSecond. */
  readonly bandwidthCaps: readonly BandwidthCapStatus[];
}

/** How long a reconcile may run before /readyz reports it as stuck. */
const RECONCILE_STUCK_MS = 120_000;
const COALESCE_MS = 50;

export class Daemon {
  readonly #options: DaemonOptions;
  readonly #logger: Logger;
  readonly #nowMs: () => number;
  readonly #supervisor: Supervisor<MirrorFlow>;
  readonly #flowFactory: MirrorFlowFactory;
  readonly #loop: ReconcileLoop;
  readonly #configSource: ConfigSource;
  readonly #credentialChanges = new CredentialChanges();
  #credentialChangeCounts: ReadonlyMap<string, number> = new Map();
  readonly #clients: ClusterClientPool;
  readonly #originCatalog: OriginCatalog;
  #originsNotListed: readonly OriginNotListed[] = [];
  /** The inputs of the last reconcile, when its plan changed nothing; null otherwise. */
  #plannedNothingFrom: PlanningInputs | null = null;
  readonly #deletedOriginTopics: DeletedOriginTopics;
  readonly #topicConfigSync: TopicConfigSync;
  readonly #unmirrored: UnmirroredTopicWarnings;
  readonly #bandwidthCaps: BandwidthCaps;
  #firstReconcileDone = false;
  /** stop() was called: a start() still under way binds no HTTP address and does not report ready. */
  #stopRequested = false;
  #reconcileStartedMs: number | null = null;
  #discoveryTimer: NodeJS.Timeout | null = null;
  #discoveryIntervalMs = 0;
  readonly #http: HttpListener;
  /** Where records landed, per destination cluster; kept across reloads (flows keep recording into them). */
  readonly #offsetStores = new OffsetSyncStores();
  readonly #groupSyncs: GroupSyncReconciler;

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#nowMs = options.nowMs ?? Date.now;
    const { logger, metrics } = options;
    const nowMs = this.#nowMs;
    this.#bandwidthCaps = new BandwidthCaps(metrics, nowMs);
    this.#configSource = new ConfigSource({
      configPath: options.configPath,
      baseDir: options.baseDir,
      env: options.env,
      logger,
      metrics,
      nowMs,
      applyDaemonSettings: (config) => this.#applyDaemonSettings(config),
      onAccepted: (config) => {
        this.#bandwidthCaps.apply(config.replications);
        this.#credentialChangeCounts = this.#credentialChanges.observe(config);
      },
    });
    this.#unmirrored = new UnmirroredTopicWarnings(logger);
    this.#clients = new ClusterClientPool({ clusterFactory: options.clusterFactory, logger });
    const admin = (cluster: string) => this.#clients.get(cluster)?.admin;
    this.#originCatalog = new OriginCatalog({ admin, logger });
    this.#deletedOriginTopics = new DeletedOriginTopics({ admin, metrics, logger, nowMs });
    this.#topicConfigSync = new TopicConfigSync({ admin, logger });
    const flowFactory = new MirrorFlowFactory({
      clients: (cluster) => this.#clients.get(cluster),
      offsetStores: this.#offsetStores,
      bandwidthCaps: this.#bandwidthCaps,
      config: () => this.#configSource.config,
      logger,
      metrics,
      nowMs,
    });
    this.#flowFactory = flowFactory;
    this.#supervisor = new Supervisor((spec) => flowFactory.create(spec));
    this.#groupSyncs = new GroupSyncReconciler({
      clients: (cluster) => this.#clients.get(cluster),
      offsetStores: this.#offsetStores,
      runningFlows: () => this.#supervisor.runningSpecs(),
      logger,
      metrics,
      nowMs,
    });
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
    return this.#configSource.config?.daemon.shutdownTimeoutMs ?? 30_000;
  }

  /** The address the HTTP server listens on, once started. */
  get httpAddress(): string | null {
    return this.#http.address;
  }

  /**
   * Loads the file, serves HTTP and runs the first reconcile: 'started' once done (flows starting or running),
   * 'stopped' when stop() was called meanwhile (a stop signal during a long first reconcile).
   * @throws StartupFailed when the file is invalid or the HTTP address cannot be bound.
   */
  async start(): Promise<'started' | 'stopped'> {
    const loaded = await this.#configSource.load(true);
    if (this.#stopRequested) return 'stopped';
    if (!loaded) {
      throw new StartupFailed(
        `cannot start with ${this.#options.configPath}`,
        this.#configSource.lastReload?.messages ?? [],
      );
    }
    this.#loop.request('startup');
    await this.#loop.whenIdle();
    if (this.#stopRequested) return 'stopped';
    this.#options.notifier.startWatchdog();
    await this.#options.notifier.ready(this.#summary());
    return this.#stopRequested ? 'stopped' : 'started';
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
    this.#stopRequested = true;
    await this.#options.notifier.stopping('stopping: flushing and committing progress');
    this.#options.notifier.stopWatchdog();
    if (this.#discoveryTimer !== null) clearInterval(this.#discoveryTimer);
    const stopped = (async () => {
      await this.#loop.stop();
      await this.#groupSyncs.stopAll();
      await this.#supervisor.stopAll();
      await this.#clients.closeAll();
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
      lastReload: this.#configSource.lastReload,
      flows: this.#flowStatuses(),
      groupSyncs: this.#groupSyncs.statuses(),
      rejected: this.#unmirrored.rejected,
      originsNotListed: this.#originsNotListed,
      bandwidthCaps: this.#bandwidthCaps.statuses(),
    };
  }

  #flowStatuses(): FlowStatus[] {
    return this.#supervisor
      .flowsWithStopping()
      .map((flow) => flow.status())
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  #notReadyReason(): string | null {
    if (!this.#firstReconcileDone) return 'the first reconcile has not finished';
    if (this.#reconcileStartedMs !== null && this.#nowMs() - this.#reconcileStartedMs > RECONCILE_STUCK_MS) {
      return `a reconcile has been running for ${Math.round((this.#nowMs() - this.#reconcileStartedMs) / 1000)} s`;
    }
    // A flow whose cluster does not answer copies nothing: whoever relies on this process should know.
    const stalled = this.#supervisor.flows().filter((flow) => flow.state === 'stalled');
    if (stalled.length > 0) {
      const first = stalled.reduce((earliest, flow) => (flow.spec.key < earliest.spec.key ? flow : earliest));
      const { key, error } = first.status();
      return `${stalled.length} flow(s) stalled, e.g. ${key}: ${error?.reason}: ${error?.message}`;
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
        await this.#configSource.load(triggers.has('sighup'));
      }
      const config = this.#configSource.config;
      if (config === null) return;
      this.#clients.ensure(config, this.#credentialChangeCounts);
      const { listings, notListed } = await this.#originCatalog.list(config);
      this.#originsNotListed = notListed;
      const inputs: PlanningInputs = {
        config,
        credentialChangeCounts: this.#credentialChangeCounts,
        listings,
        runningGeneration: this.#supervisor.generation,
      };
      // The inputs of a round that found nothing to change find nothing again: not planned (planning-inputs.ts).
      if (!samePlanningInputs(this.#plannedNothingFrom, inputs)) {
        const changed = await this.#planAndApply(config, listings, notListed, triggers);
        this.#plannedNothingFrom = changed ? null : inputs;
      }
      if (triggers.has('discovery')) {
        await this.#topicConfigSync.round(this.#supervisor.flows());
      }
      await this.#groupSyncs.apply(config, this.#credentialChangeCounts);
      await this.#clients.closeRetiredAndUnused(config);
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
   * Steps 4 to 6: the desired flows, the plan against the running flows, applied; the flows of deleted origin
   * topics. True when the plan started, stopped, restarted or updated a flow.
   */
  async #planAndApply(
    config: Config,
    listings: OriginListings['listings'],
    notListed: readonly OriginNotListed[],
    triggers: ReadonlySet<ReconcileTrigger>,
  ): Promise<boolean> {
    const desired = await runInSlices(desiredFlowSteps(config, listings, this.#credentialChangeCounts));
    this.#unmirrored.reportRejected(desired.rejected);
    const unlisted = await runInSlices(unlistedTopicSteps(config, listings));
    await runInSlices(this.#unmirrored.reportUnlisted(unlisted));
    const plan = planFlows(desired.flows, this.#supervisor.runningSpecs());
    const originDeleted = flowsOfDeletedOriginTopics(
      plan.stop,
      listings,
      new Set(notListed.map((failure) => failure.cluster)),
    );
    this.#deletedOriginTopics.reportRecreated(plan.start);
    const logEntry = planLogEntry(plan, [...triggers]);
    if (logEntry !== null) this.#logger.info(logEntry.fields, logEntry.message);
    for (const _ of plan.restart) this.#options.metrics.flowRestarts.inc({ reason: 'config-change' });
    const results = await this.#supervisor.apply(plan);
    for (const spec of plan.stop) this.#flowFactory.forget(spec);
    for (const result of results.filter((r) => !r.ok)) {
      this.#logger.error(
        { flow: result.key, action: result.action },
        `could not ${result.action} flow: ${result.error}`,
      );
    }
    await Promise.all(originDeleted.map((spec) => this.#deletedOriginTopics.onOriginTopicMissing(spec)));
    return planHasChanges(plan);
  }

  /**
   * Applies the daemon-wide settings of a candidate config; returns why it cannot, or null. The new HTTP
   * server is bound before the old one closes, so a bad address leaves the running one serving.
   */
  async #applyDaemonSettings(config: Config): Promise<string | null> {
    if (this.#stopRequested) return null; // a listener bound now would outlive the stop that closed the last
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
    const states = ['starting', 'running', 'stalled', 'paused', 'updating', 'stopping', 'error'] as const;
    const counts = new Map<FlowState, number>(states.map((state) => [state, 0]));
    for (const { state } of this.#supervisor.flowsWithStopping())
      counts.set(state, (counts.get(state) ?? 0) + 1);
    for (const [state, count] of counts) this.#options.metrics.flowsByState.set({ state }, count);
    return this.#options.metrics.exposition();
  }

  #summary(): string {
    const flows = this.#supervisor.flows();
    const byState = new Map<string, number>();
    for (const { state } of flows) byState.set(state, (byState.get(state) ?? 0) + 1);
    const parts = [...byState].map(([state, count]) => `${count} ${state}`);
    const reload =
      this.#configSource.lastReload?.ok === false ? '; last reload FAILED, previous config in force' : '';
    return `${flows.length} flows${parts.length > 0 ? ` (${parts.join(', ')})` : ''}${reload}`;
  }
}
