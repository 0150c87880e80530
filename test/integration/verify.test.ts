// `georep verify` against real clusters: after georep copied a topic (several partitions, records with headers
// and null values, an aborted transaction on the origin that is not copied, so offsets differ) it reports every
// partition as matching and exits 0; while records are produced and copied it finds nothing that differs; with
// records produced after georep stopped it reports the partition behind with the lag (exit 3); a record written
// into the destination behind georep's back is found with its origin and destination offsets (exit 1). It joins
// no consumer group on either cluster.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withAdmin } from '../../harness/kafka-client.js';
import { type RecordToWrite, recordWriter } from '../../harness/kafka-writer.js';
import { caughtUp, GeorepProcess, runGeorepCommand, writeMirrorConfig } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopics, endOffsets } from './support/sequence-records.js';
import { KEEP_FOREVER } from './support/tricky-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const PARTITIONS = 3;
const RECORDS_PER_PARTITION = 40;
const STEP_TIMEOUT_MS = 120_000;

const run = new TwoClusterRun('verify');
const topic = uniqueTopicName('verify');
const destinationTopic = `origin.${topic}`;
const flowKey = `origin/${topic} -> destination/${destinationTopic}`;
/** One partition large enough for --sample 2 to read only part of it (two windows of 1000 records). */
const bigTopic = uniqueTopicName('verify-big');
const BIG_RECORDS = 6000;
const bigFlowKey = `origin/${bigTopic} -> destination/origin.${bigTopic}`;

/** Records with repeated headers, a null header value, tombstones and empty values, by partition. */
function recordsOf(partition: number, from: number, count: number): RecordToWrite[] {
  return Array.from({ length: count }, (_, index) => {
    const n = from + index;
    return {
      partition,
      key: n % 7 === 0 ? null : `key-${partition}-${n}`,
      value: n % 5 === 0 ? null : n % 11 === 0 ? '' : `value ${partition}/${n}`,
      headers: [
        ['trace', `t-${n}`],
        ['trace', null],
        ['n', String(n)],
      ],
      timestampMs: 1_700_000_000_000 + n,
    };
  });
}

async function groupIds(brokers: readonly string[]): Promise<string[]> {
  const groups = await withAdmin(brokers, (admin) => admin.listGroups());
  return [...groups.keys()].sort();
}

/** `georep verify` of the small topic's flow, unless the arguments say otherwise. */
async function verify(...args: string[]) {
  const filter = args.includes('--topic') ? [] : ['--topic', topic];
  return runGeorepCommand(['verify', '-c', configFile, ...filter, ...args]);
}

let configFile: string;

before(async (context) => {
  await run.start(context.signal);
  run.deleteAtEnd('origin', [topic, bigTopic]);
  run.deleteAtEnd('destination', [destinationTopic, `origin.${bigTopic}`]);
  // Timestamps from 2023: time-based retention would delete the records (georep copies the config over).
  await createTopics(run.origin, [
    { topic, partitions: PARTITIONS, configs: Object.fromEntries([KEEP_FOREVER]) },
    { topic: bigTopic, partitions: 1 },
  ]);
  const plain = recordWriter(run.origin, { clientId: 'verify-test' });
  const transactional = recordWriter(run.origin, {
    clientId: 'verify-test-tx',
    transactionalId: `verify-test-${process.pid}`,
  });
  try {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      await plain.send(topic, recordsOf(partition, 0, RECORDS_PER_PARTITION / 2));
    }
    // Aborted in partition 0: read_committed skips it, so origin and destination offsets part ways there.
    await transactional.sendInTransaction(topic, recordsOf(0, 1000, 3), 'abort');
    for (let partition = 0; partition < PARTITIONS; partition++) {
      await plain.send(topic, recordsOf(partition, RECORDS_PER_PARTITION / 2, RECORDS_PER_PARTITION / 2));
    }
    // In sends of 100, so that the log holds many batches and a window's reads need not fetch them all.
    for (let from = 0; from < BIG_RECORDS; from += 100) {
      await plain.send(
        bigTopic,
        Array.from({ length: 100 }, (_, index) => ({
          partition: 0,
          key: `k${from + index}`,
          value: `big record ${from + index} ${'x'.repeat(200)}`,
        })),
      );
    }
  } finally {
    await plain.close();
    await transactional.close();
  }
  configFile = writeMirrorConfig({
    dir: run.workDir,
    originBrokers: run.origin,
    destinationBrokers: run.destination,
    topics: [topic, bigTopic],
    daemon: { discoveryIntervalMs: 1000 },
  });
});

after(() => run.finish());

