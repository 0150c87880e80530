// A config file reached through symlinks, with `georep run` as a process against two real clusters: each way
// such a file is replaced reloads it from the file watch alone, no SIGHUP — a symlink re-pointed at another
// file and then an edit of that file, a Kubernetes ConfigMap `..data` swap (twice, the old version directory
// deleted each time, as kubelet does), a release layout's `current` link swapped (twice). Each change adds a
// topic whose records must reach the destination; a `steady` flow that no change touches is never restarted.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { recordWriter } from '../../harness/kafka-writer.js';
import { GeorepProcess, type GeorepStatus } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopics, endOffsets } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const RECORDS_PER_TOPIC = 5;
/** Generous: the watch takes a change within a second; the machine may be loaded. */
const CHANGE_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 240_000;

const run = new TwoClusterRun('symlinked-config');
const steadyTopic = uniqueTopicName('steady');
const steadyKey = `origin/${steadyTopic} -> destination/origin.${steadyTopic}`;
const topics = {
  repointed: uniqueTopicName('repointed'),
  retargetEdited: uniqueTopicName('target-edited'),
  configMapFirst: uniqueTopicName('configmap-1'),
  configMapSecond: uniqueTopicName('configmap-2'),
  releaseFirst: uniqueTopicName('release-1'),
  releaseSecond: uniqueTopicName('release-2'),
};

before(async (context) => {
  await run.start(context.signal);
  const all = [steadyTopic, ...Object.values(topics)];
  run.deleteAtEnd('origin', all);
  run.deleteAtEnd(
    'destination',
    all.map((topic) => `origin.${topic}`),
  );
  await createTopics(
    run.origin,
    all.map((topic) => ({ topic, partitions: 1 })),
  );
  const writer = recordWriter(run.origin, { clientId: 'test-producer' });
  try {
    for (const topic of all) {
      const records = Array.from({ length: RECORDS_PER_TOPIC }, (_, index) => ({
        value: `${topic}-${index}`,
      }));
      await writer.send(topic, records);
    }
  } finally {
    await writer.close();
  }
});

after(() => run.finish());

