// Flows reading through their lane on real brokers of every supported Kafka version: one consumer group and one
// membership for all the flows of a lane in a process; a flow attaching or detaching does not rebalance the
// group or disturb the others; two processes split a topic's partitions through the lane's slots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaTestTargets, type TestCluster } from '../../harness/test-clusters.js';
import { TopicNotFound } from '../../src/kafka/errors.js';
import type {
  KafkaAdmin,
  KafkaCluster,
  LaneRecordSource,
  RecordToWrite,
  SourceEvent,
} from '../../src/kafka/port.js';
import { eventually, uniqueName } from '../support/kafka-port-contract.js';
import { portOn } from './support/port-clusters.js';

const targets = kafkaTestTargets({ clusters: 1 });

before(async (context) => {
  await Promise.all(
    targets.filter((target) => !target.skipReason).map((target) => target.start(context.signal)),
  );
});
after(async () => {
  await Promise.all(targets.map((target) => target.stop()));
});

/** A flow's view of its lane source: the records it got, by partition, and the source's events. */
interface Reading {
  readonly source: LaneRecordSource;
  readonly received: Map<number, string[]>;
  readonly events: SourceEvent[];
  readonly done: Promise<void>;
}

function records(count: number, label: string): RecordToWrite[] {
  return Array.from({ length: count }, (_, index) => ({
    key: null,
    value: Buffer.from(`${label}-${index}`),
    headers: [],
    timestampMs: 1_700_000_000_000 + index,
  }));
}

function read(
  port: KafkaCluster,
  topic: string,
  laneGroupId: string,
  options: { readonly previousGroupId?: string } = {},
): Reading {
  const source = port.createLaneSource!({ topic, laneGroupId, startPosition: 'earliest', ...options });
  const received = new Map<number, string[]>();
  const events: SourceEvent[] = [];
  const done = source.run(
    async (batch) => {
      const values = received.get(batch.partition) ?? [];
      values.push(...batch.records.map((record) => record.value!.toString()));
      received.set(batch.partition, values);
    },
    (event) => events.push(event),
  );
  return { source, received, events, done };
}

const count = (reading: Reading) =>
  [...reading.received.values()].reduce((sum, values) => sum + values.length, 0);

