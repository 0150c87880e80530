// The mirrors a benchmark compares, started on two local clusters and measured from outside: `georep run` as a
// child process, and MirrorMaker 2 in dedicated mode (its defaults, or settings an operator would tune). A copy
// is timed from the first record on the destination until all are there, watched with an admin client; CPU
// time and peak RSS come from /proc; the bytes the copy takes from the destination broker's log segments.
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findFreePorts } from '../harness/free-ports.js';
import type { LocalKafkaCluster } from '../harness/kafka-local.js';
import {
  DEFAULT_MIRROR_MAKER_HEAP,
  oneWayMirrorProperties,
  startMirrorMaker,
} from '../harness/mirror-maker.js';
import type { KafkaVersion } from '../harness/versions.js';
import type { CompressionSetting, DeliveryGuarantee } from '../src/config/types.js';
import { progressGroupId } from '../src/plan/flow-spec.js';
import { laneGroupId, laneOf } from '../src/plan/lanes.js';
import { benchConfigLines, type GeorepBuild, startGeorep } from './georep-process.js';
import { readProcessCpuMs, readProcessMemory } from './process-stats.js';
import { type LoadSample, MIB, round, sampleLoad } from './report.js';
import { benchAdmin, type FillTiming, waitForRecords } from './topic-records.js';

const MIRROR_MAKER_STOP_GRACE_MS = 20_000;
const PROGRESS_INTERVAL_MS = 5_000;

/**
 * MirrorMaker 2 as an operator would tune it for throughput across regions (issue 14): two tasks, zstd, 256 KiB
 * producer batches, 10 ms linger. Set for the target cluster's producers, which in dedicated mode write the copy.
 */
export function tunedMirrorMakerOverrides(targetAlias: string): Record<string, string> {
  return {
    'tasks.max': '2',
    [`${targetAlias}.producer.compression.type`]: 'zstd',
    [`${targetAlias}.producer.batch.size`]: '262144',
    [`${targetAlias}.producer.linger.ms`]: '10',
  };
}

export interface MirrorResult {
  readonly tool: string;
  readonly destinationTopic: string;
  readonly records: number;
  /** From starting the process until the destination held every record (start-up included). */
  readonly startToAllRecordsMs: number;
  /** From the first record seen on the destination until all were there: the copy itself. */
  readonly firstToAllRecordsMs: number;
  /** Over the copy (firstToAllRecordsMs). */
  readonly recordsPerSecond: number;
  readonly mibPerSecond: number;
  /** VmHWM of the process when the copy was complete. */
  readonly peakRssBytes: number | null;
  /** What the copy takes in the destination's log segments. */
  readonly destinationBytes: number;
  /** CPU time (user + system, all threads) the process used until the copy was complete. */
  readonly cpuMs: number | null;
  readonly load: LoadSample;
  readonly logFile: string;
}

/** What every mirror run needs: the clusters, the topic, and how much of it to expect. */
export interface MirrorRunInput {
  readonly origin: LocalKafkaCluster;
  readonly destination: LocalKafkaCluster;
  /** Where the mirror reaches the origin: its bootstrap, or the WAN proxy's address. */
  readonly originAddress: string;
  readonly topic: string;
  /** Records in the origin topic (a copy is complete when the destination holds as many). */
  readonly records: number;
  /** Bytes of a record's value, for MiB/s. */
  readonly recordBytes: number;
  readonly version: KafkaVersion;
  /** Gets a folder of its own per run (config, logs). */
  readonly workDir: string;
  readonly signal: AbortSignal;
  /** The CPUs the mirror runs on (a taskset list: bench:wan --mirror-cpus); default: the benchmark's. */
  readonly mirrorCpus?: string;
}

/** A mirror that was started and copies until stopped. */
export interface RunningMirror {
  readonly tool: string;
  readonly destinationTopic: string;
  readonly pid: number;
  readonly logFile: string;
  readonly startedAtMs: number;
  /** Why waiting for records is pointless (the process ended), or null. */
  failure(): string | null;
  /** For an exactly-once copy: count records by this group's committed offsets instead of end offsets. */
  readonly progressGroupId?: string;
  /** Records the mirror says it copied (georep's /status), or null. */
  countedRecords(): Promise<number | null>;
  stop(): Promise<void>;
}

export interface GeorepMirrorSettings {
  /** Row label; default `georep`. */
  readonly tool?: string;
  /** Destination topics are named `<namePrefix>.<topic>`; a new prefix is also a new consumer group. */
  readonly namePrefix: string;
  readonly delivery?: DeliveryGuarantee;
  readonly compression?: CompressionSetting;
  readonly maxBytesPerSecond?: number;
  readonly build: GeorepBuild;
  /** Another georep checkout to run (its dist/ built), e.g. main's beside a change. */
  readonly checkoutDir?: string;
  readonly nodeOptions?: readonly string[];
}

