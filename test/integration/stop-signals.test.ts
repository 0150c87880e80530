// Ctrl-C in a terminal reaches every process of the foreground group: georep run under a wrapper that also
// forwards a SIGTERM (npm run demo, a shell script's trap) gets SIGINT and SIGTERM a moment apart. That is
// one request to stop: georep stops gracefully, exits 0, and has committed on the origin everything it wrote
// to the destination, so the next start repeats nothing. Records stream in while it stops.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withAdmin } from '../../harness/kafka-client.js';
import { GeorepProcess, waitUntilCopying, writeMirrorConfig } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import {
  createTopics,
  endOffsets,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 3;
const SHUTDOWN_TIMEOUT_MS = 30_000;

const run = new TwoClusterRun('stop-signals');
const topic = uniqueTopicName('stop-signals');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
let producer: SequenceProducer | null = null;

before(async (context) => {
  await run.start(context.signal);
  run.deleteAtEnd('origin', [topic]);
  run.deleteAtEnd('destination', [destinationTopic]);
  await createTopics(run.origin, [{ topic, partitions: PARTITIONS }]);
});

after(async () => {
  await producer?.stop().catch(() => undefined);
  await run.finish();
});

/** The offsets the group committed on the origin, by partition. */
async function committedOffsets(groupId: string): Promise<Map<number, bigint>> {
  const [group] = await withAdmin(run.origin, (admin) =>
    admin.listConsumerGroupOffsets({ groups: [groupId] }),
  );
  const committed = group?.topics.find((entry) => entry.name === topic);
  return new Map((committed?.partitions ?? []).map((p) => [p.partitionIndex, p.committedOffset]));
}

describe(`${run.target.label}: stop signals`, { skip: run.target.skipReason }, () => {
  test('SIGINT and SIGTERM back to back are one graceful stop: exit 0, everything written is committed', {
    timeout: 180_000,
  }, async (context) => {
    const configFile = writeMirrorConfig({
      dir: run.workDir,
      originBrokers: run.origin,
      destinationBrokers: run.destination,
      topics: [topic],
      daemon: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS },
    });
    producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: PARTITIONS,
      recordsPerSecond: 500,
    });
    const georep = await GeorepProcess.start({ configFile, name: 'georep-ctrl-c', logDir: run.workDir });
    await waitUntilCopying(georep, flowKey, PARTITIONS, context.signal);
    const groupId = (await georep.status()).flows[0]?.spec.restartSettings.laneGroupId ?? '';

    georep.signal('SIGINT');
    georep.signal('SIGTERM');
    const exit = await Promise.race([
      georep.exited,
      new Promise((resolve) =>
        setTimeout(() => resolve('still running'), SHUTDOWN_TIMEOUT_MS + 15_000).unref(),
      ),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGINT + SIGTERM:\n${georep.tail()}`);
    assert.ok(
      georep.logLines.some((line) => line.msg === 'stopped'),
      'it waited for the flows to stop',
    );
    assert.ok(
      !georep.logLines.some((line) => line.msg.startsWith('second stop signal')),
      'the second signal did not cut the stop short',
    );

    const written = await endOffsets(run.destination, destinationTopic);
    const committed = await committedOffsets(groupId);
    assert.ok(
      [...written.values()].some((end) => end > 0n),
      'records were copied before the stop',
    );
    for (let partition = 0; partition < PARTITIONS; partition++) {
      assert.equal(
        committed.get(partition),
        written.get(partition) ?? 0n,
        `partition ${partition}: every record on the destination is committed on the origin`,
      );
    }
  });
});
