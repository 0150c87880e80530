// The local Kafka harness as tests and developers use it: a crashed or stopped broker comes back with its
// data, and no JVM outlives what started it — not even a Node process killed outright, nor `up --detach`
// after `down`.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { detachedStateFile, readDetachedState } from '../../harness/detached-state.js';
import { processHasMarker } from '../../harness/java-process.js';
import { createTopics, withAdmin } from '../../harness/kafka-client.js';
import { readTopicToEnd } from '../../harness/kafka-reader.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import { kafkaTestTarget } from '../../harness/test-clusters.js';
import { repoRootDir } from '../../harness/versions.js';
import { sampleRecords, uniqueTopicName } from './support/kafka-records.js';

const runFile = promisify(execFile);
const target = kafkaTestTarget({ clusters: 1 });
const localOnly = target.label.startsWith('external') ? 'needs a cluster the harness starts' : undefined;
const TEST_TIMEOUT_MS = 120_000;

async function waitUntil(condition: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(100, undefined, { signal });
  }
  return condition();
}

describe(`${target.label}: local clusters of the harness`, { skip: localOnly }, () => {
  let brokers: readonly string[];

  before(async (context) => {
    await target.start(context.signal);
    brokers = target.clusters()[0]!.brokers;
  });
  after(() => target.stop());

  test(`${target.label}: a killed broker restarts on the same port with the records it had`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (context) => {
    const local = target.clusters()[0]!.local!;
    const topic = uniqueTopicName('harness-restart');
    await withAdmin(brokers, (admin) => createTopics(admin, [{ topic, partitions: 1 }]));
    const written = sampleRecords(20, 'restart');
    const producer = recordWriter(brokers);
    try {
      await producer.send(
        topic,
        written.map((record) => ({ ...record, headers: Object.entries(record.headers) })),
      );
    } finally {
      await producer.close();
    }

    const bootstrapBefore = local.bootstrap;
    await local.kill();
    assert.equal(local.running, false);
    await local.restart({ signal: context.signal });
    assert.equal(local.running, true);
    assert.equal(local.bootstrap, bootstrapBefore);

    const read: (string | null)[] = [];
    await readTopicToEnd({
      brokers,
      topic,
      signal: context.signal,
      onRecord: (record) => read.push(record.value?.toString() ?? null),
    });
    assert.deepEqual(
      read,
      written.map((record) => record.value),
    );
  });

  test(`${target.label}: a Node process killed with SIGKILL leaves no broker behind`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (context) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/integration/support/start-cluster-and-wait.ts', target.toolsVersion],
      { cwd: repoRootDir, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = await Promise.race([
        createInterface({ input: child.stdout! })
          [Symbol.asyncIterator]()
          .next()
          .then((result) => [result.value as string]),
        sleep(TEST_TIMEOUT_MS, [undefined], { signal: context.signal }),
      ]);
      assert.ok(line, 'the child started a cluster');
      const { pid, marker } = JSON.parse(line) as { pid: number; marker: string };
      assert.ok(processHasMarker(pid, marker), 'the broker runs');

      child.kill('SIGKILL');
      assert.ok(await waitUntil(() => !processHasMarker(pid, marker), 10_000, context.signal), 'broker gone');
    } finally {
      child.kill('SIGKILL');
    }
  });

  const earlierDetached = existsSync(detachedStateFile) ? 'clusters of `up --detach` are running' : undefined;
  test(`${target.label}: npm run kafka -- up --detach returns with the cluster running, down stops it`, {
    timeout: TEST_TIMEOUT_MS,
    skip: earlierDetached,
  }, async (context) => {
    const cli = ['--import', 'tsx', 'harness/cli.ts'];
    const options = { cwd: repoRootDir, signal: context.signal };
    const up = await runFile(
      process.execPath,
      [...cli, 'up', '--detach', '--clusters', '1', '--version', target.toolsVersion],
      options,
    );
    assert.match(up.stdout, /GEOREP_TEST_BOOTSTRAP_A=127\.0\.0\.1:\d+/);
    const state = await readDetachedState();
    const cluster = state?.clusters[0];
    assert.ok(cluster && processHasMarker(cluster.pid, cluster.marker), 'the detached broker runs');

    const down = await runFile(process.execPath, [...cli, 'down'], options);
    assert.match(down.stdout, /cluster a \(127\.0\.0\.1:\d+, pid \d+\): stopped/);
    assert.equal(processHasMarker(cluster.pid, cluster.marker), false);
    assert.equal(existsSync(detachedStateFile), false);
  });
});