export async function startGeorepMirror(
  input: MirrorRunInput,
  settings: GeorepMirrorSettings,
): Promise<RunningMirror> {
  const { origin, destination, topic } = input;
  const delivery = settings.delivery ?? 'at-least-once';
  const workDir = path.join(input.workDir, settings.namePrefix);
  await mkdir(workDir, { recursive: true });
  const configFile = path.join(workDir, 'geo-replication.yaml');
  const destinationTopic = `${settings.namePrefix}.${topic}`;
  // The flow's lane, whose group on the destination holds an exactly-once flow's progress.
  const lane = laneOf(
    { kind: 'template', template: `${settings.namePrefix}.{topic}` },
    { origin: origin.name, destination: destination.name },
  );
  await writeFile(
    configFile,
    [
      ...benchConfigLines({
        writtenBy: 'a benchmark (bench/mirror-runs.ts): one replication of the benchmark topic',
        origin,
        originAddress: input.originAddress,
        destination,
        replication: 'bench',
        include: [topic],
      }),
      `    naming: "${settings.namePrefix}.{topic}" # MirrorMaker 2 writes <alias>.<topic> to the same cluster`,
      '    start: earliest',
      `    delivery: ${delivery}`,
      `    compression: ${settings.compression ?? 'origin'}`,
      ...(settings.maxBytesPerSecond === undefined
        ? []
        : [`    maxBytesPerSecond: ${settings.maxBytesPerSecond}`]),
      '',
    ].join('\n'),
  );
  const [httpPort] = await findFreePorts(1);
  const logFile = path.join(workDir, 'georep.log');
  const startedAtMs = performance.now();
  const georep = startGeorep({
    configFile,
    httpListen: `127.0.0.1:${httpPort}`,
    logFile,
    build: settings.build,
    ...(settings.checkoutDir === undefined ? {} : { checkoutDir: settings.checkoutDir }),
    nodeOptions: settings.nodeOptions ?? [],
    ...(input.mirrorCpus === undefined ? {} : { cpus: input.mirrorCpus }),
  });
  return {
    tool: settings.tool ?? 'georep',
    destinationTopic,
    pid: georep.pid,
    logFile,
    startedAtMs,
    failure: () => (georep.exited ? `georep ended (${georep.exitDescription}); see ${logFile}` : null),
    ...(delivery === 'exactly-once' ? { progressGroupId: progressGroupId(laneGroupId('georep', lane)) } : {}),
    async countedRecords() {
      const status = await georep.status().catch(() => null);
      return status?.flows.reduce((sum, flow) => sum + flow.recordsMirrored, 0) ?? null;
    },
    async stop() {
      await georep.stop();
    },
  };
}

export interface MirrorMakerSettings {
  /** Row label; default `MirrorMaker 2`. */
  readonly tool?: string;
  /**
   * MirrorMaker's name for the origin: the copy is `<alias>.<topic>`, and its progress is kept per alias, so a
   * new alias copies from the start into a new topic. Letters and digits.
   */
  readonly sourceAlias: string;
  /** Properties over oneWayMirrorProperties' (e.g. tunedMirrorMakerOverrides). */
  readonly overrides?: Readonly<Record<string, string>>;
}

export async function startMirrorMakerMirror(
  input: MirrorRunInput,
  settings: MirrorMakerSettings,
): Promise<RunningMirror & { readonly properties: Record<string, string> }> {
  const { destination, topic } = input;
  const workDir = path.join(input.workDir, `mirror-maker-${settings.sourceAlias}`);
  const properties = oneWayMirrorProperties({
    source: { alias: settings.sourceAlias, bootstrap: input.originAddress },
    target: { alias: destination.name, bootstrap: destination.bootstrap },
    // A Java regular expression: exactly this topic.
    topics: topic.replaceAll('.', '\\.'),
    ...(settings.overrides === undefined ? {} : { overrides: settings.overrides }),
  });
  const startedAtMs = performance.now();
  const mirrorMaker = await launchMirrorMaker({
    ...input,
    properties,
    targetCluster: destination.name,
    workDir,
  });
  return {
    ...mirrorMaker,
    tool: settings.tool ?? 'MirrorMaker 2',
    destinationTopic: `${settings.sourceAlias}.${topic}`,
    startedAtMs,
    properties,
    countedRecords: async () => null,
  };
}

/** A MirrorMaker 2 process: what a benchmark watches and stops. */
export interface LaunchedMirrorMaker {
  readonly pid: number;
  readonly logFile: string;
  /** Why waiting for records is pointless (the process ended), or null. */
  failure(): string | null;
  stop(): Promise<void>;
}

