// One mirror at one size of bench:scale, measured from outside: georep (`georep run`, one replication selecting
// the size's topics) or MirrorMaker 2 (dedicated mode, its defaults or tuned), each into a destination cluster
// of its own. Measured: the time until every flow runs (georep's /status) and until the destination holds every
// record; then resident memory, TCP sockets, the consumer groups the mirror made on the origin, idle CPU over a
// window, and (georep) how long /status and /metrics take to answer.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePorts } from '../harness/free-ports.js';
import type { LocalKafkaCluster } from '../harness/kafka-local.js';
import { oneWayMirrorProperties } from '../harness/mirror-maker.js';
import type { KafkaVersion } from '../harness/versions.js';
import { renderFlows } from '../src/cli/status.js';
import type { DaemonStatus } from '../src/runtime/daemon.js';
import { benchConfigLines, type GeorepBuild, startGeorep } from './georep-process.js';
import { launchMirrorMaker, tunedMirrorMakerOverrides } from './mirror-runs.js';
import {
  type ProcessMemory,
  readProcessCpuMs,
  readProcessMemory,
  readTcpSocketCount,
} from './process-stats.js';
import { formatMib, type LoadSample, round, sampleLoad } from './report.js';
import { consumerGroupIds, countRecords, type ScaleSize, topicNames, topicPrefix } from './scale-topics.js';
import { benchAdmin } from './topic-records.js';

export const SCALE_MIRRORS = ['georep', 'mm2', 'mm2-tuned'] as const;
export type ScaleMirror = (typeof SCALE_MIRRORS)[number];

/** MirrorMaker 2's own default for refresh.topics.interval.seconds (the harness's is 1 s, for tests). */
const MIRROR_MAKER_DEFAULT_REFRESH_SECONDS = 600;
/** What an operator would set for new topics to be mirrored within a minute. */
const MIRROR_MAKER_TUNED_REFRESH_SECONDS = 60;
/** Resident memory settles a little after the copy (buffers, JIT); measured after this. */
const SETTLE_MS = 5_000;
const PROGRESS_INTERVAL_MS = 15_000;
/** The slowest of this many answers of /status and of /metrics is reported. */
const HTTP_TIMINGS = 3;

export interface MirrorStepInput {
  readonly mirror: ScaleMirror;
  readonly size: ScaleSize;
  readonly expectedRecords: number;
  readonly origin: LocalKafkaCluster;
  /** The mirror's own destination cluster. */
  readonly destination: LocalKafkaCluster;
  readonly version: KafkaVersion;
  readonly georepBuild: GeorepBuild;
  /** Options for node running georep (profiling, V8 settings); none by default. */
  readonly georepNodeOptions: readonly string[];
  readonly stepTimeoutMs: number;
  readonly idleWindowMs: number;
  readonly workDir: string;
  readonly signal: AbortSignal;
  readonly say: (line: string) => void;
}

export interface MirrorStepResult {
  readonly mirror: ScaleMirror;
  readonly size: string;
  /** Every record on the destination within the step's time. */
  readonly complete: boolean;
  /** georep: from start until /status listed every flow `running`; null for MirrorMaker 2 or never. */
  readonly allRunningMs: number | null;
  /** From start until the destination held every record; null if that never happened. */
  readonly allCopiedMs: number | null;
  /** On the destination at the end (or when complete), and how many of the size's topics exist there. */
  readonly copiedRecords: number;
  readonly expectedRecords: number;
  readonly destinationTopics: number;
  /** georep: flows by state at the end. */
  readonly flowStates: Readonly<Record<string, number>> | null;
  readonly rssBytes: number | null;
  readonly peakRssBytes: number | null;
  /** Share of one core while idle, over idleWindowMs once everything was copied. */
  readonly idleCpuPercent: number | null;
  readonly tcpSockets: number | null;
  /** Consumer groups on the origin that were not there before the mirror started. */
  readonly originGroupsCreated: number | null;
  /** georep: the slowest of HTTP_TIMINGS answers, body included. */
  readonly statusResponseMs: number | null;
  readonly statusBytes: number | null;
  readonly metricsResponseMs: number | null;
  readonly metricsBytes: number | null;
  /** georep: lines that `georep status` prints (without --all) at the end: readable at 10,000 flows? */
  readonly statusCommandLines: number | null;
  readonly stopMs: number;
  readonly load: LoadSample;
  readonly logFile: string;
  /** Why the step ended early (the mirror exited, a request failed), or null. */
  readonly error: string | null;
}

/** A started mirror: its process, and for georep its HTTP address. */
interface StartedMirror {
  readonly pid: number;
  readonly logFile: string;
  readonly httpAddress: string | null;
  failure(): string | null;
  stop(): Promise<void>;
}

