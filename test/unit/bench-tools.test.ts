import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { jsonEvents } from '../../bench/json-events.js';
import { tunedMirrorMakerOverrides } from '../../bench/mirror-runs.js';
import { parseConsumerPerformance, parseProducerPerformance } from '../../bench/perf-tools.js';
import { reloadConfig, reloadSteps } from '../../bench/reload-steps.js';
import { summarizeReloads } from '../../bench/reload-summary.js';
import { formatTable } from '../../bench/report.js';
import { brokerHeapFor, parseSizes } from '../../bench/scale-topics.js';
import { gapsBetween, gapsLongerThan } from '../../bench/steady-stream.js';
import { latencyFigures, mirrorLatencies, percentile } from '../../bench/wan-latency.js';
import { oneWayMirrorProperties, renderMirrorMakerProperties } from '../../harness/mirror-maker.js';

// Printed by Kafka 4.1.2's tools in a benchmark run on this project's harness.
const PRODUCER_PERFORMANCE_OUTPUT = `\
94417 records sent, 18883.4 records/sec (18.44 MB/sec), 1108.9 ms avg latency, 1697.0 ms max latency.
200000 records sent, 19817.7 records/sec (19.35 MB/sec), 1131.73 ms avg latency, 2155.00 ms max latency, 1161 ms 50th, 1956 ms 95th, 2120 ms 99th, 2142 ms 99.9th.
`;
const CONSUMER_PERFORMANCE_OUTPUT = `\
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-26 13:41:24:577, 2026-11-26 13:41:27:028, 48.8281, 19.9217, 50000, 20399.8368, 1031, 1420, 34.3860, 35211.2676
`;

describe("Kafka's perf tools' output, as the throughput benchmark reads it", () => {
  test('ProducerPerformance: the final summary counts, not the progress lines before it', () => {
    const result = parseProducerPerformance(PRODUCER_PERFORMANCE_OUTPUT);
    assert.equal(result.records, 200_000);
    assert.equal(result.recordsPerSecond, 19817.7);
    assert.equal(result.mibPerSecond, 19.35);
    assert.equal(Math.round(result.elapsedMs), Math.round((200_000 / 19817.7) * 1000));
  });

  test('ConsumerPerformance: the fetch columns, which leave out the time spent joining the group', () => {
    const result = parseConsumerPerformance(CONSUMER_PERFORMANCE_OUTPUT);
    assert.equal(result.records, 50_000);
    assert.equal(result.recordsPerSecond, 35211.2676);
    assert.equal(result.mibPerSecond, 34.386);
    assert.equal(result.elapsedMs, 1420);
  });

  test('output of another shape is an error that shows it, not a rate of NaN', () => {
    assert.throws(
      () => parseProducerPerformance('Exception in thread "main"'),
      /unexpected ProducerPerformance output/,
    );
    assert.throws(() => parseConsumerPerformance('WARN no records'), /unexpected ConsumerPerformance output/);
  });
});

describe('mm2.properties for a one-way comparison run', () => {
  const properties = oneWayMirrorProperties({
    source: { alias: 'a', bootstrap: '127.0.0.1:40001' },
    target: { alias: 'b', bootstrap: '127.0.0.1:40003' },
    topics: 'bench-1024b',
  });

  test('copies the topics from source to target only', () => {
    assert.equal(properties['a->b.enabled'], 'true');
    assert.equal(properties['a->b.topics'], 'bench-1024b');
    assert.equal(properties['b->a.enabled'], 'false');
    assert.equal(properties['a.bootstrap.servers'], '127.0.0.1:40001');
  });

  test('gives every internal topic one replica, as the harness brokers are single nodes', () => {
    const factors = Object.entries(properties).filter(([key]) => key.endsWith('replication.factor'));
    assert.equal(factors.length, 7);
    for (const [key, value] of factors) assert.equal(value, '1', key);
  });

  test('does no side work a data benchmark should not pay for', () => {
    for (const key of ['emit.heartbeats.enabled', 'emit.checkpoints.enabled', 'sync.topic.acls.enabled']) {
      assert.equal(properties[key], 'false', key);
    }
  });

  test('renders one key = value line each', () => {
    const text = renderMirrorMakerProperties({ clusters: 'a, b', 'a->b.enabled': 'true' });
    assert.equal(text, 'clusters = a, b\na->b.enabled = true\n');
  });
});

