// The port's source against real brokers of every supported Kafka version: the source contract that the
// in-memory double also keeps (test/support/kafka-port-contract.ts) — commit after acknowledgement, partitions
// shared in a group, truncation reported with the group's offset kept, pause, stop, group offsets — and, on a
// broker that would create topics on demand, that nothing in the port makes it do so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { externalClustersFromEnv } from '../../harness/external.js';
import { withAdmin } from '../../harness/kafka-client.js';
import { type LocalKafkaRun, startClusters } from '../../harness/kafka-local.js';
import type { TestCluster } from '../../harness/test-clusters.js';
import { kafkaVersionFromEnv } from '../../harness/versions.js';
import { TopicNotFound } from '../../src/kafka/errors.js';
import type { KafkaAdmin, KafkaCluster } from '../../src/kafka/port.js';
import { type PortContractSubject, sourceContract, uniqueName } from '../support/kafka-port-contract.js';
import { describeOnEveryVersion } from './support/every-version.js';
import { portOn } from './support/port-clusters.js';

/** Long enough for the source to have fetched (and delivered) anything it was going to. */
const QUIET_PERIOD_MS = 2000;

/**
 * Kafka's default group.min.session.timeout.ms, the shortest session a broker accepts: for the test of a handler
 * slower than the session. @platformatic/kafka heartbeats on its own timer, whatever the handler does.
 */
const SHORT_SESSION_TIMEOUT_MS = 6000;

describeOnEveryVersion({}, (target) => {
  let cluster: TestCluster;
  let subject: PortContractSubject;

  before(() => {
    cluster = target.clusters()[0]!;
    const port = portOn(cluster);
    subject = {
      port,
      admin: port.createAdmin(),
      truncate: async (topic, beforeOffset) => {
        await withAdmin(cluster.brokers, (admin) =>
          admin.deleteRecords({
            topics: [{ name: topic, partitions: [{ partition: 0, offset: BigInt(beforeOffset) }] }],
          }),
        );
      },
      quietPeriodMs: QUIET_PERIOD_MS,
      createdTopics: [],
      shortSessionTimeoutMs: SHORT_SESSION_TIMEOUT_MS,
    };
  });
  after(async () => {
    if (subject.createdTopics.length > 0) {
      await withAdmin(cluster.brokers, (admin) => admin.deleteTopics({ topics: subject.createdTopics }));
    }
    await subject?.admin.close();
  });

  sourceContract(() => subject);
});

// Kafka clients commonly ask brokers to create missing topics (metadata requests that allow auto-creation,
// Java's producer by default). This only shows anything on a broker that would do it, so it runs on a local
// cluster started with auto-creation enabled.
describe('with a broker that creates topics on demand', {
  skip: externalClustersFromEnv().length > 0,
}, () => {
  let run: LocalKafkaRun;
  let port: KafkaCluster;
  let admin: KafkaAdmin;

  before(async (context) => {
    run = await startClusters({
      count: 1,
      version: kafkaVersionFromEnv(),
      brokerProperties: { 'auto.create.topics.enable': 'true' },
      signal: context.signal,
    });
    const [local] = run.clusters;
    port = portOn({ name: local!.name, brokers: [local!.bootstrap] });
    admin = port.createAdmin();
  });
  after(async () => {
    await admin?.close();
    await run?.stopAll();
  });

  test('neither the sink, nor the source, nor the admin create a missing topic', async () => {
    const missing = uniqueName('never-created');
    const sink = port.createSink();
    await assert.rejects(
      sink.write(missing, 0, [{ key: null, value: Buffer.from('x'), headers: [], timestampMs: Date.now() }]),
      TopicNotFound,
    );
    await sink.close();
    const source = port.createSource({
      topic: missing,
      groupId: uniqueName('g'),
      startPosition: 'earliest',
    });
    await assert.rejects(
      source.run(async () => {}),
      TopicNotFound,
    );
    await assert.rejects(admin.partitionOffsets(missing), TopicNotFound);
    await assert.rejects(admin.committedOffsets(uniqueName('g'), [missing]), TopicNotFound);
    await assert.rejects(admin.describeTopic(missing), TopicNotFound);
    assert.ok(!(await admin.listTopics()).some((topic) => topic.name === missing));
  });
});