/** Starts MirrorMaker 2 in dedicated mode with these properties, writing into `targetCluster`. */
export async function launchMirrorMaker(input: {
  readonly properties: Readonly<Record<string, string>>;
  readonly targetCluster: string;
  readonly version: KafkaVersion;
  readonly workDir: string;
  readonly signal: AbortSignal;
  readonly mirrorCpus?: string;
}): Promise<LaunchedMirrorMaker> {
  const mirrorMaker = await startMirrorMaker({
    version: input.version,
    properties: input.properties,
    targetClusters: [input.targetCluster],
    workDir: input.workDir,
    signal: input.signal,
    ...(input.mirrorCpus === undefined ? {} : { cpus: input.mirrorCpus }),
  });
  return {
    pid: mirrorMaker.pid,
    logFile: mirrorMaker.logFile,
    failure: () => (mirrorMaker.running ? null : `MirrorMaker 2 exited; see ${mirrorMaker.logFile}`),
    stop: () => mirrorMaker.stop({ graceMs: MIRROR_MAKER_STOP_GRACE_MS }),
  };
}

/** Starts the mirror, and always stops it, whatever `use` does. */
export async function withMirror<T>(
  start: Promise<RunningMirror>,
  use: (mirror: RunningMirror) => Promise<T>,
): Promise<T> {
  const mirror = await start;
  try {
    return await use(mirror);
  } finally {
    await mirror.stop();
  }
}

/** How long one copy may take before the benchmark gives up: 2,000 records/s would be far below any mirror. */
export function copyTimeoutMs(records: number): number {
  return Math.max(300_000, (records / 2_000) * 1000);
}

export function progressPrinter(
  tool: string,
  expectedRecords: number,
  say: (line: string) => void,
): (records: number) => void {
  const startedMs = performance.now();
  let lastPrintMs = startedMs;
  return (records) => {
    const now = performance.now();
    if (now - lastPrintMs < PROGRESS_INTERVAL_MS) return;
    lastPrintMs = now;
    say(
      `  ${tool}: ${records} of ${expectedRecords} records after ${Math.round((now - startedMs) / 1000)} s`,
    );
  };
}

/** Bytes of the topic's log segments on a local broker's disk. */
export async function topicBytesOnDisk(cluster: LocalKafkaCluster, topic: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(cluster.dataDir)) {
    if (entry.slice(0, entry.lastIndexOf('-')) !== topic) continue;
    for (const file of await readdir(path.join(cluster.dataDir, entry))) {
      if (file.endsWith('.log')) total += (await stat(path.join(cluster.dataDir, entry, file))).size;
    }
  }
  return total;
}

/** Waits until the mirror copied every record of the input's topic, and measures the copy. */
export async function measureCopy(
  input: MirrorRunInput,
  mirror: RunningMirror,
  say: (line: string) => void,
): Promise<MirrorResult> {
  const admin = benchAdmin(input.destination.bootstrap);
  try {
    const timing = await waitForRecords({
      admin,
      topic: mirror.destinationTopic,
      expectedRecords: input.records,
      timeoutMs: copyTimeoutMs(input.records),
      failure: () => mirror.failure(),
      signal: input.signal,
      onProgress: progressPrinter(mirror.tool, input.records, say),
      ...(mirror.progressGroupId === undefined ? {} : { progressGroupId: mirror.progressGroupId }),
    });
    return await copyResult(input, mirror, timing);
  } finally {
    await admin.close();
  }
}

async function copyResult(
  input: MirrorRunInput,
  mirror: RunningMirror,
  timing: FillTiming,
): Promise<MirrorResult> {
  const copyMs = timing.allRecordsAtMs - timing.firstRecordAtMs;
  // A copy faster than one look at the destination has no measurable copy phase: fall back to start→all.
  const recordsPerSecond =
    copyMs > 0
      ? ((input.records - timing.recordsAtFirstLook) * 1000) / copyMs
      : (input.records * 1000) / (timing.allRecordsAtMs - mirror.startedAtMs);
  return {
    tool: mirror.tool,
    destinationTopic: mirror.destinationTopic,
    records: input.records,
    startToAllRecordsMs: round(timing.allRecordsAtMs - mirror.startedAtMs),
    firstToAllRecordsMs: round(copyMs),
    recordsPerSecond: round(recordsPerSecond),
    mibPerSecond: round((recordsPerSecond * input.recordBytes) / MIB, 2),
    peakRssBytes: readProcessMemory(mirror.pid)?.peakRssBytes ?? null,
    destinationBytes: await topicBytesOnDisk(input.destination, mirror.destinationTopic),
    cpuMs: readProcessCpuMs(mirror.pid),
    load: sampleLoad(),
    logFile: mirror.logFile,
  };
}

/** The heap MirrorMaker 2 runs with here, for reports. */
export const MIRROR_MAKER_HEAP_MAX_MB = DEFAULT_MIRROR_MAKER_HEAP.maxMb;
