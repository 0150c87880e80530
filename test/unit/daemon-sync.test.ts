// The daemon's continuous sync on the in-memory Kafka: on a discovery round, destination topic configs follow
// the origin's (a failed change stays that flow's problem), and a deleted origin topic's copy is kept or
// deleted as the replication says, with a re-created topic reported instead of appended to the old copy. A
// flow restarted by a reload goes on counting its records where it stopped, as the metric does. A destination
// that does not answer makes the daemon not ready, naming a stalled flow.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { InvalidRequest } from '../../src/kafka/errors.js';
import type { KafkaAdmin, KafkaCluster, TopicConfigChanges } from '../../src/kafka/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { DESTINATION_TIMESTAMP_LIMITS } from '../../src/plan/topic-configs.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { inMemoryClustersConfig, quietNotifier, waitForStatus } from '../support/daemon-fixtures.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';

const workDir = mkdtempSync(path.join(tmpdir(), 'georep-daemon-sync-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

interface Setup {
  readonly daemon: Daemon;
  readonly origin: InMemoryKafka;
  readonly destination: InMemoryKafka;
  readonly originAdmin: KafkaAdmin;
  readonly destinationAdmin: KafkaAdmin;
  readonly metrics: Metrics;
  readonly logMessages: string[];
  /** Writes the file again with these replications and reloads it, as the file watch does. */
  reload(replications: readonly string[]): Promise<void>;
  /** Runs one discovery round and waits for it. */
  discover(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A daemon on two in-memory clusters, with one replication per entry of `replications` (YAML lines). The
 * discovery timer is set to an hour: the tests run the rounds themselves. Destination configs of the topics
 * in `refuseConfigsOf` cannot be changed (the destination refuses them).
 */
async function startDaemon(
  name: string,
  topics: Readonly<Record<string, Record<string, string>>>,
  replications: readonly string[],
  refuseConfigsOf: readonly string[] = [],
): Promise<Setup> {
  const origin = new InMemoryKafka('origin');
  const destination = new InMemoryKafka('destination');
  const originAdmin = origin.createAdmin();
  const destinationAdmin = destination.createAdmin();
  for (const [topic, configs] of Object.entries(topics)) {
    await originAdmin.createTopic({
      name: topic,
      partitionCount: 1,
      replicationFactor: 1,
      configs: new Map(Object.entries(configs)),
    });
  }
  const refusingDestination: KafkaCluster = {
    name: 'destination',
    createAdmin: () => {
      const admin = destination.createAdmin();
      const refusingAlter = async (topic: string, changes: TopicConfigChanges) => {
        if (refuseConfigsOf.includes(topic))
          throw new InvalidRequest('destination', `alter configs of topic ${topic}: refused by the test`);
        return admin.alterTopicConfigs(topic, changes);
      };
      return new Proxy(admin, {
        get(target, property) {
          if (property === 'alterTopicConfigs') return refusingAlter;
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    createSource: (options) => destination.createSource(options),
    createLaneSource: (options) => destination.createLaneSource(options),
    createSink: () => destination.createSink(),
  };
  const configFile = path.join(workDir, `${name}.yaml`);
  const writeConfig = (lines: readonly string[]) =>
    writeFileSync(configFile, inMemoryClustersConfig(lines, ['daemon:', '  discoveryIntervalMs: 3600000']));
  writeConfig(replications);
  const logMessages: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logMessages.push(JSON.parse(line).msg);
      done();
    },
  });
  const metrics = new Metrics();
  const daemon = new Daemon({
    configPath: configFile,
    env: () => undefined,
    clusterFactory: (cluster) => (cluster.name === 'origin' ? origin : refusingDestination),
    logger: createLogger('info', logStream),
    metrics,
    notifier: quietNotifier,
    httpListenOverride: '127.0.0.1:0',
  });
  await daemon.start();
  await waitForStatus(daemon, (status) => status.flows.every((flow) => flow.state === 'running'));
  return {
    daemon,
    origin,
    destination,
    originAdmin,
    destinationAdmin,
    metrics,
    logMessages,
    async reload(lines) {
      writeConfig(lines);
      daemon.requestReconcile('file-change');
      await daemon.whenIdle();
    },
    async discover() {
      daemon.requestReconcile('discovery');
      await daemon.whenIdle();
    },
    async stop() {
      await daemon.stop(5000);
    },
  };
}

async function topicConfigs(admin: KafkaAdmin, topic: string): Promise<Record<string, string | null>> {
  const configs = (await admin.describeTopicConfigs([topic])).get(topic) ?? [];
  return Object.fromEntries(configs.filter((c) => c.source === 'topic').map((c) => [c.name, c.value]));
}

async function metricSample(metrics: Metrics, pattern: RegExp): Promise<number | null> {
  const { body } = await metrics.exposition();
  const line = body.split('\n').find((candidate) => pattern.test(candidate));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const replication = (topics: string, extra: readonly string[] = []) => [
  '  - origin: origin',
  '    destinations: [destination]',
  `    topics: { include: [${topics}] }`,
  ...extra.map((line) => `    ${line}`),
];

describe('on a discovery round, destination topic configs follow the origin', () => {
  test('a changed origin config reaches the destination without restarting the flow; excluded keys stay', async () => {
    const setup = await startDaemon(
      'follow',
      { orders: { 'retention.ms': '86400000' } },
      replication('orders'),
    );
    try {
      // An excluded key set by hand on the destination must survive the change.
      await setup.destinationAdmin.alterTopicConfigs('origin.orders', {
        set: new Map([['min.insync.replicas', '2']]),
        remove: [],
      });
      await setup.originAdmin.alterTopicConfigs('orders', {
        set: new Map([
          ['retention.ms', '3600000'],
          ['cleanup.policy', 'compact'],
        ]),
        remove: [],
      });
      const sinceBefore = setup.daemon.status().flows[0]?.sinceMs;
      await setup.discover();
      assert.deepEqual(await topicConfigs(setup.destinationAdmin, 'origin.orders'), {
        'cleanup.policy': 'compact',
        'min.insync.replicas': '2',
        'retention.ms': '3600000',
        // Set when georep created the topic, and kept: never compared with the origin's.
        ...DESTINATION_TIMESTAMP_LIMITS,
      });
      const flow = setup.daemon.status().flows[0];
      assert.equal(flow?.state, 'running');
      assert.equal(flow?.sinceMs, sinceBefore, 'the flow kept running');
      assert.equal(
        flow?.topicConfigSync?.applied,
        'cleanup.policy=compact (was unset), retention.ms=3600000 (was 86400000)',
      );
      assert.equal(
        await metricSample(setup.metrics, /^georep_topic_config_syncs_total\{.*result="applied"\}/),
        1,
      );

      await setup.discover();
      assert.equal(
        await metricSample(setup.metrics, /^georep_topic_config_syncs_total\{.*result="applied"\}/),
        1,
        'nothing drifted, nothing altered',
      );
    } finally {
      await setup.stop();
    }
  });

  test('a change the destination refuses is reported on that flow; the other flows follow', async () => {
    const setup = await startDaemon(
      'refused',
      { orders: {}, payments: {} },
      replication('orders, payments'),
      ['origin.payments'],
    );
    try {
      for (const topic of ['orders', 'payments'])
        await setup.originAdmin.alterTopicConfigs(topic, {
          set: new Map([['retention.ms', '3600000']]),
          remove: [],
        });
      await setup.discover();
      const flows = new Map(setup.daemon.status().flows.map((flow) => [flow.originTopic, flow]));
      assert.match(flows.get('payments')?.topicConfigSync?.error ?? '', /refused by the test/);
      assert.equal(flows.get('payments')?.state, 'running', 'the flow keeps copying');
      assert.equal(flows.get('orders')?.topicConfigSync?.applied, 'retention.ms=3600000 (was unset)');
      assert.deepEqual(await topicConfigs(setup.destinationAdmin, 'origin.orders'), {
        'retention.ms': '3600000',
        ...DESTINATION_TIMESTAMP_LIMITS,
      });
      assert.equal(
        await metricSample(setup.metrics, /^georep_topic_config_syncs_total\{.*result="failed"\}/),
        1,
      );
    } finally {
      await setup.stop();
    }
  });
});

describe('a deleted origin topic', () => {
  test('onOriginTopicDeleted: delete stops its flow and deletes the copy', async () => {
    const setup = await startDaemon(
      'delete',
      { orders: {} },
      replication('orders', ['onOriginTopicDeleted: delete']),
    );
    try {
      setup.origin.topics.delete('orders');
      await setup.discover();
      assert.deepEqual(setup.daemon.status().flows, []);
      assert.equal(setup.destination.topics.has('origin.orders'), false);
      assert.equal(
        await metricSample(
          setup.metrics,
          /^georep_origin_topics_deleted_total\{.*destination_copy="deleted"\}/,
        ),
        1,
      );
    } finally {
      await setup.stop();
    }
  });

  test('by default the copy is kept, and a re-created topic is never appended to it', async () => {
    const setup = await startDaemon('keep', { orders: {} }, replication('orders'));
    try {
      setup.origin.topics.delete('orders');
      await setup.discover();
      assert.deepEqual(setup.daemon.status().flows, []);
      assert.equal(setup.destination.topics.has('origin.orders'), true);

      await setup.originAdmin.createTopic({
        name: 'orders',
        partitionCount: 1,
        replicationFactor: 1,
        configs: new Map(),
      });
      await setup.discover();
      const status = await waitForStatus(setup.daemon, (s) => s.flows[0]?.state === 'error');
      assert.equal(status.flows[0]?.error?.reason, 'origin-topic-recreated');
      assert.ok(
        setup.logMessages.some((message) =>
          message.startsWith('origin topic orders on origin was deleted and has been re-created'),
        ),
      );
      assert.equal(await metricSample(setup.metrics, /^georep_origin_topics_recreated_total\{/), 1);
    } finally {
      await setup.stop();
    }
  });
});

describe('a flow restarted by a reload', () => {
  test('keeps its MIRRORED count in /status, in step with georep_records_mirrored_total', async () => {
    const setup = await startDaemon('restart-count', { orders: {} }, replication('orders'));
    const produce = async (count: number) => {
      const records = Array.from({ length: count }, (_, index) => ({
        key: null,
        value: Buffer.from(`order ${index}`),
        headers: [],
        timestampMs: Date.now(),
      }));
      await setup.origin.createSink().write('orders', 0, records);
    };
    const mirroredMetric = () =>
      metricSample(setup.metrics, /^georep_records_mirrored_total\{.*topic="orders"\}/);
    try {
      await produce(3);
      await waitForStatus(setup.daemon, (status) => status.flows[0]?.recordsMirrored === 3);
      const sinceBefore = setup.daemon.status().flows[0]?.sinceMs;
      // A changed config exclude list restarts the flow.
      await setup.reload(replication('orders', ['topicConfig: { exclude: [retention.bytes] }']));
      await waitForStatus(setup.daemon, (status) => status.flows[0]?.state === 'running');
      assert.ok(
        setup.logMessages.some((message) => message.includes('1 to restart')),
        'the reload restarted the flow',
      );
      assert.notEqual(setup.daemon.status().flows[0]?.sinceMs, sinceBefore);
      assert.equal(setup.daemon.status().flows[0]?.recordsMirrored, 3, 'the count survives the restart');

      await produce(2);
      const status = await waitForStatus(setup.daemon, (s) => s.flows[0]?.recordsMirrored === 5);
      assert.equal(await mirroredMetric(), 5);
      assert.ok((status.flows[0]?.bytesMirrored ?? 0) >= 5 * 'order 0'.length);
    } finally {
      await setup.stop();
    }
  });
});

describe('a flow stopped for good by a reload', () => {
  test('leaves no series in /metrics; the flows kept keep theirs', async () => {
    const setup = await startDaemon(
      'removed-series',
      { orders: {}, payments: {} },
      replication('orders, payments'),
    );
    const records = [{ key: null, value: Buffer.from('order'), headers: [], timestampMs: Date.now() }];
    try {
      await setup.origin.createSink().write('orders', 0, records);
      await setup.origin.createSink().write('payments', 0, records);
      await waitForStatus(setup.daemon, (status) => status.flows.every((flow) => flow.recordsMirrored === 1));
      await setup.reload(replication('payments'));
      const { body } = await setup.metrics.exposition();
      assert.doesNotMatch(body, /topic="orders"/);
      assert.match(body, /^georep_records_mirrored_total\{.*topic="payments"\} 1$/m);
    } finally {
      await setup.stop();
    }
  });
});

describe('a daemon whose destination does not answer', () => {
  test('is not ready, names the first stalled flow by key, and counts its flows as stalled', async () => {
    const setup = await startDaemon('stalled', { orders: {}, audit: {} }, replication('orders, audit'));
    try {
      setup.destination.setUnavailable('connection refused');
      for (const topic of ['orders', 'audit']) {
        await setup.origin
          .createSink()
          .write(topic, 0, [{ key: null, value: Buffer.from('x'), headers: [], timestampMs: Date.now() }]);
      }
      await waitForStatus(setup.daemon, (status) => status.flows.every((flow) => flow.state === 'stalled'));
      const readyz = await fetch(`http://${setup.daemon.httpAddress}/readyz`);
      assert.equal(readyz.status, 503);
      assert.match(
        await readyz.text(),
        /2 flow\(s\) stalled, e\.g\. origin\/audit -> destination\/origin\.audit: destination-unavailable: /,
      );
      await fetch(`http://${setup.daemon.httpAddress}/metrics`);
      assert.equal(await metricSample(setup.metrics, /^georep_flows\{state="stalled"\}/), 2);
      assert.equal(await metricSample(setup.metrics, /^georep_flows\{state="running"\}/), 0);
    } finally {
      setup.destination.setUnavailable(null);
      await setup.stop();
    }
  });
});
