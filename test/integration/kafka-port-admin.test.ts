// The admin contract (test/support/kafka-admin-contract.ts) against real brokers of every supported Kafka
// version. Records, group members and open transactions come from the project's tool clients
// (harness/kafka-writer.ts, harness/kafka-reader.ts), not from the adapter under test. Besides the contract:
// what only a real broker shows (internal topics, config values it refuses).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { withAdmin } from '../../harness/kafka-client.js';
import { openReader, type TopicReader } from '../../harness/kafka-reader.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import type { TestCluster } from '../../harness/test-clusters.js';
import { InvalidRequest } from '../../src/kafka/errors.js';
import type { NewTopic } from '../../src/kafka/port.js';
import { type AdminContractSubject, adminContract } from '../support/kafka-admin-contract.js';
import { uniqueName } from '../support/kafka-port-contract.js';
import { describeOnEveryVersion } from './support/every-version.js';
import { portOn } from './support/port-clusters.js';

/** An InvalidRequest that names `config`: the adapter keeps the broker's own message. */
function invalidNaming(config: string) {
  return (error: unknown) => error instanceof InvalidRequest && error.message.includes(config);
}

/** A topic of one partition, one replica and no configs of its own, unless `changes` say otherwise. */
function newTopic(name: string, changes: Partial<NewTopic> = {}): NewTopic {
  return { name, partitionCount: 1, replicationFactor: 1, configs: new Map(), ...changes };
}

/** The contract's helpers on a real cluster, through the tools' own clients. */
function brokerSide(brokers: readonly string[], openReaders: Set<TopicReader>) {
  return {
    async write(topic: string, partition: number, count: number): Promise<void> {
      const writer = recordWriter(brokers, { clientId: 'admin-contract-writer' });
      try {
        await writer.send(
          topic,
          Array.from({ length: count }, (_, index) => ({ partition, value: `record ${index}` })),
        );
      } finally {
        await writer.close();
      }
    },

    async joinGroup(topic: string, groupId: string): Promise<() => Promise<void>> {
      const reader = await openReader({ brokers, topics: [topic], groupId, onRecord: () => {} });
      openReaders.add(reader);
      return async () => {
        openReaders.delete(reader);
        await reader.close();
      };
    },

    async openTransaction(topic: string, count: number): Promise<() => Promise<void>> {
      const writer = recordWriter(brokers, { transactionalId: uniqueName('admin-contract-tx') });
      const transaction = await writer.openTransaction(
        topic,
        Array.from({ length: count }, (_, index) => ({ partition: 0, value: `open ${index}` })),
      );
      return async () => {
        await transaction.abort();
        await writer.close();
      };
    },
  };
}

describeOnEveryVersion({}, (target) => {
  let cluster: TestCluster;
  let subject: AdminContractSubject;
  const openReaders = new Set<TopicReader>();

  before(() => {
    cluster = target.clusters()[0]!;
    subject = {
      admin: portOn(cluster).createAdmin(),
      createdTopics: [],
      ...brokerSide(cluster.brokers, openReaders),
    };
  });
  after(async () => {
    await Promise.all([...openReaders].map((reader) => reader.close()));
    if (subject.createdTopics.length > 0) {
      await withAdmin(cluster.brokers, async (admin) => {
        const existing = new Set(await admin.listTopics());
        await admin.deleteTopics({ topics: subject.createdTopics.filter((topic) => existing.has(topic)) });
      });
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
      invalidNaming('retention.ms'),
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
      invalidNaming('retention.ms'),
    );
  });

  test('topics created at the same moment (sent together) each get their own outcome', async () => {
    const existing = uniqueName('admin-batch-existing');
    await subject.admin.createTopic(newTopic(existing));
    const fresh = Array.from({ length: 150 }, () => uniqueName('admin-batch'));
    const badConfig = uniqueName('admin-batch-bad-config');
    const tooManyReplicas = uniqueName('admin-batch-replicas');
    subject.createdTopics.push(existing, ...fresh);
    const outcomes = await Promise.allSettled([
      ...fresh.map((topic) => subject.admin.createTopic(newTopic(topic))),
      subject.admin.createTopic(newTopic(existing)),
      subject.admin.createTopic(newTopic(badConfig, { configs: new Map([['retention.ms', 'forever']]) })),
      subject.admin.createTopic(newTopic(tooManyReplicas, { replicationFactor: 9 })),
    ]);
    const [existingOutcome, badConfigOutcome, replicasOutcome] = outcomes.slice(fresh.length);
    assert.deepEqual(
      outcomes
        .slice(0, fresh.length)
        .map((outcome) => (outcome.status === 'fulfilled' ? typeof outcome.value : outcome.reason)),
      fresh.map(() => 'object'),
    );
    assert.deepEqual(existingOutcome, { status: 'fulfilled', value: 'already-exists' });
    assert.ok(
      badConfigOutcome?.status === 'rejected' && invalidNaming('retention.ms')(badConfigOutcome.reason),
    );
    assert.ok(
      replicasOutcome?.status === 'rejected' && replicasOutcome.reason instanceof InvalidRequest,
      String(replicasOutcome?.status === 'rejected' ? replicasOutcome.reason : 'created'),
    );
    const listed = new Set((await subject.admin.listTopics()).map(({ name }) => name));
    assert.deepEqual(
      fresh.filter((topic) => !listed.has(topic)),
      [],
    );
    assert.ok(!listed.has(badConfig) && !listed.has(tooManyReplicas));
  });
});
