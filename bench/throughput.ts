// `npm run bench:throughput` (also `npm run bench`): how fast georep copies a topic, against Kafka's own
// tools and MirrorMaker 2 measured in the same run, on the same two local brokers and the same data.
//
// In order:
//   1. two single-node clusters (origin a, destination b); a topic of 6 partitions on a, filled by Kafka's
//      ProducerPerformance — whose rate is the write ceiling;
//   2. Kafka's ConsumerPerformance reads it all — the read ceiling. A mirror reads like this consumer and
//      writes like that producer, on the same brokers, so it cannot beat the slower of the two;
//   3. `georep run` (a child process) copies the topic to b as georep.r1.<topic>; timed from its start until b
//      holds every record, watched from outside with an admin client; peak RSS and CPU time from /proc;
//   4. MirrorMaker 2 (dedicated mode, one task, its defaults otherwise) copies the same topic to b as
//      a.<topic>, timed the same way;
//   5. with --exactly-once, `georep run` once more with `delivery: exactly-once` (georep.eos.r1.<topic>),
//      timed until the progress committed with the records in its transactions covers every record.
// With --origin-compression C, the origin topic is written with codec C; georep writes with --compression
// (default origin), and --compare-compression S adds a georep row writing with S. The table shows the bytes
// each copy takes on the destination's disk beside the origin's. With --wan-rtt-ms, both mirrors reach the
// origin through the harness's WAN proxy (harness/wan-proxy.ts) with that round trip (and
// --wan-mib-per-second of bandwidth each way); the perf tools stay direct, as the ceiling of the brokers.
// With --rounds N, steps 3 and 4 alternate N times (each round into fresh destination topics), so that a
// change in the machine's load hits both alike; the table shows each tool's median round.
// It prints a table and writes bench/results/throughput-<time>.json. Ratios between rows of one run are
// what to compare: absolute rates depend on the machine and on what else runs on it.
import '../src/cli/require-supported-node.js';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startClusters } from '../harness/kafka-local.js';
import { runKafkaTool } from '../harness/kafka-tools.js';
import { type KafkaVersion, kafkaVersionFromEnv, parseKafkaVersion } from '../harness/versions.js';
import { wanShape } from '../harness/wan-proxy.js';
import {
  COMPRESSION_SETTINGS,
  type CompressionCodec,
  type CompressionSetting,
  type DeliveryGuarantee,
} from '../src/config/types.js';
import { buildGeorep, type GeorepBuild } from './georep-process.js';
import {
  copyTimeoutMs,
  MIRROR_MAKER_HEAP_MAX_MB,
  type MirrorResult,
  type MirrorRunInput,
  measureCopy,
  startGeorepMirror,
  startMirrorMakerMirror,
  topicBytesOnDisk,
  tunedMirrorMakerOverrides,
} from './mirror-runs.js';
import { type PerfToolResult, runConsumerPerformance, runProducerPerformance } from './perf-tools.js';
import {
  benchRunDir,
  describeLoad,
  formatMib,
  formatTable,
  MIB,
  machineInfo,
  optionsOrExitCode,
  removeClusterData,
  round,
  runBenchmark,
  sampleLoad,
  waitForQuietMachine,
  writeResult,
} from './report.js';
import { benchAdmin, recordsInTopic } from './topic-records.js';

