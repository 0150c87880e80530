// `npm run bench:wan`: georep across a WAN against MirrorMaker 2 with its defaults and tuned as an operator would
// (issue 14), on two local clusters with the harness's WAN proxy (harness/wan-proxy.ts) between the mirrors and
// the origin. In one run, on the same brokers and data:
//   1. an origin topic of JSON events (about 710 bytes, bench/json-events.ts) written by Kafka's producer with
//      zstd (ProducerPerformance --payload-file);
//   2. throughput: after Kafka's ConsumerPerformance read it once, georep, MirrorMaker 2 (defaults) and
//      MirrorMaker 2 tuned (tasks.max=2, zstd, 256 KiB batches, linger 10 ms) copy it on loopback and through
//      each round trip of --rtt-ms, each round starting with the next; rate, CPU, bytes on the destination
//      beside the origin's;
//   3. latency: after a shorter run that does not count, for each round trip, a steady producer (--latency-rate
//      records/s for --latency-seconds) and the time from a record's create time on the origin to its arrival
//      on the destination, p50/p99, for georep and tuned MirrorMaker 2 (a reader on the origin, direct, shows
//      the floor of the measurement);
//   4. a bandwidth cap (bench/wan-cap.ts): georep with maxBytesPerSecond copies a topic of 4 KiB records
//      (uncompressed, so that the bytes exist to be capped) on loopback; the rate the destination's log grows
//      over --cap-seconds.
// With --baseline DIR, the georep of another checkout takes its turn beside this one in parts 2 and 3, as its own
// row. With --mirror-cpus, every mirror runs on CPUs of its own and everything else on the others
// (harness/cpu-pinning.ts). It prints tables and writes bench/results/wan-<time>.json. Compare ratios within one
// run: on a shared machine absolute rates follow the load, which the output notes.
import '../src/cli/require-supported-node.js';
import path from 'node:path';
import { describeCpuSplit, pinThisProcess } from '../harness/cpu-pinning.js';
import { type LocalKafkaCluster, startClusters } from '../harness/kafka-local.js';
import { runKafkaTool } from '../harness/kafka-tools.js';
import { wanShape } from '../harness/wan-proxy.js';
import { buildGeorep } from './georep-process.js';
import { writeJsonEventsFile } from './json-events.js';
import {
  type MirrorRunInput,
  measureCopy,
  startGeorepMirror,
  startMirrorMakerMirror,
  topicBytesOnDisk,
  tunedMirrorMakerOverrides,
  withMirror,
} from './mirror-runs.js';
import { runConsumerPerformance, runProducerPerformance } from './perf-tools.js';
import {
  benchRunDir,
  describeLoad,
  type LoadSample,
  MIB,
  machineInfo,
  optionsOrExitCode,
  removeClusterData,
  runBenchmark,
  sampleLoad,
  waitForQuietMachine,
  writeResult,
} from './report.js';
import { measureCap } from './wan-cap.js';
import { type LatencyResult, measureLatency, type SteadyLoad } from './wan-latency.js';
import { parseWanOptions, WAN_USAGE, type WanSettings } from './wan-options.js';
import {
  count,
  latencyTable,
  medianRounds,
  roundRates,
  type ThroughputRow,
  throughputTable,
} from './wan-report.js';

const PARTITIONS = 6;
/** How long the uncounted first latency run writes, at most. */
const WARM_UP_LATENCY_SECONDS = 10;
const JSON_EVENT_BYTES = 710;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function createTopic(
  settings: WanSettings,
  cluster: LocalKafkaCluster,
  topic: string,
  signal: AbortSignal,
) {
  await runKafkaTool({
    version: settings.version,
    tool: 'topics',
    args: [
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      topic,
      '--partitions',
      String(PARTITIONS),
      '--replication-factor',
      '1',
    ],
    signal,
  });
}

/** Loopback (null) or a round trip: the label in names and tables. */
function linkLabel(roundTripMs: number | null): string {
  return roundTripMs === null ? 'loopback' : `${roundTripMs} ms RTT`;
}

