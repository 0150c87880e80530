// On discovery rounds, destination topic configs follow the origin's: one batched DescribeConfigs per cluster
// for a share of the flows that copy (all of them up to CONFIG_SYNC_FLOWS_PER_ROUND), a pure comparison
// (plan/topic-configs.ts), then one replace per drifted topic. Each failure is reported on its flow; the others
// go ahead.
import type { KafkaAdmin, TopicConfigEntry } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import { describeConfigDrift, nextConfigSyncShare, planTopicConfigSync } from '../plan/topic-configs.js';

/** A running flow as the config sync sees it (a MirrorFlow). */
export interface ConfigSyncedFlow {
  readonly spec: FlowSpec;
  /** True once the destination topic is prepared and the flow copies: only then are its configs synced. */
  readonly copying: boolean;
  /** Takes the outcome of a change to the destination topic's configs (log, metric, /status). */
  recordTopicConfigSync(outcome: { readonly applied: string } | { readonly error: string }): void;
}

export interface TopicConfigSyncDependencies {
  /** The admin client of a cluster, or undefined when there is none. */
  readonly admin: (cluster: string) => KafkaAdmin | undefined;
  readonly logger: Logger;
}

/**
 * Most flows whose configs one round compares. Describing every topic each round would make an idle process with
 * 10,000 flows parse megabytes of configs every few seconds; in shares, a change on the origin reaches the
 * destination within ceil(flows / 500) rounds (100 s at 10,000 flows and 5 s rounds), and at once up to 500 flows.
 */
export const CONFIG_SYNC_FLOWS_PER_ROUND = 500;

/** The discovery rounds' config sync: each round, the next share of the copying flows (nextConfigSyncShare). */
export class TopicConfigSync {
  readonly #deps: TopicConfigSyncDependencies;
  #lastKey: string | null = null;

  constructor(deps: TopicConfigSyncDependencies) {
    this.#deps = deps;
  }

  async round(flows: readonly ConfigSyncedFlow[]): Promise<void> {
    const copying = flows.filter((flow) => flow.copying);
    const share = nextConfigSyncShare(
      copying.map((flow) => flow.spec.key),
      this.#lastKey,
      CONFIG_SYNC_FLOWS_PER_ROUND,
    );
    this.#lastKey = share.lastKey;
    const chosen = new Set(share.keys);
    await syncTopicConfigs(
      copying.filter((flow) => chosen.has(flow.spec.key)),
      this.#deps,
    );
  }
}

/** Makes the destination topics' configs of the copying flows among `flows` follow their origin topics'. */
async function syncTopicConfigs(
  flows: readonly ConfigSyncedFlow[],
  deps: TopicConfigSyncDependencies,
): Promise<void> {
  const copying = flows.filter((flow) => flow.copying);
  if (copying.length === 0) return;
  const topicsByCluster = new Map<string, Set<string>>();
  const add = (cluster: string, topic: string) =>
    topicsByCluster.set(cluster, (topicsByCluster.get(cluster) ?? new Set()).add(topic));
  for (const { spec } of copying) {
    add(spec.origin, spec.originTopic);
    add(spec.destination, spec.destinationTopic);
  }
  const described = new Map(
    await Promise.all(
      [...topicsByCluster].map(
        async ([cluster, topics]) =>
          [cluster, await describeTopicConfigs(cluster, [...topics], deps)] as const,
      ),
    ),
  );
  const updates = planTopicConfigSync(
    copying.map((flow) => ({
      key: flow.spec.key,
      origin: flow.spec.origin,
      originTopic: flow.spec.originTopic,
      destination: flow.spec.destination,
      destinationTopic: flow.spec.destinationTopic,
      topicConfigExclude: flow.spec.restartSettings.topicConfigExclude,
      mirrorFlow: flow,
    })),
    described,
  );
  await Promise.all(
    updates.map(async ({ flow, update }) => {
      const admin = deps.admin(flow.destination);
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
async function describeTopicConfigs(
  cluster: string,
  topics: readonly string[],
  deps: TopicConfigSyncDependencies,
): Promise<Map<string, TopicConfigEntry[]>> {
  const admin = deps.admin(cluster);
  if (admin === undefined) return new Map();
  try {
    return await admin.describeTopicConfigs(topics);
  } catch (error) {
    deps.logger.warn(
      { cluster, err: error },
      'cannot describe topic configs; config sync waits for the next round',
    );
    return new Map();
  }
}
