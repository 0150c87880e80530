// Least privilege against deny-by-default brokers (StandardAuthorizer): georep's principal User:georep gets
// exactly the ACLs of test/support/georep-acls.ts (what docs/acls.md documents) and nothing more, and an
// at-least-once and an exactly-once flow copy byte for byte, also after a restart (which re-reads the
// destination topic's configs). A topic named in the file but hidden by the ACLs gets a warning. Then the
// origin's Group Read is taken away, and each flow says `authorization-failed`, naming its lane's group and the
// missing ACL.
//
// The harness, the test's writer and reader connect to the PLAINTEXT listeners as super users; georep
// connects to the SASL_PLAINTEXT listeners as User:georep.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Acl,
  AclOperations,
  AclPermissionTypes,
  ConfigResourceTypes,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import { createTopics, withAdmin } from '../../harness/kafka-client.js';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import { type ReadRecord, readTopicToEnd } from '../../harness/kafka-reader.js';
import { type RecordToWrite, recordWriter } from '../../harness/kafka-writer.js';
import { type AclDelivery, type AclSide, aclsFor, type GeorepAcl } from '../support/georep-acls.js';
import type { GeorepProcess, GeorepStatus } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 2;
const STEP_TIMEOUT_MS = 120_000;
const GROUP_ID_PREFIX = 'georep';
const PRINCIPAL = 'User:georep';
const password = `pw-${randomBytes(12).toString('base64url')}`;

const run = new TwoClusterRun('acls', {
  names: ['origin', 'destination'],
  localOnly: 'needs clusters the harness starts (an authorizer, a SASL listener)',
  local: { saslPlainUsers: { georep: password }, standardAuthorizer: true },
});

/** One flow per delivery; prefix naming puts `origin.<topic>` on the destination. */
const flows = (['at-least-once', 'exactly-once'] as const).map((delivery) => {
  const topic = uniqueTopicName(`acl-${delivery}`);
  return {
    delivery,
    topic,
    destinationTopic: `origin.${topic}`,
    key: `origin/${topic} -> destination/origin.${topic}`,
    /** Its lane's group: both flows' (one origin, one destination, prefix naming). */
    groupId: `${GROUP_ID_PREFIX}.origin.destination.prefix`,
  };
});

/** On the origin and named by the at-least-once replication, but without any ACL: georep cannot see it. */
const hiddenTopic = uniqueTopicName('acl-hidden');

let origin: LocalKafkaCluster;
let destination: LocalKafkaCluster;
let configFile: string;

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  [origin, destination] = run.local;
  await withAdmin(origin.bootstrap, (admin) =>
    createTopics(
      admin,
      [...flows.map((flow) => flow.topic), hiddenTopic].map((topic) => ({ topic, partitions: PARTITIONS })),
    ),
  );
  configFile = run.writeFile('geo-replication.yaml', mirrorConfig());
});
after(() => run.finish());

function mirrorConfig(): string {
  const cluster = (name: string, bootstrap: string | null) => [
    `  ${name}:`,
    `    bootstrap: [${bootstrap}]`,
    '    sasl: { mechanism: plain, username: georep, password: "${env:GEOREP_TEST_PASSWORD}" }',
  ];
  return [
    'clusters:',
    ...cluster('origin', origin.saslBootstrap),
    ...cluster('destination', destination.saslBootstrap),
    'replications:',
    ...flows.flatMap((flow) => [
      `  - name: ${flow.delivery}`,
      '    origin: origin',
      '    destinations: [destination]',
      `    topics: { include: [${flow.delivery === 'at-least-once' ? `${flow.topic}, ${hiddenTopic}` : flow.topic}] }`,
      `    delivery: ${flow.delivery}`,
    ]),
    'daemon:',
    `  groupIdPrefix: ${GROUP_ID_PREFIX}`,
    '  discoveryIntervalMs: 2000',
    '',
  ].join('\n');
}

const OPERATIONS = {
  Read: AclOperations.READ,
  Write: AclOperations.WRITE,
  Create: AclOperations.CREATE,
  DescribeConfigs: AclOperations.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperations.ALTER_CONFIGS,
} as const;

