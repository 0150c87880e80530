// An origin topic deleted and re-created while its flow runs. georep cannot see Kafka's topic ids (kafkajs
// does not expose them), so it notices a re-creation by offsets: the flow's next record is beyond what the
// new topic holds (`origin-truncated`), or the progress its consumer group stored is gone, as Kafka drops a
// group's offsets with their topic (`progress-lost`). Either way it stops that flow, saying the topic was
// probably re-created, and copies nothing of the new topic on top of the old copy.
//
// The re-creation happens between two listings of the origin (a long discovery interval): a listing that falls
// into the gap stops the flow as for any deleted topic instead.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { caughtUp, GeorepProcess, writeMirrorConfig } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopics, endOffsets, plainKafka, readAllValues } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 2;
const RECORDS_BEFORE = 40;
const RECORDS_AFTER = 6;
const DISCOVERY_INTERVAL_MS = 120_000;

const run = new TwoClusterRun('recreated');
const topic = uniqueTopicName('recreated');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;

before(async (context) => {
  await run.start(context.signal);
  run.deleteAtEnd('origin', [topic]);
  run.deleteAtEnd('destination', [destinationTopic]);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
});

after(() => run.finish());

async function produce(label: string, count: number): Promise<void> {
  const producer = plainKafka(run.origin, 'test-producer').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: count }, (_, index) => ({
        partition: index % PARTITIONS,
        value: `${label}-${index}`,
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

describe(`${run.target.label}: an origin topic deleted and re-created while its flow runs`, {
  skip: run.target.skipReason,
}, () => {
  test('with fewer records than were copied: the flow stops with origin-truncated and copies nothing new', async (context) => {
    const { signal } = context;
    await produce('old', RECORDS_BEFORE);
    const configFile = writeMirrorConfig({
      dir: run.workDir,
      originBrokers: run.origin,
      destinationBrokers: run.destination,
      topics: [topic],
      daemon: { discoveryIntervalMs: DISCOVERY_INTERVAL_MS },
    });
    const georep = await GeorepProcess.start({ configFile, name: 'georep-recreated', logDir: run.workDir });
    const ends = await endOffsets(run.origin, topic);
    await georep.waitForStatus((status) => caughtUp([status], flowKey, ends), {
      what: 'the old records copied',
      timeoutMs: 60_000,
      signal,
    });

    const admin = plainKafka(run.origin, 'test-admin').admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
      // Kafka deletes a topic in the background: create it again as soon as it lets us.
      for (let attempt = 0; ; attempt++) {
        try {
          await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
          break;
        } catch (error) {
          if (attempt > 100) throw error;
          await sleep(100, undefined, { signal });
        }
      }
    } finally {
      await admin.disconnect();
    }
    await produce('new', RECORDS_AFTER);

    const status = await georep.waitForStatus(
      (current) => current.flows.find((flow) => flow.key === flowKey)?.state === 'error',
      { what: 'the flow in error', timeoutMs: 60_000, signal },
    );
    const flow = status.flows.find((candidate) => candidate.key === flowKey);
    context.diagnostic(JSON.stringify(flow?.error));
    // Which of the two it meets depends on timing: the consumer asks the new topic for its old position
    // (origin-truncated), or it failed while the topic was missing and, retrying, finds the group's offsets gone.
    assert.ok(
      ['origin-truncated', 'progress-lost'].includes(flow?.error?.reason ?? ''),
      `reason ${flow?.error?.reason}`,
    );
    assert.equal(flow?.error?.retriable, false);
    assert.match(flow?.error?.message ?? '', /deleted and re-created|deleted \(and re-created\)/);
    const destination = await readAllValues({ brokers: run.destination, topic: destinationTopic, signal });
    const values = [...destination.values()].flat();
    assert.equal(values.length, RECORDS_BEFORE);
    assert.deepEqual(
      values.filter((value) => value.startsWith('new-')),
      [],
      'nothing of the new topic is copied on top of the old copy',
    );
  });
});
