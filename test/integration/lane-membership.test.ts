// A lane's consumer group on real brokers of every supported Kafka version: georep's sticky slot assignment
// through @platformatic/kafka's Consumer (a member that subscribes to no topic and carries its slots as user
// data). Members split the 256 slots; a member joining takes only its share, a member leaving gives only its
// own; offsets commit with the member's generation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withAdmin } from '../../harness/kafka-client.js';
import { kafkaTestTargets, type TestCluster } from '../../harness/test-clusters.js';
import { LaneMembership } from '../../src/kafka/platformatic/lane-membership.js';
import { SLOT_COUNT } from '../../src/plan/lanes.js';
import { eventually, uniqueName } from '../support/kafka-port-contract.js';
import { clusterConfig } from './support/port-clusters.js';

const targets = kafkaTestTargets({ clusters: 1 });

before(async (context) => {
  await Promise.all(
    targets.filter((target) => !target.skipReason).map((target) => target.start(context.signal)),
  );
});
after(async () => {
  await Promise.all(targets.map((target) => target.stop()));
});

/** A member of a lane group and the last assignment it was told of. */
interface Member {
  readonly membership: LaneMembership;
  slots: readonly number[] | null;
  generation: number;
  rebalancing: boolean;
}

function member(cluster: TestCluster, groupId: string): Member {
  const state: Member = {
    membership: undefined as unknown as LaneMembership,
    slots: null,
    generation: -1,
    rebalancing: false,
  };
  const membership = new LaneMembership(
    clusterConfig(cluster),
    { groupId },
    {
      onAssigned: (slots, generation) => {
        state.slots = slots;
        state.generation = generation;
        state.rebalancing = false;
      },
      onRebalancing: () => {
        state.rebalancing = true;
      },
      onError: (error) => {
        throw error;
      },
    },
  );
  return Object.assign(state, { membership });
}

/** Waits until the members agree on one generation and their slots cover every slot exactly once. */
async function settled(members: readonly Member[], signal: AbortSignal): Promise<number[][]> {
  return eventually(
    `${members.length} members to split the slots`,
    () => {
      const generations = new Set(members.map((one) => one.generation));
      if (generations.size !== 1 || members.some((one) => one.rebalancing || one.slots === null)) return;
      const shares = members.map((one) => [...one.slots!]);
      const all = shares.flat();
      if (all.length !== SLOT_COUNT || new Set(all).size !== SLOT_COUNT) return;
      return shares;
    },
    signal,
  );
}

for (const target of targets) {
  describe(target.label, { skip: target.skipReason }, () => {
    let cluster: TestCluster;
    before(() => {
      cluster = target.clusters()[0]!;
    });

    test('members split the slots; joining takes only a share, leaving gives only its own', async (context) => {
      const groupId = uniqueName('georep.lane');
      const first = member(cluster, groupId);
      await first.membership.join();
      assert.equal(first.slots?.length, SLOT_COUNT, 'a group of one holds every slot');

      const second = member(cluster, groupId);
      const members = [first, second];
      try {
        await second.membership.join();
        const [a2, b2] = await settled(members, context.signal);
        assert.deepEqual([a2!.length, b2!.length], [128, 128]);

        const third = member(cluster, groupId);
        members.push(third);
        await third.membership.join();
        const [a3, b3, c3] = await settled(members, context.signal);
        assert.deepEqual(
          [a3!.length, b3!.length, c3!.length].sort((x, y) => x - y),
          [85, 85, 86],
        );
        assert.ok(
          a3!.every((slot) => a2!.includes(slot)),
          'the first kept only slots it had',
        );
        assert.ok(
          b3!.every((slot) => b2!.includes(slot)),
          'the second kept only slots it had',
        );

        await second.membership.leave();
        members.splice(1, 1);
        const [a4, c4] = await settled(members, context.signal);
        assert.ok(
          a3!.every((slot) => a4!.includes(slot)),
          'the first kept every slot it had',
        );
        assert.ok(
          c3!.every((slot) => c4!.includes(slot)),
          'the third kept every slot it had',
        );
        assert.deepEqual([a4!.length, c4!.length], [128, 128]);
      } finally {
        await Promise.all(members.map((one) => one.membership.leave()));
      }
    });

    test('a member commits offsets of any topic with its generation, and reads them back', async () => {
      const topic = uniqueName('lane-commits');
      await withAdmin(cluster.brokers, (admin) =>
        admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 }),
      );
      const one = member(cluster, uniqueName('georep.lane'));
      await one.membership.join();
      try {
        const { consumer } = one.membership;
        await consumer.commit({
          offsets: [
            { topic, partition: 0, offset: 7n, leaderEpoch: -1 },
            { topic, partition: 1, offset: 9n, leaderEpoch: -1 },
          ],
        });
        const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [0, 1] }] });
        assert.deepEqual(committed.get(topic), [7n, 9n]);
      } finally {
        await one.membership.leave();
        await withAdmin(cluster.brokers, (admin) => admin.deleteTopics({ topics: [topic] }));
      }
    });
  });
}
