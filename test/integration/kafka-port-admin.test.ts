// The admin contract (test/support/kafka-admin-contract.ts) against real brokers of every supported Kafka
// version, for both adapters in one run: each is made explicitly here, whatever GEOREP_KAFKA_CLIENT says.
// Records, group members and open transactions come from plain kafkajs clients, not from the adapter under
// test. Besides the contract: what only a real broker shows (internal topics, config values it refuses).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Consumer, Kafka } from 'kafkajs';
import { kafkaTestTargets, type TestCluster } from '../../harness/test-clusters.js';
import { InvalidRequest } from '../../src/kafka/errors.js';
import { createKafkajsCluster } from '../../src/kafka/kafkajs/cluster.js';
import { createKafkajsClient } from '../../src/kafka/kafkajs-setup.js';
import { createPlatformaticCluster } from '../../src/kafka/platformatic/cluster.js';
import type { KafkaClusterFactory, NewTopic } from '../../src/kafka/port.js';
import { type AdminContractSubject, adminContract } from '../support/kafka-admin-contract.js';
import { uniqueName } from '../support/kafka-port-contract.js';
import { clusterConfig } from './support/port-clusters.js';

interface Adapter {
  readonly name: string;
  readonly create: KafkaClusterFactory;
  readonly reportsTopicIds: boolean;
  /** Whether its errors carry the broker's own message (kafkajs keeps only the error code's text). */
  readonly keepsBrokerMessages: boolean;
}

const ADAPTERS: readonly Adapter[] = [
  { name: 'kafkajs', create: createKafkajsCluster, reportsTopicIds: false, keepsBrokerMessages: false },
  {
    name: '@platformatic/kafka',
    create: createPlatformaticCluster,
    reportsTopicIds: true,
    keepsBrokerMessages: true,
  },
];

/** An InvalidRequest that names `config`, where the adapter keeps the broker's message. */
function invalidNaming(adapter: Adapter, config: string) {
  return (error: unknown) =>
    error instanceof InvalidRequest && (!adapter.keepsBrokerMessages || error.message.includes(config));
}

const ignoreLogs = () => {};

/** A topic of one partition, one replica and no configs of its own, unless `changes` say otherwise. */
function newTopic(name: string, changes: Partial<NewTopic> = {}): NewTopic {
  return { name, partitionCount: 1, replicationFactor: 1, configs: new Map(), ...changes };
}

/** The contract's helpers on a real cluster, through plain kafkajs clients. */
function brokerSide(kafka: Kafka, openConsumers: Set<Consumer>) {
  return {
    async write(topic: string, partition: number, count: number): Promise<void> {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: count }, (_, index) => ({ partition, value: `record ${index}` })),
        });
      } finally {
        await producer.disconnect();
      }
    },

    async joinGroup(topic: string, groupId: string): Promise<() => Promise<void>> {
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
      openConsumers.add(consumer);
      const joined = new Promise<void>((resolve) => {
        consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      await joined;
      return async () => {
        openConsumers.delete(consumer);
        await consumer.disconnect();
      };
    },

    async openTransaction(topic: string, count: number): Promise<() => Promise<void>> {
      const producer = kafka.producer({
        transactionalId: uniqueName('admin-contract-tx'),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      const transaction = await producer.transaction();
      await transaction.send({
        topic,
        messages: Array.from({ length: count }, (_, index) => ({ partition: 0, value: `open ${index}` })),
      });
      return async () => {
        await transaction.abort();
        await producer.disconnect();
      };
    },
  };
}

const targets = kafkaTestTargets({ clusters: 1 });

before(async (context) => {
  await Promise.all(
    targets.filter((target) => !target.skipReason).map((target) => target.start(context.signal)),
  );
});
after(async () => {
  await Promise.all(targets.map((target) => target.stop()));
});

for (const target of targets) {
  describe(target.label, { skip: target.skipReason }, () => {
    for (const adapter of ADAPTERS) {
      describe(`the ${adapter.name} adapter`, () => {
        let cluster: TestCluster;
        let kafka: Kafka;
        let subject: AdminContractSubject;
        const openConsumers = new Set<Consumer>();

        before(() => {
          cluster = target.clusters()[0]!;
          kafka = createKafkajsClient({ brokers: cluster.brokers, logLevel: 0 });
          subject = {
            admin: adapter.create(clusterConfig(cluster), ignoreLogs).createAdmin(),
            reportsTopicIds: adapter.reportsTopicIds,
            createdTopics: [],
            ...brokerSide(kafka, openConsumers),
          };
        });
        after(async () => {
          await Promise.all([...openConsumers].map((consumer) => consumer.disconnect()));
          if (subject.createdTopics.length > 0) {
            const kafkajsAdmin = kafka.admin();
            await kafkajsAdmin.connect();
            const existing = new Set(await kafkajsAdmin.listTopics());
            await kafkajsAdmin.deleteTopics({
              topics: subject.createdTopics.filter((topic) => existing.has(topic)),
            });
            await kafkajsAdmin.disconnect();
          }
          await subject?.admin.close();
        });

        adminContract(() => subject);

        test("lists Kafka's internal topics too", async () => {
          // a group's offsets live in __consumer_offsets, which Kafka creates on their first use
          const topic = uniqueName('admin-internal');
          await subject.admin.createTopic(newTopic(topic));
          subject.createdTopics.push(topic);
          await subject.admin.setCommittedOffsets(uniqueName('admin-internal-group'), topic, [
            { partition: 0, offset: 0n },
          ]);
          const listed = await subject.admin.listTopics();
          const offsetsTopic = listed.find((entry) => entry.name === '__consumer_offsets');
          assert.ok(offsetsTopic !== undefined && offsetsTopic.partitionCount > 0);
        });

        test('refuses a bad config value or replication factor as InvalidRequest', async () => {
          const topic = uniqueName('admin-invalid');
          await assert.rejects(
            subject.admin.createTopic(newTopic(topic, { configs: new Map([['retention.ms', 'forever']]) })),
            invalidNaming(adapter, 'retention.ms'),
          );
          await assert.rejects(
            subject.admin.createTopic(newTopic(topic, { replicationFactor: 9 })),
            InvalidRequest,
          );
          await subject.admin.createTopic(newTopic(topic));
          subject.createdTopics.push(topic);
          await assert.rejects(
            subject.admin.alterTopicConfigs(topic, {
              set: new Map([['retention.ms', 'forever']]),
              remove: [],
            }),
            invalidNaming(adapter, 'retention.ms'),
          );
        });
      });
    }
  });
}