/** The ACL bindings of one table row for one flow: topics by literal name, the rest by prefix. */
function bindings(acl: GeorepAcl, flow: (typeof flows)[number]): Acl[] {
  const target =
    acl.resource === 'mirrored topics'
      ? { resourceName: flow.topic, resourcePatternType: ResourcePatternTypes.LITERAL }
      : acl.resource === 'destination topics'
        ? { resourceName: flow.destinationTopic, resourcePatternType: ResourcePatternTypes.LITERAL }
        : { resourceName: `${GROUP_ID_PREFIX}.`, resourcePatternType: ResourcePatternTypes.PREFIXED };
  const resourceType = {
    Topic: ResourceTypes.TOPIC,
    Group: ResourceTypes.GROUP,
    TransactionalId: ResourceTypes.TRANSACTIONAL_ID,
  }[acl.resourceType];
  return acl.operations.map((operation) => ({
    resourceType,
    ...target,
    principal: PRINCIPAL,
    host: '*',
    operation: OPERATIONS[operation],
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

/** Exactly the table's ACLs for every flow on one side, each binding once. */
function grantsOn(side: AclSide): Acl[] {
  const unique = new Map<string, Acl>();
  for (const flow of flows) {
    for (const acl of aclsFor(side, flow.delivery as AclDelivery)) {
      for (const binding of bindings(acl, flow)) unique.set(JSON.stringify(binding), binding);
    }
  }
  return [...unique.values()];
}

/** Grants the ACLs and checks that the cluster now holds exactly these for the principal, nothing else. */
async function grantExactly(cluster: LocalKafkaCluster, acls: Acl[]): Promise<void> {
  const key = (acl: Acl) =>
    JSON.stringify([acl.resourceType, acl.resourceName, acl.resourcePatternType, acl.operation]);
  const wanted = acls.map(key).sort();
  await withAdmin(cluster.bootstrap, async (admin) => {
    await admin.createAcls({ creations: acls });
    // The broker serves ACLs from its copy of the cluster metadata, which follows the controller shortly.
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const held = (await admin.describeAcls({ filter: everyAclOf(PRINCIPAL) })).flatMap(
        ({ acls: permissions, ...target }) =>
          permissions.map((permission) => key({ ...target, ...permission })),
      );
      if (Date.now() > deadline || held.length >= wanted.length) {
        assert.deepEqual(held.sort(), wanted, `${cluster.name}: the ACLs of ${PRINCIPAL}`);
        return;
      }
      await sleep(200);
    }
  });
}

function everyAclOf(principal: string) {
  return {
    resourceType: ResourceTypes.ANY,
    resourceName: null,
    resourcePatternType: ResourcePatternTypes.ANY,
    principal,
    host: null,
    operation: AclOperations.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
}

/** Records with what clients tend to change: null key, empty and null values, repeated and null headers. */
function recordsFor(round: string, count: number): RecordToWrite[] {
  return Array.from({ length: count }, (_, index) => ({
    key: index % 5 === 0 ? null : `${round}-key-${index}`,
    value: index % 7 === 3 ? null : index % 7 === 4 ? '' : randomBytes(16 + index),
    headers: [
      ['h', `${round}-${index}`],
      ['h', null],
      [Buffer.from([0xff, 0x00]), Buffer.from([index & 0xff])],
    ],
    timestampMs: 1_700_000_000_000 + index,
    partition: index % PARTITIONS,
  }));
}

function content(record: ReadRecord): string {
  const bytes = (value: Buffer | null) => (value === null ? '~' : value.toString('base64'));
  const headers = record.headers.map(([key, value]) => `${bytes(key)}=${bytes(value)}`).join(',');
  return `${record.partition}|${bytes(record.key)}|${bytes(record.value)}|${headers}|${record.timestampMs}`;
}

async function contents(brokers: string, topic: string): Promise<string[]> {
  const records: string[] = [];
  await readTopicToEnd({
    brokers,
    topic,
    isolation: 'read_committed',
    onRecord: (record) => records.push(content(record)),
  });
  return records.sort();
}

async function writeRound(round: string): Promise<void> {
  const writer = recordWriter(origin.bootstrap);
  try {
    for (const flow of flows) await writer.send(flow.topic, recordsFor(round, 40));
  } finally {
    await writer.close();
  }
}

function startGeorep(name: string): Promise<GeorepProcess> {
  return run.startGeorep({ configFile, name, env: { GEOREP_TEST_PASSWORD: password } });
}

/** Waits until every flow runs and the destination holds, byte for byte, what the origin holds. */
async function assertCopied(georep: GeorepProcess): Promise<void> {
  await georep.waitForStatus(
    (status) =>
      flows.every((flow) => {
        const state = status.flows.find((candidate) => candidate.key === flow.key);
        return state?.state === 'running' && state.lag === 0 && state.recordsMirrored > 0;
      }),
    { what: 'both flows running and caught up', timeoutMs: STEP_TIMEOUT_MS },
  );
  for (const flow of flows) {
    const originRecords = await contents(origin.bootstrap, flow.topic);
    const copied = await contents(destination.bootstrap, flow.destinationTopic);
    assert.deepEqual(copied, originRecords, `${flow.key}: the destination holds the origin's records`);
  }
}

/** A topic's `retention.ms`, as the broker reports it (set on the topic or inherited). */
async function retentionMs(brokers: string, topic: string): Promise<string | undefined> {
  const [described] = await withAdmin(brokers, (admin) =>
    admin.describeConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] },
      ],
      includeSynonyms: false,
    }),
  );
  return described?.configs.find((entry) => entry.name === 'retention.ms')?.value ?? undefined;
}