describe('benchmark tables', () => {
  test('pad the first column on the right and the figures on the left', () => {
    const table = formatTable(
      ['tool', 'records/s'],
      [
        ['georep', '40,286'],
        ['MirrorMaker 2', '10,279'],
      ],
    );
    assert.equal(
      table,
      [
        'tool           records/s',
        '-------------  ---------',
        'georep            40,286',
        'MirrorMaker 2     10,279',
      ].join('\n'),
    );
  });
});

describe('the WAN benchmark', () => {
  test('JSON events are valid JSON of about 710 bytes, the same for the same seed, and compress like real events', () => {
    const events = jsonEvents(2000);
    const averageBytes = events.reduce((sum, line) => sum + line.length, 0) / events.length;
    assert.ok(Math.abs(averageBytes - 710) < 10, `average ${averageBytes}`);
    for (const line of events) assert.equal(typeof JSON.parse(line).eventId, 'string');
    assert.deepEqual(jsonEvents(3), events.slice(0, 3));
    assert.equal(new Set(events).size, events.length, 'no two alike');
    const batch = events.slice(0, 100).join('');
    const ratio = batch.length / zstdCompressSync(batch).length;
    assert.ok(ratio > 3 && ratio < 20, `zstd ratio of a 70 KB batch: ${ratio}`);
  });

  test('latency percentiles are nearest-rank over the sorted values', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index); // 100 … 1, unsorted
    assert.deepEqual(latencyFigures(values), { records: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
    assert.equal(percentile([7], 0.99), 7);
  });

  test('mirror latency pairs the n-th record of a partition on both sides, and leaves out a pair whose timestamps differ', () => {
    const origin = new Map([
      [
        0,
        [
          { timestampMs: 1, atMs: 10 },
          { timestampMs: 2, atMs: 20 },
        ],
      ],
      [1, [{ timestampMs: 3, atMs: 30 }]],
    ]);
    const destination = new Map([
      [
        0,
        [
          { timestampMs: 1, atMs: 110 },
          { timestampMs: 2, atMs: 150 },
        ],
      ],
      [1, [{ timestampMs: 4, atMs: 300 }]],
    ]);
    assert.deepEqual(mirrorLatencies(origin, destination), { latenciesMs: [100, 130], unmatched: 1 });
  });

  test('MirrorMaker 2 tuned as an operator would: two tasks, and zstd, 256 KiB batches, 10 ms linger for the target', () => {
    assert.deepEqual(tunedMirrorMakerOverrides('b'), {
      'tasks.max': '2',
      'b.producer.compression.type': 'zstd',
      'b.producer.batch.size': '262144',
      'b.producer.linger.ms': '10',
    });
  });
});

describe('bench:scale sizes', () => {
  test('--sizes reads TOPICSxPARTITIONS, one partition when the x is left out', () => {
    assert.deepEqual(
      parseSizes('1000x1, 10000,500x12', '--sizes').map((size) => [
        size.label,
        size.topics,
        size.partitionsPerTopic,
      ]),
      [
        ['1000x1', 1000, 1],
        ['10000x1', 10000, 1],
        ['500x12', 500, 12],
      ],
    );
  });

  for (const bad of ['1000x', 'x12', '10x2x3', '0x1', 'many'])
    test(`--sizes ${bad} is an error naming the option`, () => {
      assert.throws(() => parseSizes(bad, '--sizes'), /^Error: --sizes: /);
    });

  test('brokers get more heap as partitions grow: 1.75 GiB at 10,000', () => {
    assert.deepEqual(
      ['100x1', '1000x1', '500x12', '10000x1'].map(
        (label) => brokerHeapFor(parseSizes(label, '--sizes')[0]!).maxMb,
      ),
      [768, 768, 1280, 1792],
    );
  });
});

