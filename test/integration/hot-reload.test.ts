// Hot reload and continuous sync, with `georep run` as a process against two real clusters (`origin` and
// `destination`): what triggers a reload (a rename over the file as Ansible does, an in-place write,
// SIGHUP; an identical save does not), what the discovery timer picks up on the origin (new topics, new
// partitions, topic config changes, a deleted topic), and twenty reloads while an unrelated flow streams
// without ever being stopped or rebalanced. The tests of the file run in order against one daemon.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type Admin, ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { createTopics, describeGroup, toolAdmin } from '../../harness/kafka-client.js';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import { recordWriter } from '../../harness/kafka-writer.js';
import type { GeorepLogLine, GeorepProcess, GeorepStatus } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import {
  endOffsets,
  readAllValues,
  type SequenceProducer,
  startSequenceProducer,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const run = new TwoClusterRun('reload', {
  names: ['origin', 'destination'],
  localOnly: 'needs two clusters the harness starts',
});

const DISCOVERY_INTERVAL_MS = 1000;
/** Generous: "within the discovery interval" on a machine whose load can reach 10. */
const CHANGE_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 300_000;
const STEADY_PARTITIONS = 3;
const STEADY_RECORDS_PER_SECOND = 50;

let origin: LocalKafkaCluster;
let destination: LocalKafkaCluster;
let originAdmin: Admin;
let destinationAdmin: Admin;
let steadyProducer: SequenceProducer | null = null;
let georep: GeorepProcess;
const configFile = run.file('geo-replication.yaml');
const run36 = Date.now().toString(36);
/** The unrelated flow that streams during every test of this file. */
const steadyTopic = uniqueTopicName('steady');
const steadyKey = `origin/${steadyTopic} -> destination/origin.${steadyTopic}`;

/** A replication of the file, as the tests change it. */
interface Replication {
  readonly name: string;
  readonly topics: readonly string[];
  readonly paused?: boolean;
  readonly replicationFactor?: number;
  readonly naming?: string;
  readonly topicConfigExclude?: readonly string[];
  readonly onOriginTopicDeleted?: 'keep' | 'delete';
  /** Appended to the replication as is (an invalid value, a comment). */
  readonly extraLines?: readonly string[];
}

function renderConfig(replications: readonly Replication[], comment = ''): string {
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  return [
    ...(comment === '' ? [] : [`# ${comment}`]),
    'clusters:',
    `  origin: { bootstrap: [${origin.bootstrap}] }`,
    `  destination: { bootstrap: [${destination.bootstrap}] }`,
    'replications:',
    ...replications.flatMap((replication) => [
      `  - name: ${replication.name}`,
      '    origin: origin',
      '    destinations: [destination]',
      `    topics: { include: ${list(replication.topics)} }`,
      ...(replication.paused === undefined ? [] : [`    paused: ${replication.paused}`]),
      ...(replication.replicationFactor === undefined
        ? []
        : [`    replicationFactor: ${replication.replicationFactor}`]),
      ...(replication.naming === undefined ? [] : [`    naming: ${JSON.stringify(replication.naming)}`]),
      ...(replication.topicConfigExclude === undefined
        ? []
        : [`    topicConfig: { exclude: ${list(replication.topicConfigExclude)} }`]),
      ...(replication.onOriginTopicDeleted === undefined
        ? []
        : [`    onOriginTopicDeleted: ${replication.onOriginTopicDeleted}`]),
      ...(replication.extraLines ?? []).map((line) => `    ${line}`),
    ]),
    'daemon:',
    `  discoveryIntervalMs: ${DISCOVERY_INTERVAL_MS}`,
    '  logLevel: debug',
    '',
  ].join('\n');
}

function saveByRename(text: string): void {
  run.saveByRename(configFile, text);
}

function saveInPlace(text: string): void {
  writeFileSync(configFile, text);
}

const steady: Replication = { name: 'steady', topics: [steadyTopic] };

async function createTopic(
  topic: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  await createTopics(originAdmin, [{ topic, partitions, configs }]);
}

async function produce(topic: string, count: number, partition = 0): Promise<void> {
  const producer = recordWriter(origin.bootstrap, { clientId: 'test-reload-producer' });
  try {
    await producer.send(
      topic,
      Array.from({ length: count }, (_, index) => ({ partition, value: `${topic}-${index}` })),
    );
  } finally {
    await producer.close();
  }
}

/** Records on the destination topic, summed over partitions; 0 while it does not exist. */
async function destinationRecordCount(topic: string): Promise<number> {
  try {
    const ends = await endOffsets([destination.bootstrap], topic);
    return [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
  } catch {
    return 0;
  }
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = CHANGE_TIMEOUT_MS,
): Promise<{ value: T; afterMs: number }> {
  const startedMs = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return { value: last, afterMs: Date.now() - startedMs };
    if (Date.now() - startedMs > timeoutMs) {
      throw new Error(`no ${what} after ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${georep.tail(20)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function destinationTopicConfigs(topic: string): Promise<Map<string, string>> {
  const [described] = await destinationAdmin.describeConfigs({
    includeSynonyms: false,
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }],
  });
  return new Map(
    (described?.configs ?? [])
      .filter((entry) => entry.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG)
      .map((entry) => [entry.name, entry.value ?? '']),
  );
}

/** AlterConfigs: `configs` become the topic's whole set of topic-level configs. */
async function replaceTopicConfigs(
  admin: Admin,
  topic: string,
  configs: Record<string, string>,
): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      },
    ],
  });
}

async function destinationTopicExists(topic: string): Promise<boolean> {
  return (await destinationAdmin.listTopics()).includes(topic);
}

function flowOf(status: GeorepStatus, originTopic: string) {
  return status.flows.find((flow) => flow.originTopic === originTopic);
}

/** Log lines of one flow with one message: how often it started running, or got partitions. */
function flowLines(flowKey: string, message: string): GeorepLogLine[] {
  return georep.logLines.filter((line) => line.flow === flowKey && line.msg === message);
}

async function reconcileCount(): Promise<number> {
  const metrics = await (await fetch(`http://${georep.httpAddress}/metrics`)).text();
  return Number(/^georep_reconcile_duration_seconds_count (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

/** The member ids of a group on the origin: a consumer that rejoined as a new member gets a new one. */
async function groupMembers(groupId: string): Promise<{ state: string; members: string[] }> {
  const { state, members } = await describeGroup(originAdmin, groupId);
  return { state, members: members.map((member) => member.memberId).sort() };
}

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  [origin, destination] = run.local;
  originAdmin = toolAdmin(origin.bootstrap, 'test-reload-origin-admin');
  destinationAdmin = toolAdmin(destination.bootstrap, 'test-reload-destination-admin');
  await createTopic(steadyTopic, STEADY_PARTITIONS);
  steadyProducer = await startSequenceProducer({
    brokers: [origin.bootstrap],
    topic: steadyTopic,
    partitions: STEADY_PARTITIONS,
    recordsPerSecond: STEADY_RECORDS_PER_SECOND,
  });
  saveByRename(renderConfig([steady]));
  georep = await run.startGeorep({ configFile, name: 'georep-reload' });
  await georep.waitForStatus((status) => flowOf(status, steadyTopic)?.state === 'running', {
    what: 'the steady flow running',
    timeoutMs: CHANGE_TIMEOUT_MS,
  });
});

run.stopAtEnd(() => steadyProducer?.stop());
run.stopAtEnd(() => originAdmin?.close());
run.stopAtEnd(() => destinationAdmin?.close());
after(() => run.finish());

describe(`${run.label}: hot reload and continuous sync`, { skip: run.skipReason }, () => {
  let steadyGroupId: string;
  let steadyMembersBefore: string[];
  let steadyAssignmentsBefore: number;
  const mirroredPerStep: number[] = [];

  before(async () => {
    const status = await georep.status();
    steadyGroupId = flowOf(status, steadyTopic)?.spec.restartSettings.laneGroupId ?? '';
    const group = await waitFor(
      'the steady group stable',
      () => groupMembers(steadyGroupId),
      (g) => g.state === 'Stable' && g.members.length === 1,
    );
    steadyMembersBefore = group.value.members;
    steadyAssignmentsBefore = flowLines(steadyKey, 'partitions assigned').length;
  });

  test('a rename over the file and an in-place write each reload it; a save with the same content does not', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const renamed = `renamed-${run36}`;
    const inPlace = `inplace-${run36}`;
    for (const topic of [renamed, inPlace]) {
      await createTopic(topic, 1);
      await produce(topic, 5);
    }
    saveByRename(renderConfig([steady, { name: 'triggers', topics: [renamed] }]));
    await waitFor(
      'records of the topic added by a rename',
      () => destinationRecordCount(`origin.${renamed}`),
      (n) => n === 5,
    );

    saveInPlace(renderConfig([steady, { name: 'triggers', topics: [renamed, inPlace] }]));
    await waitFor(
      'records of the topic added in place',
      () => destinationRecordCount(`origin.${inPlace}`),
      (n) => n === 5,
    );

    const loadsBefore = georep.logLines.filter((line) => line.msg === 'configuration loaded').length;
    const sameSavesBefore = georep.logLines.filter((line) =>
      line.msg.startsWith('the file was written but'),
    ).length;
    saveByRename(renderConfig([steady, { name: 'triggers', topics: [renamed, inPlace] }]));
    await georep.waitForLogLine(
      (line) =>
        line.msg.startsWith('the file was written but') &&
        georep.logLines.filter((l) => l.msg.startsWith('the file was written but')).length > sameSavesBefore,
      { what: 'the identical save seen', timeoutMs: CHANGE_TIMEOUT_MS },
    );
    assert.equal(
      georep.logLines.filter((line) => line.msg === 'configuration loaded').length,
      loadsBefore,
      'an identical save loads nothing',
    );
  });

  test('SIGHUP reloads a file that is not watched', { timeout: STEP_TIMEOUT_MS }, async () => {
    const hupTopic = `hup-${run36}`;
    await createTopic(hupTopic, 1);
    await produce(hupTopic, 5);
    // A second file on the same clusters while the main daemon runs: its own groupIdPrefix gives it lanes of its
    // own (sharing one, the two daemons would split its partitions; docs/configuration.md).
    const hupConfig = (topic: string) =>
      `${renderConfig([{ name: 'hup', topics: [topic] }])}  groupIdPrefix: georep-sighup\n`;
    const hupFile = run.writeFile('sighup.yaml', hupConfig(`nothing-yet-${run36}`));
    const unwatched = await run.startGeorep({
      configFile: hupFile,
      name: 'georep-sighup',
      extraArgs: ['--no-watch'],
    });
    try {
      writeFileSync(hupFile, hupConfig(hupTopic));
      unwatched.signal('SIGHUP');
      await unwatched.waitForStatus((status) => flowOf(status, hupTopic)?.state === 'running', {
        what: 'the flow added by SIGHUP running',
        timeoutMs: CHANGE_TIMEOUT_MS,
      });
      await waitFor(
        'records of the topic added by SIGHUP',
        () => destinationRecordCount(`origin.${hupTopic}`),
        (n) => n === 5,
      );
    } finally {
      await unwatched.stopGracefully({ timeoutMs: 30_000 });
    }
  });

  test('a new topic, added partitions and origin config changes reach the destination', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const pattern = `dyn-${run36}-*`;
    saveByRename(renderConfig([steady, { name: 'dynamic', topics: [pattern] }]));
    await georep.waitForLogLine((line) => line.msg === 'configuration loaded' && line.replications === 2, {
      what: 'the dynamic replication loaded',
      timeoutMs: CHANGE_TIMEOUT_MS,
    });
    const topic = `dyn-${run36}-a`;
    const replica = `origin.${topic}`;
    await createTopic(topic, 2, { 'retention.ms': '86400000', 'min.insync.replicas': '1' });
    await produce(topic, 5);
    const newTopic = await waitFor(
      'records of the new topic',
      () => destinationRecordCount(replica),
      (n) => n === 5,
    );
    process.stderr.write(
      `new topic: records on the destination ${newTopic.afterMs} ms after its first write\n`,
    );

    await originAdmin.createPartitions({ topics: [{ name: topic, count: 4 }] });
    await produce(topic, 3, 3);
    const grown = await waitFor(
      'the records of the added partition',
      async () =>
        (await endOffsets([destination.bootstrap], replica).catch(() => new Map<number, bigint>())).get(3),
      (end) => end === 3n,
    );
    process.stderr.write(`added partitions: records on the destination after ${grown.afterMs} ms\n`);

    const runsBefore = flowLines(flowOf(await georep.status(), topic)?.key ?? '', 'flow running').length;
    // A destination-only setting of an excluded key must survive the sync (AlterConfigs replaces the whole set).
    await replaceTopicConfigs(destinationAdmin, replica, {
      'retention.ms': '86400000',
      'min.insync.replicas': '1',
    });
    await replaceTopicConfigs(originAdmin, topic, {
      'retention.ms': '3600000',
      'cleanup.policy': 'compact',
      'min.insync.replicas': '1',
    });
    const synced = await waitFor(
      'the origin config change on the destination',
      () => destinationTopicConfigs(replica),
      (configs) => configs.get('retention.ms') === '3600000' && configs.get('cleanup.policy') === 'compact',
    );
    process.stderr.write(`config change: on the destination after ${synced.afterMs} ms\n`);
    assert.equal(
      synced.value.get('min.insync.replicas'),
      '1',
      'the excluded key set on the destination stays',
    );
    // The daemon records the change once the broker acknowledged it, a moment after the test can see it.
    const flow = flowOf(
      await georep.waitForStatus((status) => flowOf(status, topic)?.topicConfigSync !== null, {
        what: 'the config change in /status',
        timeoutMs: CHANGE_TIMEOUT_MS,
      }),
      topic,
    );
    assert.match(flow?.topicConfigSync?.applied ?? '', /retention\.ms=3600000 \(was 86400000\)/);
    assert.equal(flow?.state, 'running', 'the config change did not stop the flow');
    assert.equal(flowLines(flow?.key ?? '', 'flow running').length, runsBefore, 'nor restart it');
  });

  test('a deleted origin topic stops its flow; the copy is kept or deleted as configured; a re-created one is reported', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const kept = `gone-keep-${run36}`;
    const deleted = `gone-delete-${run36}`;
    for (const topic of [kept, deleted]) {
      await createTopic(topic, 1);
      await produce(topic, 5);
    }
    saveByRename(
      renderConfig([
        steady,
        { name: 'keep', topics: [kept] },
        { name: 'delete', topics: [deleted], onOriginTopicDeleted: 'delete' },
      ]),
    );
    for (const topic of [kept, deleted])
      await waitFor(
        `records of ${topic}`,
        () => destinationRecordCount(`origin.${topic}`),
        (n) => n === 5,
      );

    await originAdmin.deleteTopics({ topics: [kept, deleted] });
    await georep.waitForStatus(
      (status) => flowOf(status, kept) === undefined && flowOf(status, deleted) === undefined,
      { what: 'both flows stopped', timeoutMs: CHANGE_TIMEOUT_MS },
    );
    await waitFor(
      'the copy deleted',
      () => destinationTopicExists(`origin.${deleted}`),
      (exists) => !exists,
    );
    assert.equal(await destinationRecordCount(`origin.${kept}`), 5, 'the kept copy still has its records');

    await createTopic(kept, 1);
    await produce(kept, 2);
    // Until the new topic's metadata reached every broker, its flow may first fail as origin-topic-missing.
    await georep.waitForStatus((status) => flowOf(status, kept)?.error?.reason === 'origin-topic-recreated', {
      what: 'the re-created topic reported on its flow',
      timeoutMs: CHANGE_TIMEOUT_MS,
    });
    assert.equal(await destinationRecordCount(`origin.${kept}`), 5, 'nothing appended to the old copy');
    await georep.waitForLogLine(
      (line) => line.msg.startsWith(`origin topic ${kept} on origin was deleted and has been re-created`),
      {
        what: 'the re-creation in the log',
        timeoutMs: CHANGE_TIMEOUT_MS,
      },
    );
  });

  test('twenty reloads leave the unrelated steady flow alone, and each takes effect', {
    timeout: STEP_TIMEOUT_MS * 2,
  }, async () => {
    const x1 = `twenty-${run36}-1`;
    const x2 = `twenty-${run36}-2`;
    const x3 = `twenty-${run36}-3`;
    for (const topic of [x1, x2, x3]) {
      await createTopic(topic, 1);
      await produce(topic, 3);
    }
    const mirrored = async () => flowOf(await georep.status(), steadyTopic)?.recordsMirrored ?? 0;
    const lastReload = async () => (await georep.status()).lastReload;
    const running = (topic: string) => async () => flowOf(await georep.status(), topic);

    /** One reload: save (by rename unless told), then wait until the daemon shows it took effect. */
    const steps: {
      readonly what: string;
      readonly replications: readonly Replication[];
      readonly save?: (text: string) => void;
      readonly comment?: string;
      readonly check: () => Promise<void>;
    }[] = [];
    const flowState =
      (topic: string, state: string | undefined, extra?: (flow: GeorepStatus['flows'][number]) => boolean) =>
      async () => {
        await waitFor(`${topic} ${state ?? 'gone'}`, running(topic), (flow) =>
          state === undefined ? flow === undefined : flow?.state === state && (extra?.(flow) ?? true),
        );
      };
    const rejected = (pattern: RegExp) => async () => {
      const reload = await waitFor('the reload rejected', lastReload, (r) => r?.ok === false);
      assert.match(reload.value?.messages.join('\n') ?? '', pattern);
      const metrics = await (await fetch(`http://${georep.httpAddress}/metrics`)).text();
      assert.match(metrics, /^georep_config_last_reload_successful 0$/m);
    };
    const recovered = (check: () => Promise<void>) => async () => {
      await waitFor('the reload accepted', lastReload, (r) => r?.ok === true);
      await check();
    };
    const r1 = (extra: Partial<Replication> = {}): Replication => ({ name: 'r1', topics: [x1], ...extra });
    steps.push(
      { what: 'add r1', replications: [steady, r1()], check: flowState(x1, 'running') },
      {
        what: 'add a topic to r1',
        replications: [steady, r1({ topics: [x1, x2] })],
        check: flowState(x2, 'running'),
      },
      {
        what: 'remove a topic from r1',
        replications: [steady, r1({ topics: [x2] })],
        check: flowState(x1, undefined),
      },
      {
        what: 'pause r1',
        replications: [steady, r1({ topics: [x2], paused: true })],
        check: flowState(x2, 'paused'),
        save: saveInPlace,
      },
      {
        what: 'resume r1',
        replications: [steady, r1({ topics: [x2], paused: false })],
        check: flowState(x2, 'running'),
      },
      {
        what: 'change r1 settings',
        replications: [steady, r1({ topics: [x2], replicationFactor: 1 })],
        check: flowState(x2, 'running', (flow) => flow.spec.restartSettings.replicationFactor === 1),
      },
      {
        what: 'invalid value',
        replications: [steady, r1({ topics: [x2], extraLines: ['start: earlyest'] })],
        check: rejected(/geo-replication\.yaml:\d+:\d+: replications\[1\]\.start: "earlyest"/),
      },
      {
        what: 'fix',
        replications: [steady, r1({ topics: [x2], replicationFactor: 1 })],
        check: recovered(flowState(x2, 'running')),
      },
      {
        what: 'comments and order only',
        replications: [r1({ topics: [x2], replicationFactor: 1 }), steady],
        comment: 'reordered',
        check: async () => {
          const plansBefore = georep.logLines.filter((line) => line.msg.startsWith('applying plan')).length;
          const loads = georep.logLines.filter((line) => line.msg === 'configuration loaded').length;
          await waitFor(
            'the reordered file loaded',
            async () => georep.logLines.filter((line) => line.msg === 'configuration loaded').length,
            (n) => n > loads,
          );
          // Two more reconciles (discovery rounds) after the load: none of them had anything to do.
          const reconciles = await reconcileCount();
          await waitFor('two more reconciles', reconcileCount, (n) => n >= reconciles + 2);
          assert.equal(
            georep.logLines.filter((line) => line.msg.startsWith('applying plan')).length,
            plansBefore,
          );
        },
      },
      {
        what: 'add r2',
        replications: [steady, r1({ topics: [x2], replicationFactor: 1 }), { name: 'r2', topics: [x3] }],
        check: flowState(x3, 'running'),
      },
      {
        what: 'change r2 naming',
        replications: [
          steady,
          r1({ topics: [x2], replicationFactor: 1 }),
          { name: 'r2', topics: [x3], naming: '{topic}.copy' },
        ],
        check: flowState(x3, 'running', (flow) => flow.destinationTopic === `${x3}.copy`),
        save: saveInPlace,
      },
      {
        what: 'invalid YAML',
        replications: [steady, r1({ topics: [x2], replicationFactor: 1, extraLines: ['topics: [unclosed'] })],
        check: rejected(/geo-replication\.yaml:\d+:\d+:/),
      },
      {
        what: 'fix',
        replications: [
          steady,
          r1({ topics: [x2], replicationFactor: 1 }),
          { name: 'r2', topics: [x3], naming: '{topic}.copy' },
        ],
        check: recovered(flowState(x3, 'running')),
      },
      {
        what: 'remove r2',
        replications: [steady, r1({ topics: [x2], replicationFactor: 1 })],
        check: flowState(x3, undefined),
      },
      {
        what: 'change r1 config excludes',
        replications: [
          steady,
          r1({ topics: [x2], replicationFactor: 1, topicConfigExclude: ['retention.ms'] }),
        ],
        check: flowState(
          x2,
          'running',
          (flow) => flow.spec.restartSettings.topicConfigExclude.join() === 'retention.ms',
        ),
      },
      {
        what: 'pause r1',
        replications: [
          steady,
          r1({ topics: [x2], replicationFactor: 1, topicConfigExclude: ['retention.ms'], paused: true }),
        ],
        check: flowState(x2, 'paused'),
      },
      {
        what: 'resume r1 and rename it',
        replications: [
          steady,
          { name: 'r1-renamed', topics: [x2], replicationFactor: 1, topicConfigExclude: ['retention.ms'] },
        ],
        check: flowState(x2, 'running', (flow) => flow.replication === 'r1-renamed'),
        save: saveInPlace,
      },
      {
        what: 'invalid: a destination that is not a cluster',
        replications: [steady, { name: 'r1-renamed', topics: [x2], extraLines: ['destinations: [nowhere]'] }],
        check: rejected(/geo-replication\.yaml:\d+:\d+: /),
      },
      {
        what: 'fix',
        replications: [
          steady,
          { name: 'r1-renamed', topics: [x2], replicationFactor: 1, topicConfigExclude: ['retention.ms'] },
        ],
        check: recovered(flowState(x2, 'running')),
      },
      { what: 'back to the steady flow alone', replications: [steady], check: flowState(x2, undefined) },
    );
    assert.equal(steps.length, 20);

    for (const [index, step] of steps.entries()) {
      const before = await mirrored();
      (step.save ?? saveByRename)(renderConfig(step.replications, step.comment));
      try {
        await step.check();
      } catch (error) {
        throw new Error(
          `reload ${index + 1} (${step.what}): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      // The steady flow kept copying while this reload happened.
      await waitFor(`steady records after reload ${index + 1}`, mirrored, (count) => count > before);
      mirroredPerStep.push(await mirrored());
    }

    assert.equal(flowLines(steadyKey, 'flow running').length, 1, 'the steady flow started once, at startup');
    assert.equal(
      flowLines(steadyKey, 'partitions assigned').length,
      steadyAssignmentsBefore,
      'the steady consumer was never reassigned',
    );
    const group = await groupMembers(steadyGroupId);
    assert.deepEqual(
      group,
      { state: 'Stable', members: steadyMembersBefore },
      'the same member, never rejoined',
    );

    // Every steady record reached the destination, in order, none missing.
    const produced = (await steadyProducer?.stop()) ?? 0;
    steadyProducer = null;
    const originEnds = await endOffsets([origin.bootstrap], steadyTopic);
    await waitFor(
      'the steady flow caught up',
      async () => endOffsets([destination.bootstrap], `origin.${steadyTopic}`),
      (ends) => [...originEnds].every(([partition, end]) => (ends.get(partition) ?? 0n) >= end),
    );
    const copied = await readAllValues({ brokers: [destination.bootstrap], topic: `origin.${steadyTopic}` });
    const originals = await readAllValues({ brokers: [origin.bootstrap], topic: steadyTopic });
    assert.deepEqual(copied, originals);
    assert.equal(
      [...originals.values()].reduce((sum, values) => sum + values.length, 0),
      produced,
      'the origin holds what was produced',
    );
  });
});