async function startScaleMirror(input: MirrorStepInput, workDir: string): Promise<StartedMirror> {
  const { origin, destination, size } = input;
  if (input.mirror === 'georep') {
    const configFile = path.join(workDir, 'geo-replication.yaml');
    await writeFile(
      configFile,
      [
        ...benchConfigLines({
          writtenBy: 'bench/scale-mirrors.ts: one replication selecting the topics of one size',
          origin,
          destination,
          replication: 'scale',
          include: [`${topicPrefix(size)}*`],
        }),
        '    start: earliest',
        '',
      ].join('\n'),
    );
    const [httpPort] = await findFreePorts(1);
    const httpAddress = `127.0.0.1:${httpPort}`;
    const logFile = path.join(workDir, 'georep.log');
    const georep = startGeorep({
      configFile,
      httpListen: httpAddress,
      logFile,
      build: input.georepBuild,
      nodeOptions: input.georepNodeOptions,
    });
    return {
      pid: georep.pid,
      logFile,
      httpAddress,
      failure: () => (georep.exited ? `georep ended (${georep.exitDescription}); see ${logFile}` : null),
      stop: async () => void (await georep.stop()),
    };
  }
  const tuned = input.mirror === 'mm2-tuned';
  const properties = oneWayMirrorProperties({
    source: { alias: origin.name, bootstrap: origin.bootstrap },
    target: { alias: destination.name, bootstrap: destination.bootstrap },
    // A Java regular expression; the prefix holds no special character.
    topics: `${topicPrefix(size)}.*`,
    refreshTopicsIntervalSeconds: tuned
      ? MIRROR_MAKER_TUNED_REFRESH_SECONDS
      : MIRROR_MAKER_DEFAULT_REFRESH_SECONDS,
    ...(tuned ? { overrides: tunedMirrorMakerOverrides(destination.name) } : {}),
  });
  const mirrorMaker = await launchMirrorMaker({
    properties,
    targetCluster: destination.name,
    version: input.version,
    workDir,
    signal: input.signal,
  });
  return { ...mirrorMaker, httpAddress: null };
}

async function getJson<T>(url: string): Promise<T | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    return response.ok ? ((await response.json()) as T) : null;
  } catch {
    return null; // not up yet, or too busy
  }
}

/** The slowest of HTTP_TIMINGS GETs of the URL, the whole body read, and the body's size. */
async function timeGet(url: string): Promise<{ ms: number | null; bytes: number | null }> {
  let slowestMs = 0;
  let bytes = 0;
  for (let attempt = 0; attempt < HTTP_TIMINGS; attempt++) {
    const startedMs = performance.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      bytes = (await response.arrayBuffer()).byteLength;
      if (!response.ok) return { ms: null, bytes: null };
    } catch {
      return { ms: null, bytes: null };
    }
    slowestMs = Math.max(slowestMs, performance.now() - startedMs);
  }
  return { ms: round(slowestMs), bytes };
}

/** The row of a step that failed before it could measure anything. */
export function failedStep(input: MirrorStepInput, error: unknown): MirrorStepResult {
  return {
    mirror: input.mirror,
    size: input.size.label,
    complete: false,
    allRunningMs: null,
    allCopiedMs: null,
    copiedRecords: 0,
    expectedRecords: input.expectedRecords,
    destinationTopics: 0,
    flowStates: null,
    rssBytes: null,
    peakRssBytes: null,
    idleCpuPercent: null,
    tcpSockets: null,
    originGroupsCreated: null,
    statusResponseMs: null,
    statusBytes: null,
    metricsResponseMs: null,
    metricsBytes: null,
    statusCommandLines: null,
    stopMs: 0,
    load: sampleLoad(),
    logFile: path.join(input.workDir, input.size.label, input.mirror),
    error: error instanceof Error ? error.message : String(error),
  };
}

export function countStates(status: DaemonStatus | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const flow of status?.flows ?? []) counts[flow.state] = (counts[flow.state] ?? 0) + 1;
  return counts;
}

async function idleCpuPercent(pid: number, windowMs: number, signal: AbortSignal): Promise<number | null> {
  const before = readProcessCpuMs(pid);
  const startedMs = performance.now();
  await sleep(windowMs, undefined, { signal });
  const after = readProcessCpuMs(pid);
  if (before === null || after === null) return null;
  return round(((after - before) * 100) / (performance.now() - startedMs), 1);
}