function flowError(status: GeorepStatus, key: string) {
  return status.flows.find((flow) => flow.key === key)?.error ?? null;
}

describe(`${run.label}: georep with exactly the documented ACLs`, { skip: run.skipReason }, () => {
  let georep: GeorepProcess;

  test('copies at-least-once and exactly-once flows with the table granted and nothing more', async () => {
    await grantExactly(origin, grantsOn('origin'));
    await grantExactly(destination, grantsOn('destination'));
    await writeRound('first');
    georep = await startGeorep('georep-1');
    await assertCopied(georep);
  });

  test('warns about a topic named in the file that the principal may not see', async () => {
    const warning = await georep.waitForLogLine(
      (line) => line.level === 'warn' && line.msg.startsWith(`topic ${hiddenTopic} `),
      { what: `a warning about ${hiddenTopic}`, timeoutMs: STEP_TIMEOUT_MS },
    );
    assert.match(warning.msg, /is not listed by origin origin: .*no ACL to Describe it/);
  });

  test('keeps copying after a restart (configs of existing destination topics are read again)', async () => {
    const { exit } = await georep.stopGracefully({ timeoutMs: 30_000 });
    assert.equal(exit.code, 0, georep.tail());
    await writeRound('second');
    georep = await startGeorep('georep-2');
    await assertCopied(georep);
  });

  test('follows a config change of the origin topics to the destination topics', async () => {
    const retention = String(3 * 24 * 3_600_000 + 1);
    await withAdmin(origin.bootstrap, (admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: flows.map((flow) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: flow.topic,
          configs: [{ name: 'retention.ms', value: retention }],
        })),
      }),
    );
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (const flow of flows) {
      while ((await retentionMs(destination.bootstrap, flow.destinationTopic)) !== retention) {
        assert.ok(Date.now() < deadline, `${flow.destinationTopic} did not get retention.ms=${retention}`);
        await sleep(500);
      }
    }
  });

  test("without Group Read on the origin, each flow fails with authorization-failed naming its lane's group", async () => {
    await withAdmin(origin.bootstrap, (admin) =>
      admin.deleteAcls({
        filters: [
          {
            resourceType: ResourceTypes.GROUP,
            resourceName: `${GROUP_ID_PREFIX}.`,
            resourcePatternType: ResourcePatternTypes.PREFIXED,
            principal: PRINCIPAL,
            host: '*',
            operation: AclOperations.READ,
            permissionType: AclPermissionTypes.ALLOW,
          },
        ],
      }),
    );
    await writeRound('third');
    const status = await georep.waitForStatus(
      (current) => flows.every((flow) => flowError(current, flow.key) !== null),
      { what: 'both flows failed', timeoutMs: STEP_TIMEOUT_MS },
    );
    for (const flow of flows) {
      const error = flowError(status, flow.key)!;
      assert.equal(error.reason, 'authorization-failed', `${flow.key}: ${error.message}`);
      // Read, or Describe (which Read implies) when the refused request was the coordinator lookup.
      const missing = new RegExp(
        `no ACL allows (Read|Describe) on group ${flow.groupId.replaceAll('.', '\\.')}`,
      );
      assert.match(error.message, missing, `${flow.key}: the message names the group and the operation`);
    }
  });
});
