// Topic lineages kept per lane, on real brokers of every supported Kafka version: the flows of a lane store their
// lineages in one group, `<lane group>.lineage`, keyed by topic, and a flow upgraded from its own lineage group
// carries its lineage over. FlowTopics prepares each flow as a run does; the flow's origin and destination topics
// sit on one cluster under two names (what is kept is keyed by topic, so one cluster shows what two would).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CreatedTopic, KafkaAdmin, TopicId } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { FlowFailure } from '../../src/plan/flow-failure.js';
import { type FlowSpec, flowKey } from '../../src/plan/flow-spec.js';
import { lineageGroupId, type TopicLineage } from '../../src/plan/topic-lineage.js';
import { FlowIdentity } from '../../src/runtime/flow-identity.js';
import { FlowTopics } from '../../src/runtime/flow-topics.js';
import { type LineageGroups, readLineage } from '../../src/runtime/topic-lineage-store.js';
import { eventually, uniqueName } from '../support/kafka-port-contract.js';
import { ordersFlowSpec } from '../support/mirror-flow-fixtures.js';
import { describeOnEveryVersion } from './support/every-version.js';
import { portOn } from './support/port-clusters.js';

const PARTITIONS = 2;
const quiet = createLogger('fatal', { write: () => undefined });

describeOnEveryVersion({}, (target) => {
  let admin: KafkaAdmin;
  const topicsToDelete: string[] = [];

  before(() => {
    admin = portOn(target.clusters()[0]!).createAdmin();
  });
  after(async () => {
    await Promise.allSettled(topicsToDelete.map((topic) => admin.deleteTopic(topic)));
    await admin.close();
  });

  /** A flow of a new origin topic into `<topic>.copy`, and its own consumer group from before lanes. */
  async function newFlow(name: string): Promise<FlowSpec> {
    const originTopic = uniqueName(name);
    const destinationTopic = `${originTopic}.copy`;
    topicsToDelete.push(originTopic, destinationTopic);
    await createTopic(originTopic);
    return {
      ...ordersFlowSpec,
      key: flowKey('a', originTopic, 'b', destinationTopic),
      originTopic,
      destinationTopic,
      partitions: PARTITIONS,
      restartSettings: {
        ...ordersFlowSpec.restartSettings,
        consumerGroupId: `georep.a.b.${originTopic}.copy`,
      },
    };
  }

  async function createTopic(name: string): Promise<CreatedTopic | 'already-exists'> {
    return admin.createTopic({ name, partitionCount: PARTITIONS, replicationFactor: 1, configs: new Map() });
  }

  /** What a run does before it copies: the destination topic made ready, the lineage checked and stored. */
  async function prepare(spec: FlowSpec, lineageGroups: LineageGroups): Promise<FlowTopics> {
    const topics = new FlowTopics({
      identity: new FlowIdentity(spec, quiet, new Metrics()),
      originAdmin: admin,
      destinationAdmin: admin,
      flowsWithStoredProgress: new Set(),
      lineageGroups,
      nowMs: Date.now,
    });
    await topics.prepare();
    return topics;
  }

  /** Lanes are wired: the lane's lineage group, and the flow's own read where the lane's holds nothing. */
  function laneGroups(laneLineageGroupId: string, spec: FlowSpec): LineageGroups {
    return { groupId: laneLineageGroupId, previousGroupId: ownLineageGroupId(spec) };
  }

  function ownLineageGroupId(spec: FlowSpec): string {
    return lineageGroupId(spec.restartSettings.consumerGroupId);
  }

  /** What group `groupId` alone holds for `topic`. */
  async function lineageIn(groupId: string, topic: string): Promise<TopicLineage | null> {
    const stored = await readLineage(admin, { groupId, previousGroupId: groupId }, topic);
    return stored.lineage;
  }

  async function topicId(topic: string): Promise<TopicId> {
    return (await admin.describeTopic(topic)).topicId;
  }

  async function lineageNow(spec: FlowSpec): Promise<TopicLineage> {
    const originTopicId = await topicId(spec.originTopic);
    const destinationTopicId = await topicId(spec.destinationTopic);
    assert.ok(originTopicId !== null && destinationTopicId !== null, 'both Kafka versions tell topic ids');
    return { originTopicId, destinationTopicId };
  }

  test("a flow from before lanes: its lineage is read from its own group and written into the lane's, which it leaves as it was", async () => {
    const spec = await newFlow('upgraded');
    const laneGroup = lineageGroupId(uniqueName('georep.a.b.prefix'));
    await prepare(spec, { groupId: ownLineageGroupId(spec), previousGroupId: ownLineageGroupId(spec) });
    const lineage = await lineageNow(spec);
    const oldGroupBefore = await admin.committedOffsets(ownLineageGroupId(spec), [spec.originTopic]);

    const beforeUpgrade = await readLineage(admin, laneGroups(laneGroup, spec), spec.originTopic);
    assert.deepEqual(beforeUpgrade, { lineage, fromPreviousGroup: true });
    assert.equal(await lineageIn(laneGroup, spec.originTopic), null);

    await prepare(spec, laneGroups(laneGroup, spec));
    assert.deepEqual(
      await lineageIn(laneGroup, spec.originTopic),
      lineage,
      "on the origin, in the lane's group",
    );
    assert.deepEqual(await lineageIn(laneGroup, spec.destinationTopic), lineage, 'on the destination, too');
    assert.deepEqual(
      await readLineage(admin, laneGroups(laneGroup, spec), spec.destinationTopic),
      { lineage, fromPreviousGroup: false },
      "the lane's group is read first from now on",
    );
    assert.deepEqual(
      await admin.committedOffsets(ownLineageGroupId(spec), [spec.originTopic]),
      oldGroupBefore,
      'the old group is left as it was',
    );
    assert.deepEqual(await lineageIn(ownLineageGroupId(spec), spec.destinationTopic), lineage);
  });

  test("two flows of one lane keep their own lineages in the lane's group", async () => {
    const laneGroup = lineageGroupId(uniqueName('georep.a.b.prefix'));
    const first = await newFlow('first');
    const second = await newFlow('second');
    await prepare(first, laneGroups(laneGroup, first));
    await prepare(second, laneGroups(laneGroup, second));
    const firstLineage = await lineageNow(first);
    const secondLineage = await lineageNow(second);
    assert.notDeepEqual(firstLineage, secondLineage);

    await prepare(first, laneGroups(laneGroup, first)); // a restart checks its own lineage, not the other's
    for (const [spec, lineage] of [
      [first, firstLineage],
      [second, secondLineage],
    ] as const) {
      assert.deepEqual(await lineageIn(laneGroup, spec.originTopic), lineage, spec.originTopic);
      assert.deepEqual(await lineageIn(laneGroup, spec.destinationTopic), lineage, spec.destinationTopic);
      assert.equal(
        await lineageIn(ownLineageGroupId(spec), spec.originTopic),
        null,
        'nothing in the own group',
      );
    }
  });

  test("an origin topic re-created is told by the lineage in the lane's group; the lane's other flow starts", async (context) => {
    const laneGroup = lineageGroupId(uniqueName('georep.a.b.prefix'));
    const recreated = await newFlow('recreated');
    const other = await newFlow('other');
    await prepare(recreated, laneGroups(laneGroup, recreated));
    await prepare(other, laneGroups(laneGroup, other));
    const copiedFrom = await topicId(recreated.originTopic);

    await admin.deleteTopic(recreated.originTopic);
    // Kafka deletes a topic in the background: create it again as soon as Kafka lets it.
    await eventually(
      'the origin topic created again',
      async () => {
        const outcome = await createTopic(recreated.originTopic).catch(() => null);
        return outcome === null || outcome === 'already-exists' ? undefined : true;
      },
      context.signal,
    );
    const newId = await topicId(recreated.originTopic);
    assert.notEqual(newId, copiedFrom);

    await assert.rejects(prepare(recreated, laneGroups(laneGroup, recreated)), (error) => {
      assert.ok(error instanceof FlowFailure);
      assert.equal(error.flowError.reason, 'origin-topic-recreated');
      assert.match(error.message, new RegExp(`topic id ${newId};.* holds the copy of ${copiedFrom}`));
      assert.ok(
        error.message.includes(
          `${recreated.destinationTopic} in consumer group ${laneGroup} and ${ownLineageGroupId(recreated)}`,
        ),
        'names the lineage groups to delete the offsets from',
      );
      return true;
    });
    await prepare(other, laneGroups(laneGroup, other));
    assert.deepEqual(await lineageIn(laneGroup, other.destinationTopic), await lineageNow(other));
  });
});
