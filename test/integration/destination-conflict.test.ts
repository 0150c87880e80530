// A destination topic that already exists, was not made by georep and does not match the origin is someone
// else's: georep reports it (flow state `error`, reason `destination-topic-conflict`, on /status, in
// `georep status --json`, in the log line of that flow) and writes nothing into it, nor changes it. Here one
// such topic has fewer partitions than the origin, another has cleanup.policy delete where the origin's is
// compact; a third exists and matches, and is adopted: its flow copies while the other two are in error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigResourceTypes } from '@platformatic/kafka';
import { withAdmin } from '../../harness/kafka-client.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import {
  caughtUp,
  GeorepProcess,
  type GeorepStatus,
  runGeorepCommand,
  writeMirrorConfig,
} from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import { createTopics, endOffsets } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const RECORDS_PER_TOPIC = 20;
const STEP_TIMEOUT_MS = 120_000;

const run = new TwoClusterRun('conflict');
const fewerPartitions = uniqueTopicName('conflict-partitions');
const otherPolicy = uniqueTopicName('conflict-policy');
const matching = uniqueTopicName('adopted');
const flowKey = (topic: string) => `origin/${topic} -> destination/origin.${topic}`;

before(async (context) => {
  await run.start(context.signal);
  run.deleteAtEnd('origin', [fewerPartitions, otherPolicy, matching]);
  run.deleteAtEnd(
    'destination',
    [fewerPartitions, otherPolicy, matching].map((topic) => `origin.${topic}`),
  );
  await createTopics(run.origin, [
    { topic: fewerPartitions, partitions: 6 },
    { topic: otherPolicy, partitions: 2, configs: { 'cleanup.policy': 'compact' } },
    { topic: matching, partitions: 2 },
  ]);
  await createTopics(run.destination, [
    { topic: `origin.${fewerPartitions}`, partitions: 3 },
    { topic: `origin.${otherPolicy}`, partitions: 2, configs: { 'cleanup.policy': 'delete' } },
    { topic: `origin.${matching}`, partitions: 2 },
  ]);
  const producer = recordWriter(run.origin, { clientId: 'test-producer' });
  try {
    for (const topic of [fewerPartitions, otherPolicy, matching]) {
      const messages = Array.from({ length: RECORDS_PER_TOPIC }, (_, index) => ({
        key: `key-${index}`,
        value: `${topic} record ${index}`,
      }));
      await producer.send(topic, messages);
    }
  } finally {
    await producer.close();
  }
});

after(() => run.finish());

async function destinationCleanupPolicy(topic: string): Promise<string | undefined> {
  const [described] = await withAdmin(run.destination, (admin) =>
    admin.describeConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configurationKeys: ['cleanup.policy'],
        },
      ],
      includeSynonyms: false,
    }),
  );
  return described?.configs.find((entry) => entry.name === 'cleanup.policy')?.value ?? undefined;
}

describe(`${run.target.label}: an existing destination topic that differs from the origin`, {
  skip: run.target.skipReason,
}, () => {
  let georep: GeorepProcess;
  let status: GeorepStatus;

  before(async () => {
    const configFile = writeMirrorConfig({
      dir: run.workDir,
      originBrokers: run.origin,
      destinationBrokers: run.destination,
      topics: [fewerPartitions, otherPolicy, matching],
      daemon: { discoveryIntervalMs: 1000 },
    });
    georep = await GeorepProcess.start({ configFile, name: 'georep-conflict', logDir: run.workDir });
    const matchingEnds = await endOffsets(run.origin, matching);
    status = await georep.waitForStatus(
      (current) =>
        caughtUp([current], flowKey(matching), matchingEnds) &&
        [fewerPartitions, otherPolicy].every(
          (topic) => current.flows.find((flow) => flow.key === flowKey(topic))?.state === 'error',
        ),
      { what: 'the matching flow copied and the two others in error', timeoutMs: STEP_TIMEOUT_MS },
    );
  });

  test('is reported on /status with reason destination-topic-conflict, naming the topic and the difference', () => {
    const fewer = status.flows.find((flow) => flow.key === flowKey(fewerPartitions));
    assert.equal(fewer?.state, 'error');
    assert.equal(fewer?.error?.reason, 'destination-topic-conflict');
    assert.equal(fewer?.error?.retriable, false, 'retrying cannot fix a topic someone else owns');
    assert.match(fewer?.error?.message ?? '', new RegExp(`origin\\.${fewerPartitions} on destination`));
    assert.match(fewer?.error?.message ?? '', /it has 3 partitions \(origin: 6\)/);

    const policy = status.flows.find((flow) => flow.key === flowKey(otherPolicy));
    assert.equal(policy?.state, 'error');
    assert.equal(policy?.error?.reason, 'destination-topic-conflict');
    assert.match(policy?.error?.message ?? '', new RegExp(`origin\\.${otherPolicy} on destination`));
    assert.match(policy?.error?.message ?? '', /cleanup\.policy=compact \(was delete\)/);

    const adopted = status.flows.find((flow) => flow.key === flowKey(matching));
    assert.equal(
      adopted?.state,
      'running',
      'a matching topic is adopted, and the conflicts disturb no other flow',
    );
    assert.equal(adopted?.recordsMirrored, RECORDS_PER_TOPIC);
  });

  test('`georep status --json` shows the same and exits 1; the error counter counts both', async () => {
    const result = await runGeorepCommand(['status', '--json', '--daemon', georep.httpAddress]);
    assert.equal(result.code, 1, `a flow in error makes status exit 1:\n${result.stderr}`);
    const printed = JSON.parse(result.stdout) as GeorepStatus;
    const reasons = Object.fromEntries(
      printed.flows.map((flow) => [flow.key, flow.error?.reason ?? flow.state]),
    );
    assert.deepEqual(reasons, {
      [flowKey(fewerPartitions)]: 'destination-topic-conflict',
      [flowKey(otherPolicy)]: 'destination-topic-conflict',
      [flowKey(matching)]: 'running',
    });
    const metrics = await (await fetch(`http://${georep.httpAddress}/metrics`)).text();
    assert.equal(sampleValue(metrics, 'georep_flow_errors_total', 'reason="destination-topic-conflict"'), 2);
  });

  test('the log line names the flow, both topics and the reason', () => {
    for (const topic of [fewerPartitions, otherPolicy]) {
      const line = georep.logLines.find(
        (candidate) => candidate.flow === flowKey(topic) && candidate.reason === 'destination-topic-conflict',
      );
      assert.ok(line, `a log line of flow ${flowKey(topic)} with the reason:\n${georep.tail()}`);
      assert.equal(line.level, 'error');
      assert.equal(line.topic, topic);
      assert.equal(line.destinationTopic, `origin.${topic}`);
      assert.match(line.msg, new RegExp(`destination topic origin\\.${topic} on destination already exists`));
    }
  });

  test('nothing is written into the conflicting topics, and they are not changed', async () => {
    for (const topic of [fewerPartitions, otherPolicy]) {
      const ends = await endOffsets(run.destination, `origin.${topic}`);
      assert.deepEqual(
        [...ends.values()].filter((end) => end !== 0n),
        [],
        `origin.${topic} holds no record`,
      );
    }
    assert.equal((await endOffsets(run.destination, `origin.${fewerPartitions}`)).size, 3);
    assert.equal(await destinationCleanupPolicy(`origin.${otherPolicy}`), 'delete');
    const matchingEnds = await endOffsets(run.destination, `origin.${matching}`);
    assert.equal(
      [...matchingEnds.values()].reduce((sum, end) => sum + end, 0n),
      BigInt(RECORDS_PER_TOPIC),
    );
  });
});