/** Points the origin's WAN proxy at this round trip; a mirror on loopback reaches the origin directly. */
function useLink(origin: LocalKafkaCluster, roundTripMs: number | null): string {
  if (roundTripMs === null) return origin.bootstrap;
  origin.wanProxy!.setShape(wanShape(roundTripMs));
  return origin.wanBootstrap!;
}

type MirrorKind = 'georep' | 'baseline' | 'defaults' | 'tuned';

function startMirror(settings: WanSettings, input: MirrorRunInput, kind: MirrorKind, key: string) {
  if (kind === 'georep' || kind === 'baseline') {
    const namePrefix = `${kind}.${key}`;
    const profile = settings.georepCpuProfile
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(input.workDir, namePrefix)}`]
      : [];
    if (kind === 'baseline') {
      return startGeorepMirror(input, {
        namePrefix,
        tool: 'georep (baseline)',
        checkoutDir: settings.baselineDir!,
        build: 'dist',
        nodeOptions: profile,
      });
    }
    return startGeorepMirror(input, {
      namePrefix,
      build: settings.georepBuild,
      nodeOptions: [...settings.georepNodeOptions, ...profile],
    });
  }
  if (kind === 'defaults')
    return startMirrorMakerMirror(input, { tool: 'MirrorMaker 2 (defaults)', sourceAlias: `d${key}` });
  return startMirrorMakerMirror(input, {
    tool: 'MirrorMaker 2 (tuned)',
    sourceAlias: `t${key}`,
    overrides: tunedMirrorMakerOverrides(input.destination.name),
  });
}

function mirrorKinds(settings: WanSettings, kinds: readonly MirrorKind[]): MirrorKind[] {
  return kinds.filter((kind) => {
    if (kind === 'georep') return true;
    if (kind === 'baseline') return settings.baselineDir !== null;
    return !(settings.skip.has('mm2') || (kind === 'defaults' && settings.skip.has('mm2-defaults')));
  });
}

/** Every round of every mirror over every link, in turn: a change in the machine's load hits them alike. */
async function measureThroughput(settings: WanSettings, base: Omit<MirrorRunInput, 'originAddress'>) {
  const kinds = mirrorKinds(settings, ['georep', 'baseline', 'defaults', 'tuned']);
  const rows: ThroughputRow[] = [];
  for (let roundNumber = 1; roundNumber <= settings.rounds; roundNumber++) {
    for (const roundTripMs of [null, ...settings.roundTripsMs]) {
      rows.push(...(await measureLink(settings, base, kinds, roundTripMs, roundNumber)));
    }
  }
  return rows;
}

async function measureLink(
  settings: WanSettings,
  base: Omit<MirrorRunInput, 'originAddress'>,
  kinds: readonly MirrorKind[],
  roundTripMs: number | null,
  roundNumber: number,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  const input = { ...base, originAddress: useLink(base.origin, roundTripMs) };
  // Each round starts with the next mirror, so that none is always the first after another link's copies.
  const turns = kinds.map((_, index) => kinds[(index + roundNumber - 1) % kinds.length]!);
  for (const kind of turns) {
    const result = await withMirror(
      startMirror(settings, input, kind, `${roundTripMs ?? 0}r${roundNumber}`),
      async (mirror) => {
        say(`${mirror.tool} copies ${base.topic}, ${linkLabel(roundTripMs)}…`);
        return measureCopy(input, mirror, say);
      },
    );
    say(
      `  ${Math.round(result.recordsPerSecond)} records/s, ${(result.destinationBytes / MIB).toFixed(1)} MiB`,
    );
    rows.push({ ...result, link: linkLabel(roundTripMs), round: roundNumber });
  }
  return rows;
}

/** Latency of georep (and the baseline's) and tuned MirrorMaker 2, the one an operator would run, per round trip. */
async function measureLatencies(
  settings: WanSettings,
  base: Omit<MirrorRunInput, 'originAddress'>,
  payloadFile: string,
) {
  const load = {
    recordsPerSecond: settings.latencyRate,
    seconds: settings.latencySeconds,
    payloadFile,
    warmUpRecords: 1000,
  };
  const results: (LatencyResult & { link: string; roundTripMs: number })[] = [];
  const kinds = mirrorKinds(settings, ['georep', 'baseline', 'tuned']);
  const [firstRoundTripMs] = settings.roundTripsMs;
  if (firstRoundTripMs !== undefined && kinds.length > 0) {
    // A shorter run first, not counted: the first latency run of a bench had the worst p99, whichever mirror
    // made it (270 ms at 50 ms, for either of two builds, against 115-175 ms for the other, 6 December).
    const warmUp = { ...load, seconds: Math.min(load.seconds, WARM_UP_LATENCY_SECONDS) };
    await latencyRun(settings, base, kinds[0]!, firstRoundTripMs, warmUp, 'warm-up');
  }
  for (const roundTripMs of settings.roundTripsMs) {
    for (const kind of kinds) {
      const result = await latencyRun(settings, base, kind, roundTripMs, load, 'measured');
      results.push({ ...result, link: linkLabel(roundTripMs), roundTripMs });
    }
  }
  return results;
}

/** One mirror's latency over one link, on a topic of its own; `purpose` says whether it counts. */
async function latencyRun(
  settings: WanSettings,
  base: Omit<MirrorRunInput, 'originAddress'>,
  kind: MirrorKind,
  roundTripMs: number,
  load: SteadyLoad,
  purpose: 'warm-up' | 'measured',
): Promise<LatencyResult> {
  const topic = `latency-${roundTripMs}-${kind}${purpose === 'warm-up' ? '-warm-up' : ''}`;
  await createTopic(settings, base.origin, topic, base.signal);
  const input = { ...base, topic, originAddress: useLink(base.origin, roundTripMs) };
  const result = await withMirror(
    startMirror(settings, input, kind, `l${roundTripMs}${purpose === 'warm-up' ? 'w' : ''}`),
    async (mirror) => {
      say(
        `Latency of ${mirror.tool}, ${linkLabel(roundTripMs)}${purpose === 'warm-up' ? ' (warm-up, not counted)' : ''}…`,
      );
      return measureLatency(input, mirror, load, say);
    },
  );
  say(
    `  mirror latency p50 ${result.mirror.p50Ms} ms, p99 ${result.mirror.p99Ms} ms (${result.unmatched} unmatched; create→destination p99 ${result.destination.p99Ms} ms; WAN proxy late p99 ${result.proxyLate?.p99Ms ?? '-'} ms)`,
  );
  return result;
}

async function main(signal: AbortSignal): Promise<number> {
  const settings = optionsOrExitCode(() => parseWanOptions(process.argv.slice(2), process.env), WAN_USAGE);
  if (typeof settings === 'number') return settings;
  const startedAt = new Date().toISOString();
  const workDir = await benchRunDir('wan', startedAt);
  const loads: Record<string, LoadSample> = {
    atStart:
      settings.waitForLoad === null
        ? sampleLoad()
        : await waitForQuietMachine(settings.waitForLoad, settings.maxWaitMs, say, signal),
  };
  say(
    `WAN benchmark: ${settings.records} JSON events, round trips ${settings.roundTripsMs.join(', ')} ms, Kafka ${settings.version}`,
  );
  say(`Machine: ${describeLoad(loads.atStart!)}; working files in ${workDir}`);
  if (settings.cpuSplit !== null) {
    // Before anything starts: the brokers and Kafka's tools inherit the benchmark's CPUs.
    pinThisProcess(settings.cpuSplit.others);
    say(describeCpuSplit(settings.cpuSplit));
  }
  if (settings.georepBuild === 'dist') await buildGeorep(signal);
  const payloadFile = path.join(workDir, 'events.json');
  const averageEventBytes = await writeJsonEventsFile(payloadFile);

  const run = await startClusters({
    count: 2,
    version: settings.version,
    signal,
    onProgress: say,
    wan: wanShape(settings.roundTripsMs[0] ?? 50),
  });
  try {
    const [origin, destination] = run.clusters;
    if (origin === undefined || destination === undefined)
      throw new Error('the harness started fewer clusters');
    const topic = 'wan-json';
    await createTopic(settings, origin, topic, signal);
    say(`ProducerPerformance fills ${topic} with ${settings.records} JSON events (zstd)…`);
    const producer = await runProducerPerformance({
      version: settings.version,
      bootstrap: origin.bootstrap,
      topic,
      records: settings.records,
      recordBytes: JSON_EVENT_BYTES,
      payloadFile,
      compression: 'zstd',
      timeoutMs: 600_000,
      signal,
    });
    const originBytes = await topicBytesOnDisk(origin, topic);
    say(`  ${producer.summary}\n  ${(originBytes / MIB).toFixed(1)} MiB on the origin's disk`);
    const base = {
      origin,
      destination,
      topic,
      records: settings.records,
      recordBytes: JSON_EVENT_BYTES,
      version: settings.version,
      workDir,
      signal,
      ...(settings.cpuSplit === null ? {} : { mirrorCpus: settings.cpuSplit.mirror }),
    };

    if (!settings.skip.has('throughput')) {
      // The topic is read once before the mirrors copy it: the first copy of a run was its slowest (77,000 and
      // 69,000 records/s against 104,000-145,000 for the same build later in the run, 6 December), in case the
      // brokers' first read of it is what is slow. It was still the slowest after this read (59,754 records/s),
      // so each round also starts with the next mirror (measureLink).
      const read = await runConsumerPerformance({
        version: settings.version,
        bootstrap: origin.bootstrap,
        topic,
        records: settings.records,
        timeoutMs: 600_000,
        signal,
      });
      say(`ConsumerPerformance reads ${topic} once first: ${count(read.recordsPerSecond)} records/s`);
    }
    const throughput = settings.skip.has('throughput') ? [] : await measureThroughput(settings, base);
    loads.afterThroughput = sampleLoad();
    const latency = settings.skip.has('latency') ? [] : await measureLatencies(settings, base, payloadFile);
    loads.afterLatency = sampleLoad();
    const cap = settings.skip.has('cap')
      ? null
      : await measureCap(settings, base, (topic) => createTopic(settings, origin, topic, signal), say);
    loads.atEnd = sampleLoad();

    say('');
    say(
      `WAN benchmark: ${count(settings.records)} JSON events (${averageEventBytes.toFixed(0)} bytes on average), zstd, ${PARTITIONS} partitions, Kafka ${settings.version}; ${(originBytes / MIB).toFixed(1)} MiB on the origin`,
    );
    if (settings.cpuSplit !== null) say(describeCpuSplit(settings.cpuSplit));
    if (throughput.length > 0) {
      say(`\n${throughputTable(medianRounds(throughput), originBytes)}`);
      if (settings.rounds > 1)
        say(`Rounds (the table shows each one's median):\n${roundRates(throughput).join('\n')}`);
    }
    if (latency.length > 0)
      say(
        `\nEnd-to-end latency at ${settings.latencyRate} records/s (create time → read on the destination):\n${latencyTable(latency)}`,
      );
    if (cap !== null) {
      say(
        `\nCap ${cap.capBytesPerSecond / 1e6} MB/s: ${(cap.bytesPerSecond / 1e6).toFixed(2)} MB/s over ${cap.seconds} s (${(cap.deviation * 100).toFixed(1)}%); from 5 s on ${(cap.steadyBytesPerSecond / 1e6).toFixed(2)} MB/s (${(cap.steadyDeviation * 100).toFixed(1)}%)`,
      );
    }
    for (const [name, sample] of Object.entries(loads)) say(`- load ${name}: ${describeLoad(sample)}`);
    const resultFile = await writeResult('wan', {
      benchmark: 'wan',
      startedAt,
      machine: machineInfo(),
      kafkaVersion: settings.version,
      options: { ...settings, skip: [...settings.skip] },
      load: loads,
      averageEventBytes,
      producer,
      originBytes,
      throughput: medianRounds(throughput),
      throughputRounds: throughput,
      latency,
      cap,
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