const USAGE = `usage: npm run bench:throughput -- [options]

Copies one topic with georep and with MirrorMaker 2 between two local Kafka clusters and compares both
with Kafka's ProducerPerformance and ConsumerPerformance on the same brokers.

options:
  --records N            records in the origin topic (default 1000000, or GEOREP_BENCH_RECORDS)
  --record-bytes N       size of each record's value (default 1024)
  --partitions N         partitions of the origin topic (default 6)
  --version V            Kafka version (default GEOREP_KAFKA_VERSION, else 4.1.2)
  --georep-build B       dist (default: compile, then run bin/georep.js) or source (tsx, as npm run georep)
  --rounds N             copy with georep, then MirrorMaker 2, N times in turn (default 1); the table
                         shows each tool's median round, the JSON every round
  --skip LIST            leave out consumer-perf, georep and/or mm2 (comma-separated)
  --mm2-tuned            also copy with MirrorMaker 2 tuned as an operator would (tasks.max=2, zstd,
                         batch.size 262144, linger.ms 10), in every round (its own row)
  --origin-compression C the codec the origin topic is written with: none (default), gzip, snappy, lz4, zstd
  --origin-batch-bytes N batch.size of the producer filling the origin (default Kafka's, 16384); a tuned
                         producer's larger batches are what georep can forward without compressing again
  --compression S        georep's compression setting (default origin)
  --compare-compression S  also copy with georep writing compression S, in every round (its own row)
  --wan-rtt-ms N         the mirrors reach the origin through a WAN of this round trip (default: direct)
  --wan-mib-per-second N   bandwidth of that WAN each way (default: unlimited)
  --exactly-once         also copy with delivery: exactly-once in every round (its own row)
  --georep-cpu-prof      write a V8 CPU profile of georep (.cpuprofile) into the run's working folder
  --wait-for-load L      first wait until the 1-minute load average is at most L…
  --max-wait-minutes M   …for at most M minutes (default 15), then measure anyway
  -h, --help             show this help
`;

type Skippable = 'consumer-perf' | 'georep' | 'mm2';

interface ThroughputOptions {
  readonly records: number;
  readonly recordBytes: number;
  readonly partitions: number;
  readonly rounds: number;
  readonly version: KafkaVersion;
  readonly georepBuild: GeorepBuild;
  readonly skip: ReadonlySet<Skippable>;
  readonly exactlyOnce: boolean;
  readonly mirrorMakerTuned: boolean;
  readonly georepCpuProfile: boolean;
  readonly waitForLoad: number | null;
  readonly maxWaitMs: number;
  readonly originCompression: CompressionCodec;
  readonly originBatchBytes: number | null;
  readonly compression: CompressionSetting;
  readonly compareCompression: CompressionSetting | null;
  readonly wanRoundTripMs: number | null;
  readonly wanBytesPerSecond: number | null;
}