describe("bench:reload's mix of reloads and its gaps", () => {
  test('cycles of add, pause, resume, remove; odd cycles fail on resume; each cycle has its own topic', () => {
    const steps = reloadSteps(8, 'trial-');
    assert.deepEqual(
      steps.map((step) => [step.kind, step.trialTopic, step.failing, step.trials?.paused ?? null]),
      [
        ['add', 'trial-001', true, false],
        ['pause', 'trial-001', true, true],
        ['resume', 'trial-001', true, false],
        ['remove', 'trial-001', true, null],
        ['add', 'trial-002', false, false],
        ['pause', 'trial-002', false, true],
        ['resume', 'trial-002', false, false],
        ['remove', 'trial-002', false, null],
      ],
    );
  });

  test('the file keeps the steady and background replications whatever the trial does', () => {
    const clusters = {
      origin: { name: 'origin', brokers: ['localhost:9092'] },
      destination: { name: 'destination', brokers: ['localhost:9093'] },
    };
    const input = {
      ...clusters,
      steadyTopic: 'steady',
      backgroundInclude: 'background-*',
      discoveryIntervalMs: null,
    };
    const without = reloadConfig({ ...input, trial: null });
    const paused = reloadConfig({ ...input, trial: { topic: 'trial-001', paused: true } });
    assert.match(without, /name: steady\n.*\n.*\n {4}topics: \{ include: \["steady"\] \}/);
    assert.match(without, /topics: \{ include: \["background-\*"\] \}/);
    assert.doesNotMatch(without, /name: trials/);
    assert.ok(
      paused.startsWith(without),
      'the trial replication is added after the others, which stay as they are',
    );
    assert.match(paused, /name: trials\n(.*\n){3} {4}paused: true\n/);
  });

  test('gaps are measured between arrivals inside the window; the long ones are listed with when they began', () => {
    const arrivals = [0, 10, 20, 400, 410, 1_000, 1_005];
    assert.deepEqual(gapsBetween(arrivals, 10, 1_000), {
      records: 5,
      maxGapMs: 590,
      p99GapMs: 590,
      medianGapMs: 380,
    });
    assert.deepEqual(gapsLongerThan(arrivals, 0, 2_000, 100), [
      { fromMs: 20, ms: 380 },
      { fromMs: 410, ms: 590 },
    ]);
  });

  test("a long gap during the reloads is a reload's when it overlaps the save to 250 ms after its effect", () => {
    const summary = summarizeReloads({
      trials: 3,
      backgroundTopics: 0,
      steadyRecordsPerSecond: 100,
      allFlowsRunningAfterStartMs: 1_000,
      reloads: [
        { kind: 'add', cycle: 1, ms: 300 },
        { kind: 'pause', cycle: 1, ms: 40 },
        { kind: 'add', cycle: 2, ms: 500 },
      ],
      effects: [
        { savedAtMs: 1_000, effectAtMs: 1_300 },
        { savedAtMs: 3_000, effectAtMs: 3_040 },
        { savedAtMs: 5_000, effectAtMs: 5_500 },
      ],
      // Every 50 ms but for a 150 ms gap from 1,500 (inside the first reload's window, which ends 250 ms after its
      // effect) and a 200 ms gap from 2,000 (between reloads).
      arrivalsMs: [...every50Ms(0, 1_500), ...every50Ms(1_650, 2_000), ...every50Ms(2_200, 6_000)],
      baselineFromMs: 0,
      baselineToMs: 1_000,
      reloadsToMs: 6_000,
      eventLoopMaxWithoutReloadsMs: 3,
      eventLoopMaxDuringReloadsMs: 7,
      disturbances: [],
    });
    assert.deepEqual(
      summary.saveToEffectMs.map((row) => [row.kind, row.reloads, row.medianMs, row.worstMs]),
      [
        ['add', 2, 500, 500],
        ['pause', 1, 40, 40],
      ],
    );
    assert.deepEqual(summary.gapsOver100Ms, [
      { atS: 0.5, ms: 150, reload: 1 },
      { atS: 1, ms: 200, reload: null },
    ]);
    assert.equal(summary.largestGapOverlappingAReloadMs, 150);
    assert.equal(summary.largestGapBetweenReloadsMs, 200);
    assert.equal(summary.largestGapIncreaseMs, 150);
    assert.equal(summary.otherFlowsDisturbed, 0);
  });
});

/** performance.now() times from `fromMs` to `toMs`, both included, 50 ms apart. */
function every50Ms(fromMs: number, toMs: number): number[] {
  return Array.from({ length: (toMs - fromMs) / 50 + 1 }, (_, index) => fromMs + index * 50);
}