describe(`${run.target.label}: georep verify`, { skip: run.target.skipReason }, () => {
  let georep: GeorepProcess;

  before(async () => {
    georep = await GeorepProcess.start({ configFile, name: 'georep-verify', logDir: run.workDir });
    const ends = await endOffsets(run.origin, topic);
    const bigEnds = await endOffsets(run.origin, bigTopic);
    await georep.waitForStatus(
      (status) => caughtUp([status], flowKey, ends) && caughtUp([status], bigFlowKey, bigEnds),
      { what: 'the topics copied', timeoutMs: STEP_TIMEOUT_MS },
    );
  });

  test('without a filter, every flow of the file is verified', async () => {
    const result = await runGeorepCommand(['verify', '-c', configFile]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /4 partition\(s\): 4 match, 0 behind, 0 differ, 0 unreadable/);
  });

  test('--sample 2 compares two windows of the large partition and reads less than a full check', async () => {
    const sampled = await verify('--topic', bigTopic, '--sample', '2', '--json');
    const full = await verify('--topic', bigTopic, '--json');
    assert.equal(sampled.code, 0, sampled.stderr);
    assert.equal(full.code, 0, full.stderr);
    const [window] = JSON.parse(sampled.stdout).partitions;
    const [whole] = JSON.parse(full.stdout).partitions;
    assert.deepEqual([window.result, window.sampled, window.records], ['match', true, 2000]);
    assert.deepEqual([whole.result, whole.sampled, whole.records], ['match', false, BIG_RECORDS]);
    assert.ok(
      window.bytesRead.origin < whole.bytesRead.origin,
      `sampled ${window.bytesRead.origin} bytes, full ${whole.bytesRead.origin}`,
    );
  });

  test('after georep copied the topic, every partition matches (exit 0), while georep runs', async () => {
    const groupsBefore = [await groupIds(run.origin), await groupIds(run.destination)];
    const result = await verify();
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    for (let partition = 0; partition < PARTITIONS; partition++) {
      assert.match(
        result.stdout,
        new RegExp(
          `${flowKey.replaceAll('.', '\\.')} +${partition} +MATCH +${RECORDS_PER_PARTITION} +sha256`,
        ),
      );
    }
    assert.match(result.stdout, /3 partition\(s\): 3 match, 0 behind, 0 differ, 0 unreadable/);
    assert.deepEqual(
      [await groupIds(run.origin), await groupIds(run.destination)],
      groupsBefore,
      'verify joined no consumer group',
    );
  });

  test('--json parses and has the counts; the aborted records were neither copied nor expected', async () => {
    const result = await verify('--json', '--topic', topic);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.result, 'match');
    assert.deepEqual(
      json.partitions.map((p: { partition: number; result: string; records: number }) => [
        p.partition,
        p.result,
        p.records,
      ]),
      [
        [0, 'match', RECORDS_PER_PARTITION],
        [1, 'match', RECORDS_PER_PARTITION],
        [2, 'match', RECORDS_PER_PARTITION],
      ],
    );
    const zero = json.partitions[0];
    assert.ok(
      BigInt(zero.originRange.end) > BigInt(zero.destinationRange.end),
      'partition 0 has the aborted records and their marker on the origin, not on the destination',
    );
  });

  test('while records are produced and copied, verify finds nothing that differs (only match or behind)', async () => {
    const writer = recordWriter(run.origin, { clientId: 'verify-test-busy' });
    let producing = true;
    let sent = 0;
    const producer = (async () => {
      while (producing) {
        await writer.send(topic, recordsOf(2, RECORDS_PER_PARTITION + sent, 10));
        sent += 10;
      }
    })();
    try {
      for (let round = 0; round < 2; round++) {
        const result = await verify('--json', '--topic', topic);
        assert.ok(result.code === 0 || result.code === 3, `${result.stdout}\n${result.stderr}`);
        const results = JSON.parse(result.stdout).partitions.map((p: { result: string }) => p.result);
        assert.ok(
          results.every((r: string) => r === 'match' || r === 'behind'),
          results.join(', '),
        );
      }
    } finally {
      producing = false;
      await producer.finally(() => writer.close());
    }
    assert.ok(sent > 0, 'records were produced while verify ran');
    const ends = await endOffsets(run.origin, topic);
    await georep.waitForStatus((status) => caughtUp([status], flowKey, ends), {
      what: 'the records produced meanwhile copied',
      timeoutMs: STEP_TIMEOUT_MS,
    });
  });

  describe('with georep stopped', () => {
    const MORE = 5;
    let originEndBefore: bigint;
    let destinationEndBefore: bigint;

    before(async () => {
      await georep.stopGracefully({ timeoutMs: 30_000 });
      originEndBefore = (await endOffsets(run.origin, topic)).get(1)!;
      destinationEndBefore = (await endOffsets(run.destination, destinationTopic)).get(1)!;
      const writer = recordWriter(run.origin, { clientId: 'verify-test-more' });
      await writer.send(topic, recordsOf(1, RECORDS_PER_PARTITION, MORE)).finally(() => writer.close());
    });

    test('records produced since are reported behind with the lag (exit 3)', async () => {
      const result = await verify();
      assert.equal(result.code, 3, `${result.stdout}\n${result.stderr}`);
      assert.match(
        result.stdout,
        new RegExp(
          ` 1 +BEHIND +${RECORDS_PER_PARTITION} +lag ${MORE} offsets: origin from offset ${originEndBefore} `,
        ),
      );
      assert.match(result.stdout, /3 partition\(s\): 2 match, 1 behind, 0 differ/);
      assert.match(result.stdout, / 2 +MATCH /, 'the records produced while georep ran were all copied');
    });

    test("a record written into the destination behind georep's back is found with its offset pair (exit 1)", async () => {
      const writer = recordWriter(run.destination, { clientId: 'verify-test-intruder' });
      const [intruder] = recordsOf(1, RECORDS_PER_PARTITION, 1);
      await writer
        .send(destinationTopic, [{ ...intruder!, value: 'not what the origin has' }])
        .finally(() => writer.close());
      const result = await verify('--json');
      assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
      const json = JSON.parse(result.stdout);
      assert.equal(json.result, 'differs');
      const one = json.partitions.find((p: { partition: number }) => p.partition === 1);
      assert.equal(one.result, 'differs');
      assert.equal(one.records, RECORDS_PER_PARTITION);
      assert.deepEqual(one.firstDifference, {
        originOffset: originEndBefore.toString(),
        destinationOffset: destinationEndBefore.toString(),
        fields: ['value'],
      });
      const text = await verify();
      assert.match(
        text.stdout,
        new RegExp(
          ` 1 +DIFFERS +${RECORDS_PER_PARTITION} +origin offset ${originEndBefore} <-> destination offset ${destinationEndBefore}: value differ`,
        ),
      );
    });
  });
});
