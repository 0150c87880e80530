// The consumer-group position syncs, one per replication with `groups` and destination, kept in step with the
// config in force: the group syncs' plan (plan/group-syncs.ts) says which to start, stop, restart or update.
// Flows are never touched here; a sync reads which topics the running flows copy when it translates.
import type { Config } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import { desiredGroupSyncs, planGroupSyncs } from '../plan/group-syncs.js';
import { planHasChanges } from '../plan/plan.js';
import type { ClusterClients } from './cluster-clients.js';
import { GroupSync, type GroupSyncStatus } from './group-sync.js';
import type { OffsetSyncStores } from './offset-sync-store.js';

export interface GroupSyncReconcilerDependencies {
  /** The clients of a cluster, or undefined when there is none. */
  readonly clients: (cluster: string) => ClusterClients | undefined;
  /** Where the flows record where records landed, per destination cluster. */
  readonly offsetStores: OffsetSyncStores;
  /** The specs of the flows that run now. */
  readonly runningFlows: () => readonly FlowSpec[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly nowMs: () => number;
}

export class GroupSyncReconciler {
  readonly #deps: GroupSyncReconcilerDependencies;
  readonly #syncs = new Map<string, GroupSync>();

  constructor(deps: GroupSyncReconcilerDependencies) {
    this.#deps = deps;
  }

  /** The syncs' statuses, by key. */
  statuses(): GroupSyncStatus[] {
    return [...this.#syncs.values()].map((sync) => sync.status()).sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /**
   * Applies the group syncs' plan for `config`: a sync whose settings or clusters' connections changed
   * (`credentialChangeCounts`: how often each cluster's secrets changed) restarts, a renamed replication's
   * sync takes the name in place, a removed one stops.
   */
  async apply(config: Config, credentialChangeCounts: ReadonlyMap<string, number>): Promise<void> {
    const { logger } = this.#deps;
    const plan = planGroupSyncs(
      desiredGroupSyncs(config, credentialChangeCounts),
      [...this.#syncs.values()].map((sync) => sync.spec),
    );
    if (planHasChanges(plan)) {
      logger.info(
        {
          start: plan.start.map((spec) => spec.key),
          stop: plan.stop.map((spec) => spec.key),
          restart: plan.restart.map((c) => ({ groupSync: c.to.key, changes: c.changes })),
          update: plan.update.map((c) => ({ groupSync: c.to.key, changes: c.changes })),
        },
        `applying group-sync plan: ${plan.start.length} to start, ${plan.stop.length} to stop, ${plan.restart.length} to restart, ${plan.update.length} to update`,
      );
    }
    await this.#stop([...plan.stop, ...plan.restart.map((change) => change.from)].map((s) => s.key));
    for (const change of plan.update) this.#syncs.get(change.to.key)?.update(change.to);
    for (const spec of [...plan.start, ...plan.restart.map((change) => change.to)]) {
      const origin = this.#deps.clients(spec.origin);
      const destination = this.#deps.clients(spec.destination);
      if (origin === undefined || destination === undefined) continue;
      const sync = new GroupSync(spec, {
        originAdmin: origin.admin,
        destination: destination.cluster,
        destinationAdmin: destination.admin,
        destinationSink: destination.sink,
        store: this.#deps.offsetStores.of(spec.destination),
        mirroredTopics: () =>
          this.#deps
            .runningFlows()
            .filter((flow) => flow.origin === spec.origin && flow.destination === spec.destination)
            .map((flow) => ({ originTopic: flow.originTopic, destinationTopic: flow.destinationTopic })),
        logger,
        metrics: this.#deps.metrics,
        nowMs: this.#deps.nowMs,
        readTimeoutMs: 60_000,
      });
      this.#syncs.set(spec.key, sync);
      logger.info({ groupSync: spec.key, replication: spec.replication }, 'group sync started');
    }
  }

  /** Stops every sync (shutdown). */
  async stopAll(): Promise<void> {
    await this.#stop([...this.#syncs.keys()]);
  }

  async #stop(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const running = this.#syncs.get(key);
        this.#syncs.delete(key);
        await running?.stop();
      }),
    );
  }
}