/** The file: the steady replication, and one whose topics each change of a test extends. */
function renderConfig(changingTopics: readonly string[]): string {
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  return [
    'clusters:',
    `  origin: { bootstrap: ${list(run.origin)} }`,
    `  destination: { bootstrap: ${list(run.destination)} }`,
    'replications:',
    '  - name: steady',
    '    origin: origin',
    '    destinations: [destination]',
    `    topics: { include: [${JSON.stringify(steadyTopic)}] }`,
    '  - name: changing',
    '    origin: origin',
    '    destinations: [destination]',
    `    topics: { include: ${list(changingTopics.length > 0 ? changingTopics : ['nothing-yet'])} }`,
    'daemon:',
    '  discoveryIntervalMs: 1000',
    '',
  ].join('\n');
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** As `ln -sfn` and kubelet do: a new link beside the old one, renamed over it. */
function repoint(link: string, target: string): void {
  symlinkSync(target, `${link}.tmp`);
  renameSync(`${link}.tmp`, link);
}

/** Kubelet's ConfigMap update: a new version directory, `..data` renamed to point at it, the old one deleted. */
function configMapVersion(dir: string, version: string, text: string, previous: string | null): void {
  write(path.join(dir, version, 'geo-replication.yaml'), text);
  repoint(path.join(dir, '..data'), version);
  if (previous !== null) rmSync(path.join(dir, previous), { recursive: true });
}

async function startGeorep(configFile: string, name: string): Promise<GeorepProcess> {
  const georep = await GeorepProcess.start({ configFile, name, logDir: run.workDir });
  await georep.waitForStatus((status) => flowState(status, steadyTopic) === 'running', {
    what: 'the steady flow running',
    timeoutMs: CHANGE_TIMEOUT_MS,
  });
  return georep;
}

function flowState(status: GeorepStatus, originTopic: string): string | undefined {
  return status.flows.find((flow) => flow.originTopic === originTopic)?.state;
}

/**
 * Waits for the records of `topic` on the destination, then checks that a file change (not SIGHUP, never
 * sent here) started its flow, and that the steady flow ran once since the daemon started.
 */
async function expectReloadedByWatch(georep: GeorepProcess, topic: string, change: string): Promise<void> {
  const startedMs = Date.now();
  for (;;) {
    const copied = await endOffsets(run.destination, `origin.${topic}`).catch(() => new Map());
    if ([...copied.values()].reduce((sum, end) => sum + Number(end), 0) === RECORDS_PER_TOPIC) break;
    if (Date.now() - startedMs > CHANGE_TIMEOUT_MS)
      assert.fail(`${change}: ${topic} not copied in ${CHANGE_TIMEOUT_MS} ms\n${georep.tail(20)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  process.stderr.write(`${change}: records on the destination ${Date.now() - startedMs} ms after it\n`);
  const plan = georep.logLines.find(
    (line) =>
      line.msg.startsWith('applying plan') &&
      Array.isArray(line.start) &&
      line.start.some((key) => String(key).startsWith(`origin/${topic} `)),
  );
  // Triggers that arrive together are coalesced: `discovery,file-change`.
  assert.ok(
    String(plan?.trigger).split(',').includes('file-change'),
    `${change}: the file watch reloaded it (trigger ${plan?.trigger})`,
  );
  const steadyRuns = georep.logLines.filter((line) => line.flow === steadyKey && line.msg === 'flow running');
  assert.equal(steadyRuns.length, 1, `${change}: the steady flow was not restarted`);
}

describe(`${run.target.label}: a config file behind symlinks reloads on every swap, without SIGHUP`, {
  skip: run.target.skipReason,
}, () => {
  test('a symlink re-pointed at another file, then an edit of that file', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const dir = path.join(run.workDir, 'repointed');
    write(path.join(dir, 'configs', 'a.yaml'), renderConfig([]));
    const link = path.join(dir, 'geo-replication.yaml');
    symlinkSync('configs/a.yaml', link);
    const georep = await startGeorep(link, 'georep-repointed');
    try {
      write(path.join(dir, 'configs', 'b.yaml'), renderConfig([topics.repointed]));
      repoint(link, 'configs/b.yaml');
      await expectReloadedByWatch(georep, topics.repointed, 'symlink re-pointed');
      write(path.join(dir, 'configs', 'b.yaml'), renderConfig([topics.repointed, topics.retargetEdited]));
      await expectReloadedByWatch(georep, topics.retargetEdited, 'new target edited');
    } finally {
      await georep.stopGracefully({ timeoutMs: 30_000 });
    }
  });

  test('a Kubernetes ConfigMap: ..data swapped to a new version directory, twice', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const dir = path.join(run.workDir, 'configmap');
    configMapVersion(dir, '..2026_12_04_01', renderConfig([]), null);
    symlinkSync('..data/geo-replication.yaml', path.join(dir, 'geo-replication.yaml'));
    const georep = await startGeorep(path.join(dir, 'geo-replication.yaml'), 'georep-configmap');
    try {
      configMapVersion(dir, '..2026_12_04_02', renderConfig([topics.configMapFirst]), '..2026_12_04_01');
      await expectReloadedByWatch(georep, topics.configMapFirst, 'first ..data swap');
      const both = renderConfig([topics.configMapFirst, topics.configMapSecond]);
      configMapVersion(dir, '..2026_12_04_03', both, '..2026_12_04_02');
      await expectReloadedByWatch(georep, topics.configMapSecond, 'second ..data swap');
    } finally {
      await georep.stopGracefully({ timeoutMs: 30_000 });
    }
  });

  test('a release layout: current swapped to the next release, twice', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const dir = path.join(run.workDir, 'releases');
    const release = (n: number) => path.join(dir, 'releases', String(n), 'geo-replication.yaml');
    write(release(1), renderConfig([]));
    write(release(2), renderConfig([topics.releaseFirst]));
    write(release(3), renderConfig([topics.releaseFirst, topics.releaseSecond]));
    symlinkSync('releases/1', path.join(dir, 'current'));
    const georep = await startGeorep(path.join(dir, 'current', 'geo-replication.yaml'), 'georep-release');
    try {
      repoint(path.join(dir, 'current'), 'releases/2');
      await expectReloadedByWatch(georep, topics.releaseFirst, 'current -> releases/2');
      repoint(path.join(dir, 'current'), 'releases/3');
      await expectReloadedByWatch(georep, topics.releaseSecond, 'current -> releases/3');
    } finally {
      await georep.stopGracefully({ timeoutMs: 30_000 });
    }
  });
});