function compressionSetting(text: string, name: string): CompressionSetting {
  const found = COMPRESSION_SETTINGS.find((setting) => setting === text);
  if (found === undefined)
    throw new Error(`${name}: "${text}" is not one of ${COMPRESSION_SETTINGS.join(', ')}`);
  return found;
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: "${text}" is not a positive integer`);
  return value;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ThroughputOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      records: { type: 'string' },
      'record-bytes': { type: 'string', default: '1024' },
      partitions: { type: 'string', default: '6' },
      rounds: { type: 'string', default: '1' },
      version: { type: 'string' },
      'georep-build': { type: 'string', default: 'dist' },
      skip: { type: 'string', default: '' },
      'exactly-once': { type: 'boolean', default: false },
      'mm2-tuned': { type: 'boolean', default: false },
      'georep-cpu-prof': { type: 'boolean', default: false },
      'wait-for-load': { type: 'string' },
      'max-wait-minutes': { type: 'string', default: '15' },
      'origin-compression': { type: 'string', default: 'none' },
      'origin-batch-bytes': { type: 'string' },
      compression: { type: 'string', default: 'origin' },
      'compare-compression': { type: 'string' },
      'wan-rtt-ms': { type: 'string' },
      'wan-mib-per-second': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const build = values['georep-build'];
  if (build !== 'dist' && build !== 'source')
    throw new Error(`--georep-build: "${build}" is not dist or source`);
  const skip = new Set<Skippable>();
  for (const item of values.skip.split(',').filter((entry) => entry.trim() !== '')) {
    const name = item.trim();
    if (name !== 'consumer-perf' && name !== 'georep' && name !== 'mm2')
      throw new Error(`--skip: "${name}" is not consumer-perf, georep or mm2`);
    skip.add(name);
  }
  return {
    records: positiveInteger(values.records ?? env.GEOREP_BENCH_RECORDS ?? '1000000', '--records'),
    recordBytes: positiveInteger(values['record-bytes'], '--record-bytes'),
    partitions: positiveInteger(values.partitions, '--partitions'),
    rounds: positiveInteger(values.rounds, '--rounds'),
    version: values.version ? parseKafkaVersion(values.version, '--version') : kafkaVersionFromEnv(env),
    georepBuild: build,
    skip,
    exactlyOnce: values['exactly-once'],
    mirrorMakerTuned: values['mm2-tuned'],
    georepCpuProfile: values['georep-cpu-prof'],
    waitForLoad: values['wait-for-load'] === undefined ? null : Number(values['wait-for-load']),
    maxWaitMs: Number(values['max-wait-minutes']) * 60_000,
    originCompression: originCodec(values['origin-compression']),
    originBatchBytes:
      values['origin-batch-bytes'] === undefined
        ? null
        : positiveInteger(values['origin-batch-bytes'], '--origin-batch-bytes'),
    compression: compressionSetting(values.compression, '--compression'),
    compareCompression:
      values['compare-compression'] === undefined
        ? null
        : compressionSetting(values['compare-compression'], '--compare-compression'),
    wanRoundTripMs:
      values['wan-rtt-ms'] === undefined ? null : positiveInteger(values['wan-rtt-ms'], '--wan-rtt-ms'),
    wanBytesPerSecond:
      values['wan-mib-per-second'] === undefined
        ? null
        : positiveInteger(values['wan-mib-per-second'], '--wan-mib-per-second') * MIB,
  };
}

function originCodec(text: string): CompressionCodec {
  const setting = compressionSetting(text, '--origin-compression');
  if (setting === 'origin')
    throw new Error('--origin-compression: name a codec (none, gzip, snappy, lz4, zstd)');
  return setting;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---- the mirrors ----

interface MirrorRunRound {
  /** 1, 2, …: each round copies into destination topics of its own. */
  readonly round: number;
  readonly options: ThroughputOptions;
  readonly input: MirrorRunInput;
}

async function measureGeorep(
  { round: roundNumber, options, input }: MirrorRunRound,
  delivery: DeliveryGuarantee = 'at-least-once',
  compression: CompressionSetting = options.compression,
): Promise<MirrorResult & { georepCounted: number | null }> {
  const exactlyOnce = delivery === 'exactly-once';
  const showCompression = options.compareCompression !== null || compression !== 'origin';
  // A new destination topic is also a new consumer group: each round copies from the start.
  const namePrefix = `georep.${exactlyOnce ? 'eos.' : ''}${compression}.r${roundNumber}`;
  const mirror = await startGeorepMirror(input, {
    tool: `georep${exactlyOnce ? ' exactly-once' : ''}${showCompression ? ` (compression: ${compression})` : ''}`,
    namePrefix,
    delivery,
    compression,
    build: options.georepBuild,
    nodeOptions: options.georepCpuProfile
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(input.workDir, namePrefix)}`]
      : [],
  });
  try {
    const result = await measureCopy(input, mirror, say);
    return { ...result, georepCounted: await mirror.countedRecords() };
  } finally {
    const stopStartedMs = performance.now();
    await mirror.stop();
    say(`  ${mirror.tool} stopped in ${round(performance.now() - stopStartedMs)} ms`);
  }
}

async function measureMirrorMaker(
  { round: roundNumber, input }: MirrorRunRound,
  tuned = false,
): Promise<MirrorResult & { heapMaxMb: number; properties: Record<string, string> }> {
  // A new source alias each round (a, a2, a3, …; at, at2, … tuned) copies from the start into a new topic.
  const alias = `${input.origin.name}${tuned ? 't' : ''}${roundNumber === 1 ? '' : roundNumber}`;
  const mirror = await startMirrorMakerMirror(input, {
    tool: tuned ? 'MirrorMaker 2 tuned' : 'MirrorMaker 2',
    sourceAlias: alias,
    ...(tuned ? { overrides: tunedMirrorMakerOverrides(input.destination.name) } : {}),
  });
  try {
    const result = await measureCopy(input, mirror, say);
    return { ...result, heapMaxMb: MIRROR_MAKER_HEAP_MAX_MB, properties: mirror.properties };
  } finally {
    const stopStartedMs = performance.now();
    await mirror.stop();
    say(`  ${mirror.tool} stopped in ${round(performance.now() - stopStartedMs)} ms`);
  }
}

// ---- the report ----

function describeCopy(result: MirrorResult): string {
  const startToAllSeconds = round(result.startToAllRecordsMs / 1000, 1);
  return `${formatCount(result.recordsPerSecond)} records/s over the copy, all records ${startToAllSeconds} s after start`;
}