for (const target of targets) {
  describe(target.label, { skip: target.skipReason }, () => {
    let cluster: TestCluster;
    let admin: KafkaAdmin;
    const topics: string[] = [];

    before(() => {
      cluster = target.clusters()[0]!;
      admin = portOn(cluster).createAdmin();
    });
    after(async () => {
      for (const topic of topics) await admin.deleteTopic(topic).catch(() => undefined);
      await admin.close();
    });

    async function topicWith(partitionCount: number, perPartition: number): Promise<string> {
      const name = uniqueName('lane');
      await admin.createTopic({ name, partitionCount, replicationFactor: 1, configs: new Map() });
      topics.push(name);
      await write(name, partitionCount, perPartition, 'first');
      return name;
    }

    async function write(topic: string, partitionCount: number, perPartition: number, label: string) {
      const sink = portOn(cluster).createSink();
      for (let partition = 0; partition < partitionCount; partition++) {
        await sink.write(topic, partition, records(perPartition, `${label}-p${partition}`));
      }
      await sink.close();
    }

    test('the flows of a lane share one group member; one detaching leaves the others undisturbed', async (context) => {
      const port = portOn(cluster);
      const laneGroupId = uniqueName('georep.lane');
      const [a, b, c] = [await topicWith(2, 10), await topicWith(2, 10), await topicWith(1, 10)];
      const readings = [a, b, c].map((topic) => read(port, topic!, laneGroupId));
      await eventually(
        'every record of the three topics',
        () => (readings.map(count).join() === '20,20,10' ? true : undefined),
        context.signal,
      );
      const [group] = await admin.describeConsumerGroups([laneGroupId]);
      assert.equal(group?.memberCount, 1, 'one member for the three flows');
      await eventually(
        'the committed offsets of every flow',
        async () => {
          const committed = await admin.committedOffsets(laneGroupId, [a!, b!, c!]);
          return committed.every((entry) => entry.offset === 10n) ? true : undefined;
        },
        context.signal,
      );

      await readings[0]!.source.stop();
      await readings[0]!.done;
      await write(b!, 2, 5, 'second');
      await eventually(
        'the records written after a flow detached',
        () => (count(readings[1]!) === 30 ? true : undefined),
        context.signal,
      );
      for (const reading of readings.slice(1)) {
        assert.deepEqual(
          reading.events
            .filter((event) => event.type === 'assigned' || event.type === 'rebalancing')
            .map((event) => event.type),
          ['assigned'],
          'assigned once, never rebalanced',
        );
      }
      assert.deepEqual(readings[1]!.received.get(0)?.slice(-1), ['second-p0-4']);
      await Promise.all(readings.slice(1).map((reading) => reading.source.stop()));
      const [left] = await admin.describeConsumerGroups([laneGroupId]);
      assert.equal(left?.memberCount, 0, 'the last flow detaching leaves the group');
    });

    test("an idle lane knows its partitions' ends from its fetches, as the origin lists them; paused, none", async (context) => {
      const port = portOn(cluster);
      const laneGroupId = uniqueName('georep.lane');
      const topic = await topicWith(2, 5);
      const reading = read(port, topic, laneGroupId);
      const ends = () =>
        reading.source
          .fetchedEndOffsets()
          .map(({ partition, lastStableOffset }) => `${partition}:${lastStableOffset}`)
          .sort()
          .join();
      await eventually(
        'both partitions read',
        () => (count(reading) === 10 ? true : undefined),
        context.signal,
      );
      await write(topic, 2, 3, 'more');
      const listed = async () =>
        (await admin.partitionOffsets(topic)).map(({ partition, latest }) => `${partition}:${latest}`).join();
      assert.equal(await listed(), '0:8,1:8');
      // Idle, the fetches go on in the lane's fetch session, whose answers leave out what did not move.
      await eventually(
        'the ends the origin lists',
        () => (ends() === '0:8,1:8' ? true : undefined),
        context.signal,
      );
      await sleep(1_500);
      assert.equal(ends(), await listed());
      assert.ok(
        reading.source.fetchedEndOffsets().every(({ ageMs }) => ageMs < 1_500),
        'as of a fetch answered since',
      );
      reading.source.pause();
      assert.deepEqual(
        reading.source.fetchedEndOffsets(),
        [],
        'a paused flow fetches nothing: the origin is asked',
      );
      await reading.source.stop();
      await reading.done;
    });

    test('a deleted topic fails its own flow only; the other flows of the lane copy on', async (context) => {
      const port = portOn(cluster);
      const laneGroupId = uniqueName('georep.lane');
      const [a, b, deleted] = [await topicWith(2, 10), await topicWith(1, 10), await topicWith(2, 10)];
      const readings = [a, b, deleted].map((topic) => read(port, topic!, laneGroupId));
      const ended = readings.map((reading) =>
        reading.done.then(
          () => 'stopped',
          (error: unknown) => error,
        ),
      );
      await eventually(
        'every record of the three topics',
        () => (readings.map(count).join() === '20,10,20' ? true : undefined),
        context.signal,
      );

      await admin.deleteTopic(deleted!);
      await write(a!, 2, 5, 'second');
      await write(b!, 1, 5, 'second');
      const error = await ended[2];
      assert.ok(
        error instanceof TopicNotFound,
        `the deleted topic's flow fails with TopicNotFound: ${error}`,
      );
      assert.match(error.message, new RegExp(`topic ${deleted} does not exist`));
      await eventually(
        'the records written to the other topics around the deletion',
        () => (readings.slice(0, 2).map(count).join() === '30,15' ? true : undefined),
        context.signal,
      );
      const expected = (partition: number) => [
        ...Array.from({ length: 10 }, (_, index) => `first-p${partition}-${index}`),
        ...Array.from({ length: 5 }, (_, index) => `second-p${partition}-${index}`),
      ];
      assert.deepEqual(readings[0]!.received.get(0), expected(0), 'every record once, in order');
      assert.deepEqual(readings[0]!.received.get(1), expected(1));
      assert.deepEqual(readings[1]!.received.get(0), expected(0));
      const settled = await Promise.race([Promise.all(ended.slice(0, 2)), Promise.resolve('running')]);
      assert.equal(settled, 'running', 'the other flows run on');
      for (const reading of readings.slice(0, 2)) {
        const starts = reading.events.filter(
          (event) => event.type === 'assigned' || event.type === 'rebalancing',
        );
        assert.deepEqual(
          starts.map((event) => event.type),
          ['assigned'],
          'never restarted',
        );
      }
      await Promise.all(readings.slice(0, 2).map((reading) => reading.source.stop()));
      assert.deepEqual(
        await Promise.all(ended.slice(0, 2)),
        ['stopped', 'stopped'],
        'and stop without an error',
      );
    });

    test('a topic that grows while attached: records of its new partitions arrive once the flow says so', async (context) => {
      const port = portOn(cluster);
      const laneGroupId = uniqueName('georep.lane');
      const [grown, other] = [await topicWith(1, 10), await topicWith(1, 10)];
      const readings = [grown, other].map((topic) => read(port, topic!, laneGroupId));
      await eventually(
        'every record of both topics',
        () => (readings.map(count).join() === '10,10' ? true : undefined),
        context.signal,
      );

      await admin.createPartitions(grown!, 3);
      // A producer asked too early may not know the new partitions yet (brokers learn of them asynchronously).
      await eventually(
        'the new partitions in the metadata',
        async () => ((await admin.describeTopic(grown!)).partitions.length === 3 ? true : undefined),
        context.signal,
      );
      await write(grown!, 3, 5, 'second');
      await readings[0]!.source.partitionsAdded();
      await eventually(
        'the records of the new partitions',
        () => (count(readings[0]!) === 25 ? true : undefined),
        context.signal,
      );
      assert.deepEqual(readings[0]!.received.get(0), [
        ...Array.from({ length: 10 }, (_, index) => `first-p0-${index}`),
        ...Array.from({ length: 5 }, (_, index) => `second-p0-${index}`),
      ]);
      for (const partition of [1, 2]) {
        const expected = Array.from({ length: 5 }, (_, index) => `second-p${partition}-${index}`);
        assert.deepEqual(readings[0]!.received.get(partition), expected);
      }
      const assigned = (reading: Reading) =>
        reading.events.flatMap((event) => (event.type === 'assigned' ? [event.partitions] : []));
      assert.deepEqual(assigned(readings[0]!), [[0], [0, 1, 2]]);
      assert.deepEqual(assigned(readings[1]!), [[0]], 'the other flow is not restarted');
      await Promise.all(readings.map((reading) => reading.source.stop()));
    });

    test('upgrading from one group per flow: a partition without a lane offset resumes from the old group', async (context) => {
      const laneGroupId = uniqueName('georep.lane');
      const previousGroupId = uniqueName('georep.a.b.flow');
      const topic = await topicWith(3, 10);
      // p0: only the old group has an offset; p1: both have one, the lane's wins; p2: neither, start earliest.
      const previousOffsets = [
        { partition: 0, offset: 6n },
        { partition: 1, offset: 3n },
      ];
      await admin.setCommittedOffsets(previousGroupId, topic, previousOffsets);
      await admin.setCommittedOffsets(laneGroupId, topic, [{ partition: 1, offset: 8n }]);

      const reading = read(portOn(cluster), topic, laneGroupId, { previousGroupId });
      await eventually(
        'the records past each start',
        () => (count(reading) === 16 ? true : undefined),
        context.signal,
      );
      const from = (partition: number, start: number) =>
        Array.from({ length: 10 - start }, (_, index) => `first-p${partition}-${start + index}`);
      assert.deepEqual(reading.received.get(0), from(0, 6), 'p0 resumes from the old group');
      assert.deepEqual(reading.received.get(1), from(1, 8), "p1 resumes from the lane's own offset");
      assert.deepEqual(reading.received.get(2), from(2, 0), 'p2 starts at earliest');
      await eventually(
        'the lane to commit every partition',
        async () => {
          const committed = await admin.committedOffsets(laneGroupId, [topic]);
          return committed.every((entry) => entry.offset === 10n) ? true : undefined;
        },
        context.signal,
      );
      await reading.source.stop();
      const old = await admin.committedOffsets(previousGroupId, [topic]);
      assert.deepEqual(
        old.map(({ partition, offset }) => [partition, offset]),
        [
          [0, 6n],
          [1, 3n],
          [2, null],
        ],
        'the old group is left as it was',
      );
    });

    test('two processes split a topic through the lane slots, each record read once', async (context) => {
      const laneGroupId = uniqueName('georep.lane');
      const topic = await topicWith(6, 5);
      const first = read(portOn(cluster), topic, laneGroupId);
      await eventually(
        'the first process to read everything',
        () => (count(first) === 30 ? true : undefined),
        context.signal,
      );
      const second = read(portOn(cluster), topic, laneGroupId);
      const held = (reading: Reading) => {
        const assigned = reading.events.filter((event) => event.type === 'assigned');
        return assigned.at(-1)?.type === 'assigned' ? assigned.at(-1)!.partitions : undefined;
      };
      await eventually(
        'both processes to hold a share',
        () => {
          const shares = [held(first), held(second)];
          if (shares.some((share) => share === undefined || share.length === 0)) return undefined;
          return shares[0]!.length + shares[1]!.length === 6 ? true : undefined;
        },
        context.signal,
      );
      await write(topic, 6, 5, 'second');
      await eventually(
        'the records written after the split',
        () => (count(first) + count(second) === 60 ? true : undefined),
        context.signal,
      );
      const all = [...first.received.values(), ...second.received.values()].flat();
      assert.equal(new Set(all).size, all.length, 'no record read twice');
      await Promise.all([first.source.stop(), second.source.stop()]);
    });
  });
}