/** Starts the mirror, waits until the destination holds every record (or the step's time is out), measures. */
export async function measureMirror(input: MirrorStepInput): Promise<MirrorStepResult> {
  const { size, signal, say } = input;
  const workDir = path.join(input.workDir, size.label, input.mirror);
  await mkdir(workDir, { recursive: true });
  const destinationTopics = topicNames(size).map((topic) => `${input.origin.name}.${topic}`);
  const groupsBefore = await consumerGroupIds(input.origin);
  const admin = benchAdmin(input.destination.bootstrap);
  say(`${size.label}, ${input.mirror}: starting…`);
  const startedMs = performance.now();
  const mirror = await startScaleMirror(input, workDir);
  try {
    const statusUrl = mirror.httpAddress === null ? null : `http://${mirror.httpAddress}/status`;
    let allRunningMs: number | null = null;
    let allCopiedMs: number | null = null;
    let count = { records: 0, topicsPresent: 0 };
    let status: DaemonStatus | null = null;
    let lastReportMs = startedMs;
    // What the process last showed, for a row of a mirror that exits before the end (a crash at 10,000 topics).
    let lastMemory: ProcessMemory | null = null;
    let lastTcpSockets: number | null = null;
    let exitReason: string | null = null;
    while (performance.now() - startedMs < input.stepTimeoutMs) {
      signal.throwIfAborted();
      exitReason = mirror.failure();
      if (exitReason !== null) break;
      lastMemory = readProcessMemory(mirror.pid) ?? lastMemory;
      lastTcpSockets = readTcpSocketCount(mirror.pid) ?? lastTcpSockets;
      // /status is only asked until every flow runs: at 10,000 flows its answer is large.
      if (statusUrl !== null && allRunningMs === null) {
        status = (await getJson<DaemonStatus>(statusUrl)) ?? status;
        const flows = status?.flows ?? [];
        if (flows.length === size.topics && flows.every((flow) => flow.state === 'running')) {
          allRunningMs = performance.now() - startedMs;
          say(`  all ${size.topics} flows running after ${round(allRunningMs / 1000, 1)} s`);
        }
      }
      count = await countRecords(admin, destinationTopics, size.partitionsPerTopic);
      const now = performance.now();
      if (count.records >= input.expectedRecords && (statusUrl === null || allRunningMs !== null)) {
        allCopiedMs = now - startedMs;
        say(`  all ${input.expectedRecords} records copied after ${round(allCopiedMs / 1000, 1)} s`);
        break;
      }
      if (now - lastReportMs > PROGRESS_INTERVAL_MS) {
        lastReportMs = now;
        const states = Object.entries(countStates(status)).map(([state, n]) => `${n} ${state}`);
        say(
          `  after ${Math.round((now - startedMs) / 1000)} s: ${count.topicsPresent} topics and ` +
            `${count.records} of ${input.expectedRecords} records on ${input.destination.name}` +
            `${statusUrl === null ? '' : `, flows: ${states.join(', ') || 'none yet'}`}` +
            `, RSS ${formatMib(lastMemory?.rssBytes ?? null)}, ${lastTcpSockets ?? '?'} TCP sockets`,
        );
      }
      await sleep(Math.max(1_000, size.topics / 5), undefined, { signal });
    }
    const complete = allCopiedMs !== null;
    if (complete) await sleep(SETTLE_MS, undefined, { signal });
    else if (exitReason !== null) say(`  ${exitReason}; measuring how far it got`);
    else say(`  out of time after ${Math.round(input.stepTimeoutMs / 60_000)} min; measuring how far it got`);
    const memory = readProcessMemory(mirror.pid) ?? lastMemory;
    const tcpSockets = readTcpSocketCount(mirror.pid) ?? lastTcpSockets;
    const groupsAfter = await consumerGroupIds(input.origin).catch(() => null);
    const idleCpu = complete ? await idleCpuPercent(mirror.pid, input.idleWindowMs, signal) : null;
    const statusTiming = statusUrl === null ? null : await timeGet(statusUrl);
    const metricsTiming =
      mirror.httpAddress === null ? null : await timeGet(`http://${mirror.httpAddress}/metrics`);
    if (statusUrl !== null) status = (await getJson<DaemonStatus>(statusUrl)) ?? status;
    const peakRssBytes = readProcessMemory(mirror.pid)?.peakRssBytes ?? memory?.peakRssBytes ?? null;
    say(`${size.label}, ${input.mirror}: stopping…`);
    const stoppingMs = performance.now();
    await mirror.stop();
    const stopMs = performance.now() - stoppingMs;
    if (!complete) count = await countRecords(admin, destinationTopics, size.partitionsPerTopic);
    return {
      mirror: input.mirror,
      size: size.label,
      complete,
      allRunningMs: allRunningMs === null ? null : round(allRunningMs),
      allCopiedMs: allCopiedMs === null ? null : round(allCopiedMs),
      copiedRecords: count.records,
      expectedRecords: input.expectedRecords,
      destinationTopics: count.topicsPresent,
      flowStates: statusUrl === null ? null : countStates(status),
      rssBytes: memory?.rssBytes ?? null,
      peakRssBytes,
      idleCpuPercent: idleCpu,
      tcpSockets,
      originGroupsCreated:
        groupsAfter === null ? null : [...groupsAfter].filter((group) => !groupsBefore.has(group)).length,
      statusResponseMs: statusTiming?.ms ?? null,
      statusBytes: statusTiming?.bytes ?? null,
      metricsResponseMs: metricsTiming?.ms ?? null,
      metricsBytes: metricsTiming?.bytes ?? null,
      statusCommandLines:
        statusUrl === null || status === null
          ? null
          : renderFlows(status.flows, { all: false }).trimEnd().split('\n').length,
      stopMs: round(stopMs),
      load: sampleLoad(),
      logFile: mirror.logFile,
      error: exitReason,
    };
  } catch (error) {
    await mirror.stop();
    throw error;
  } finally {
    await admin.close();
  }
}