/** The round with the median rate; of an even number, the slower of the two middle ones. */
function medianRound<T extends MirrorResult>(rounds: readonly T[]): T | null {
  const sorted = [...rounds].sort((a, b) => a.recordsPerSecond - b.recordsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
}

function ratio(value: number, reference: number | undefined): string {
  return reference === undefined || reference === 0 ? '—' : `${(value / reference).toFixed(2)}×`;
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

interface Row {
  readonly label: string;
  readonly recordsPerSecond: number;
  readonly mibPerSecond: number;
  readonly seconds: number;
  readonly cpuMs: number | null;
  readonly peakRssBytes: number | null;
  readonly destinationBytes: number | null;
}

function renderTable(rows: readonly Row[], mirrorMakerRate?: number, consumerRate?: number): string {
  return formatTable(
    ['tool', 'records/s', 'MiB/s', 'vs MM2', 'vs consumer', 'start→all s', 'CPU s', 'peak RSS', 'disk MiB'],
    rows.map((row) => [
      row.label,
      formatCount(row.recordsPerSecond),
      row.mibPerSecond.toFixed(1),
      ratio(row.recordsPerSecond, mirrorMakerRate),
      ratio(row.recordsPerSecond, consumerRate),
      (row.seconds / 1000).toFixed(1),
      row.cpuMs === null ? '—' : (row.cpuMs / 1000).toFixed(1),
      formatMib(row.peakRssBytes),
      row.destinationBytes === null ? '—' : (row.destinationBytes / MIB).toFixed(1),
    ]),
  );
}

async function main(signal: AbortSignal): Promise<number> {
  const options = optionsOrExitCode(() => parseOptions(process.argv.slice(2), process.env), USAGE);
  if (typeof options === 'number') return options;
  const startedAt = new Date().toISOString();
  const workDir = await benchRunDir('throughput', startedAt);

  const loadAtStart =
    options.waitForLoad === null
      ? sampleLoad()
      : await waitForQuietMachine(options.waitForLoad, options.maxWaitMs, say, signal);
  say(
    `Throughput benchmark: ${options.records} records of ${options.recordBytes} bytes, ${options.partitions} partitions, Kafka ${options.version}`,
  );
  say(`Machine: ${describeLoad(loadAtStart)}; working files in ${workDir}`);
  if (options.georepBuild === 'dist') {
    say('Compiling georep (tsc -p tsconfig.build.json) so that bin/georep.js runs the current sources…');
    await buildGeorep(signal);
  }

  const run = await startClusters({
    count: 2,
    version: options.version,
    signal,
    onProgress: say,
    ...(options.wanRoundTripMs === null
      ? {}
      : { wan: wanShape(options.wanRoundTripMs, options.wanBytesPerSecond) }),
  });
  try {
    const [origin, destination] = run.clusters;
    if (origin === undefined || destination === undefined)
      throw new Error('the harness started fewer clusters');
    const topic = `bench-${options.recordBytes}b`;
    await runKafkaTool({
      version: options.version,
      tool: 'topics',
      args: [
        '--bootstrap-server',
        origin.bootstrap,
        '--create',
        '--topic',
        topic,
        '--partitions',
        String(options.partitions),
        '--replication-factor',
        '1',
      ],
      signal,
    });

    const perfToolRun = { version: options.version, timeoutMs: copyTimeoutMs(options.records), signal };
    say(`ProducerPerformance fills ${topic} on ${origin.name} (${origin.bootstrap})…`);
    const producer = await runProducerPerformance({
      ...perfToolRun,
      bootstrap: origin.bootstrap,
      topic,
      records: options.records,
      recordBytes: options.recordBytes,
      compression: options.originCompression,
      batchBytes: options.originBatchBytes,
    });
    say(`  ${producer.summary}`);
    const originBytes = await topicBytesOnDisk(origin, topic);
    say(`  ${formatMib(originBytes)} on the origin's disk (compression.type=${options.originCompression})`);
    const originAdmin = benchAdmin(origin.bootstrap);
    const inOrigin = await recordsInTopic(originAdmin, topic).finally(() => originAdmin.close());
    if (inOrigin !== options.records)
      throw new Error(`the origin topic holds ${inOrigin} records instead of ${options.records}`);

    let consumer: PerfToolResult | null = null;
    if (!options.skip.has('consumer-perf')) {
      say(`ConsumerPerformance reads ${topic}…`);
      consumer = await runConsumerPerformance({
        ...perfToolRun,
        bootstrap: origin.bootstrap,
        topic,
        records: options.records,
      });
      say(`  ${consumer.summary.replaceAll('\n', '\n  ')}`);
    }
    const loadAfterCeiling = sampleLoad();

    type GeorepRound = Awaited<ReturnType<typeof measureGeorep>>;
    type MirrorMakerRound = Awaited<ReturnType<typeof measureMirrorMaker>>;
    const georepRounds: GeorepRound[] = [];
    const exactlyOnceRounds: GeorepRound[] = [];
    const otherCompressionRounds: GeorepRound[] = [];
    const mirrorMakerRounds: MirrorMakerRound[] = [];
    const tunedMirrorMakerRounds: MirrorMakerRound[] = [];
    const mirrorInput: MirrorRunInput = {
      origin,
      destination,
      originAddress: origin.wanBootstrap ?? origin.bootstrap,
      topic,
      records: options.records,
      recordBytes: options.recordBytes,
      version: options.version,
      workDir,
      signal,
    };
    for (let round = 1; round <= options.rounds; round++) {
      const input = { round, options, input: mirrorInput };
      const ofRounds = options.rounds > 1 ? ` (round ${round} of ${options.rounds})` : '';
      if (!options.skip.has('georep')) {
        say(`georep copies ${topic} to ${destination.name}${ofRounds}…`);
        const result = await measureGeorep(input);
        georepRounds.push(result);
        say(`  ${describeCopy(result)}`);
      }
      if (!options.skip.has('georep') && options.compareCompression !== null) {
        say(`georep with compression: ${options.compareCompression} copies ${topic}${ofRounds}…`);
        const result = await measureGeorep(input, 'at-least-once', options.compareCompression);
        otherCompressionRounds.push(result);
        say(`  ${describeCopy(result)}`);
      }
      if (!options.skip.has('mm2')) {
        say(`MirrorMaker 2 copies ${topic} to ${destination.name}${ofRounds}…`);
        const result = await measureMirrorMaker(input);
        mirrorMakerRounds.push(result);
        say(`  ${describeCopy(result)}`);
      }
      if (options.mirrorMakerTuned) {
        say(`MirrorMaker 2 tuned copies ${topic} to ${destination.name}${ofRounds}…`);
        const result = await measureMirrorMaker(input, true);
        tunedMirrorMakerRounds.push(result);
        say(`  ${describeCopy(result)}`);
      }
      if (options.exactlyOnce) {
        say(`georep exactly-once copies ${topic} to ${destination.name}${ofRounds}…`);
        const result = await measureGeorep(input, 'exactly-once');
        exactlyOnceRounds.push(result);
        say(`  ${describeCopy(result)}`);
      }
    }
    const georep = medianRound(georepRounds);
    const georepExactlyOnce = medianRound(exactlyOnceRounds);
    const georepOtherCompression = medianRound(otherCompressionRounds);
    const mirrorMaker = medianRound(mirrorMakerRounds);
    const tunedMirrorMaker = medianRound(tunedMirrorMakerRounds);
    const loadAtEnd = sampleLoad();

    const rows: Row[] = [
      {
        label: 'producer-perf (ceiling: write)',
        recordsPerSecond: producer.recordsPerSecond,
        mibPerSecond: producer.mibPerSecond,
        seconds: producer.elapsedMs,
        cpuMs: null,
        peakRssBytes: null,
        destinationBytes: originBytes,
      },
    ];
    if (consumer !== null) {
      rows.push({
        label: 'consumer-perf (ceiling: read)',
        recordsPerSecond: consumer.recordsPerSecond,
        mibPerSecond: consumer.mibPerSecond,
        seconds: consumer.elapsedMs,
        cpuMs: null,
        peakRssBytes: null,
        destinationBytes: null,
      });
    }
    for (const mirror of [georep, georepOtherCompression, georepExactlyOnce, mirrorMaker, tunedMirrorMaker]) {
      if (mirror === null) continue;
      rows.push({
        label: mirror.tool,
        recordsPerSecond: mirror.recordsPerSecond,
        mibPerSecond: mirror.mibPerSecond,
        seconds: mirror.startToAllRecordsMs,
        cpuMs: mirror.cpuMs,
        peakRssBytes: mirror.peakRssBytes,
        destinationBytes: mirror.destinationBytes,
      });
    }
    say('');
    say(
      `Throughput: ${formatCount(options.records)} records × ${options.recordBytes} B, ${options.partitions} partitions, Kafka ${options.version}, two single-broker clusters on this machine`,
    );
    if (options.wanRoundTripMs !== null) {
      const bandwidth =
        options.wanBytesPerSecond === null ? 'unlimited' : `${formatMib(options.wanBytesPerSecond)}/s`;
      say(
        `The mirrors reach the origin through a WAN: ${options.wanRoundTripMs} ms round trip, ${bandwidth} each way.`,
      );
    }
    say(renderTable(rows, mirrorMaker?.recordsPerSecond, consumer?.recordsPerSecond));
    say('');
    say(
      '- producer-perf and consumer-perf are the ceiling: a mirror reads like the one and writes like the other.',
    );
    say(
      '- Mirror rates are over the copy (first record on the destination → all of them); start→all adds start-up.',
    );
    say(
      `- disk MiB: the topic's log segments on the broker's disk (the producer's row: the origin topic, written with ${options.originCompression}).`,
    );
    say("- MiB = 2^20 bytes of record values (Kafka's tools call it MB). CPU s and peak RSS (VmHWM) are the");
    say(
      `  mirror process's own; MirrorMaker 2 runs with -Xmx${MIRROR_MAKER_HEAP_MAX_MB}m and one task (tasks.max=1, its default);`,
    );
    say('  tuned: tasks.max=2 and its producer with compression.type=zstd, batch.size=262144, linger.ms=10.');
    if (options.rounds > 1) {
      for (const rounds of [
        georepRounds,
        otherCompressionRounds,
        exactlyOnceRounds,
        mirrorMakerRounds,
        tunedMirrorMakerRounds,
      ].filter((entry) => entry.length > 0)) {
        const rates = rounds.map((entry) => formatCount(entry.recordsPerSecond)).join(', ');
        say(`- ${rounds[0]?.tool} rounds, records/s: ${rates} (the table shows the median round).`);
      }
    }
    say(`- Load: ${describeLoad(loadAtStart)} at start, ${describeLoad(loadAtEnd)} at the end; each round's`);
    say("  load is in the JSON (it includes the benchmark's own brokers and mirror).");

    const resultFile = await writeResult('throughput', {
      benchmark: 'throughput',
      startedAt,
      machine: machineInfo(),
      kafkaVersion: options.version,
      options: { ...options, skip: [...options.skip] },
      load: { atStart: loadAtStart, afterCeiling: loadAfterCeiling, atEnd: loadAtEnd },
      ceiling: { producer, consumer },
      georep,
      georepExactlyOnce,
      georepOtherCompression,
      mirrorMaker,
      tunedMirrorMaker,
      originBytes,
      rounds: {
        georep: georepRounds,
        georepOtherCompression: otherCompressionRounds,
        georepExactlyOnce: exactlyOnceRounds,
        mirrorMaker: mirrorMakerRounds,
        tunedMirrorMaker: tunedMirrorMakerRounds,
      },
      ratios: {
        georepVsMirrorMaker:
          georep && mirrorMaker ? round(georep.recordsPerSecond / mirrorMaker.recordsPerSecond, 3) : null,
        exactlyOnceVsAtLeastOnce:
          georep && georepExactlyOnce
            ? round(georepExactlyOnce.recordsPerSecond / georep.recordsPerSecond, 3)
            : null,
        georepVsConsumer:
          georep && consumer ? round(georep.recordsPerSecond / consumer.recordsPerSecond, 3) : null,
        mirrorMakerVsConsumer:
          mirrorMaker && consumer ? round(mirrorMaker.recordsPerSecond / consumer.recordsPerSecond, 3) : null,
      },
      workDir,
    });
    say(`\nResults: ${path.relative(process.cwd(), resultFile)}`);
    return 0;
  } finally {
    await run.stopAll();
    await removeClusterData(run);
  }
}

runBenchmark(main);
