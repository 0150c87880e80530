// `npm run bench:scale`: how georep's memory and start-up grow with the number of flows in one process.
//
// On two local clusters, for each size N (default 10, 100 and 1,000): N small topics on the origin (one
// partition, a few records each), then a fresh `georep run` process whose one replication selects exactly
// those topics. Measured from outside:
//   - the time from starting the process until /status shows N flows, all `running`;
//   - the time until georep has copied every record (its /status count; the destination's end offsets are
//     checked independently afterwards);
//   - resident memory (VmRSS) once everything is copied, its peak (VmHWM), and the memory per flow above an
//     idle georep with no flow (the baseline, measured first);
//   - the CPU georep burns while idle with N flows (heartbeats, empty fetches), and how long a stop takes.
// It prints a table and writes bench/results/scale-<time>.json.
import '../src/cli/require-supported-node.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { findFreePorts } from '../harness/free-ports.js';
import { createTopics } from '../harness/kafka-client.js';
import { type LocalKafkaCluster, startClusters } from '../harness/kafka-local.js';
import { recordWriter } from '../harness/kafka-writer.js';
import { type KafkaVersion, kafkaVersionFromEnv, parseKafkaVersion } from '../harness/versions.js';
import type { DaemonStatus } from '../src/runtime/daemon.js';
import { buildGeorep, type GeorepBuild, type GeorepProcess, startGeorep } from './georep-process.js';
import { readOpenSocketCount, readProcessCpuMs, readProcessMemory } from './process-stats.js';
import {
  benchRunDir,
  describeLoad,
  formatMib,
  formatTable,
  type LoadSample,
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

const USAGE = `usage: npm run bench:scale -- [options]

Starts georep with 10, 100 and 1,000 one-partition topics (one flow each) and measures the time until
every flow runs and the resident memory per flow.

options:
  --topics LIST            flow counts to measure, comma-separated (default 10,100,1000)
  --records-per-topic N    records written to each origin topic beforehand (default 5)
  --discovery-interval-ms N  georep's daemon.discoveryIntervalMs, which also paces each flow's lag refresh
                           (default: georep's default, 5000)
  --step-timeout-minutes M give up on a size after M minutes and report how far it got (default 20)
  --version V              Kafka version (default GEOREP_KAFKA_VERSION, else 4.1.2)
  --georep-build B         dist (default: compile, then run bin/georep.js) or source (tsx)
  --georep-cpu-prof        write a V8 CPU profile of each georep (.cpuprofile) into the size's working folder
  --wait-for-load L        first wait until the 1-minute load average is at most L…
  --max-wait-minutes M     …for at most M minutes (default 15), then measure anyway
  -h, --help               show this help
`;

const STATUS_POLL_MS = 1_000;
/** Resident memory settles a little after the last flow starts (buffers, JIT); measured after this. */
const SETTLE_MS = 5_000;
/** How long idle CPU is measured once everything is copied. */
const IDLE_CPU_WINDOW_MS = 10_000;
/** Bigger than this, a createTopics or produce request is split. */
const TOPICS_PER_REQUEST = 100;
const RECORD_VALUE_BYTES = 100;

interface ScaleOptions {
  readonly topicCounts: readonly number[];
  readonly recordsPerTopic: number;
  readonly stepTimeoutMs: number;
  readonly version: KafkaVersion;
  readonly georepBuild: GeorepBuild;
  readonly georepCpuProfile: boolean;
  readonly discoveryIntervalMs: number | null;
  readonly waitForLoad: number | null;
  readonly maxWaitMs: number;
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: "${text}" is not a positive integer`);
  return value;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ScaleOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      topics: { type: 'string', default: '10,100,1000' },
      'records-per-topic': { type: 'string', default: '5' },
      'step-timeout-minutes': { type: 'string', default: '20' },
      version: { type: 'string' },
      'georep-build': { type: 'string', default: 'dist' },
      'georep-cpu-prof': { type: 'boolean', default: false },
      'discovery-interval-ms': { type: 'string' },
      'wait-for-load': { type: 'string' },
      'max-wait-minutes': { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const build = values['georep-build'];
  if (build !== 'dist' && build !== 'source')
    throw new Error(`--georep-build: "${build}" is not dist or source`);
  return {
    topicCounts: values.topics.split(',').map((item) => positiveInteger(item.trim(), '--topics')),
    recordsPerTopic: positiveInteger(values['records-per-topic'], '--records-per-topic'),
    stepTimeoutMs: Number(values['step-timeout-minutes']) * 60_000,
    version: values.version ? parseKafkaVersion(values.version, '--version') : kafkaVersionFromEnv(env),
    georepBuild: build,
    georepCpuProfile: values['georep-cpu-prof'],
    discoveryIntervalMs:
      values['discovery-interval-ms'] === undefined
        ? null
        : positiveInteger(values['discovery-interval-ms'], '--discovery-interval-ms'),
    waitForLoad: values['wait-for-load'] === undefined ? null : Number(values['wait-for-load']),
    maxWaitMs: Number(values['max-wait-minutes']) * 60_000,
  };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function topicNames(prefix: string, count: number): string[] {
  const digits = String(count - 1).length;
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(digits, '0')}`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Creates the topics on the origin (one partition each) and writes `recordsPerTopic` records into each;
 * returns how many records the origin topics hold, which is what the destination must end up with.
 */
async function prepareOriginTopics(
  origin: LocalKafkaCluster,
  topics: readonly string[],
  recordsPerTopic: number,
) {
  const admin = benchAdmin(origin.bootstrap);
  // Idempotent: on a busy machine a plain producer's retries write some batches twice.
  const producer = recordWriter(origin.bootstrap, { clientId: 'georep-bench-scale', idempotent: true });
  try {
    for (const group of chunks(topics, TOPICS_PER_REQUEST))
      await createTopics(
        admin,
        group.map((topic) => ({ topic, partitions: 1 })),
      );
    const value = Buffer.alloc(RECORD_VALUE_BYTES, 'x');
    const records = Array.from({ length: recordsPerTopic }, (_, index) => ({ key: `k${index}`, value }));
    for (const group of chunks(topics, TOPICS_PER_REQUEST))
      await Promise.all(group.map((topic) => producer.send(topic, records)));
  } finally {
    await producer.close();
    await admin.close();
  }
  return await recordCount(origin, topics);
}

interface GeorepConfigInput {
  readonly origin: LocalKafkaCluster;
  readonly destination: LocalKafkaCluster;
  /** A glob of the origin topics to mirror. */
  readonly include: string;
  readonly file: string;
  readonly discoveryIntervalMs: number | null;
}

async function writeGeorepConfig(input: GeorepConfigInput): Promise<void> {
  await writeFile(
    input.file,
    [
      '# Written by bench/scale.ts: one replication selecting the topics of one size.',
      'clusters:',
      `  ${input.origin.name}: { bootstrap: ["${input.origin.bootstrap}"] }`,
      `  ${input.destination.name}: { bootstrap: ["${input.destination.bootstrap}"] }`,
      'replications:',
      '  - name: scale',
      `    origin: ${input.origin.name}`,
      `    destinations: [${input.destination.name}]`,
      `    topics: { include: ["${input.include}"] }`,
      '    start: earliest',
      ...(input.discoveryIntervalMs === null
        ? []
        : ['daemon:', `  discoveryIntervalMs: ${input.discoveryIntervalMs}`]),
      '',
    ].join('\n'),
  );
}

interface StepResult {
  readonly topics: number;
  /** All flows running (and, when reached, all records copied) within the step's time. */
  readonly complete: boolean;
  /** From starting georep until /status listed every flow as running; null if that never happened. */
  readonly allRunningMs: number | null;
  /** From starting georep until its /status counted every record as mirrored. */
  readonly allCopiedMs: number | null;
  /** Records found on the destination topics afterwards (sum of end offsets), and on the origin topics. */
  readonly destinationRecords: number | null;
  readonly expectedRecords: number;
  /** Flows by state at the end of the step. */
  readonly flowStates: Readonly<Record<string, number>>;
  /** A few of the error reasons seen, if any flow was in error. */
  readonly errors: readonly string[];
  /** VmRSS once everything was copied (or at the step's end). */
  readonly rssBytes: number | null;
  /** (rssBytes − baseline) / topics. */
  readonly rssPerFlowBytes: number | null;
  /** VmHWM before stopping. */
  readonly peakRssBytes: number | null;
  /** Sockets georep held open once everything was copied: its Kafka connections. */
  readonly openSockets: number | null;
  /** VmRSS of the origin's broker JVM at the same moment: what the consumer groups cost the cluster shows here. */
  readonly originBrokerRssBytes: number | null;
  /** CPU time used from start until all flows ran. */
  readonly startupCpuMs: number | null;
  /** Share of one core georep used while idle with every flow running (heartbeats, empty fetches). */
  readonly idleCpuPercent: number | null;
  readonly stopMs: number;
  readonly exitCode: number | null;
  readonly load: LoadSample;
  readonly logFile: string;
}

function countStates(status: DaemonStatus | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const flow of status?.flows ?? []) counts[flow.state] = (counts[flow.state] ?? 0) + 1;
  return counts;
}

async function idleCpuPercent(pid: number, signal: AbortSignal): Promise<number | null> {
  const before = readProcessCpuMs(pid);
  const startedMs = performance.now();
  await sleep(IDLE_CPU_WINDOW_MS, undefined, { signal });
  const after = readProcessCpuMs(pid);
  if (before === null || after === null) return null;
  return round(((after - before) * 100) / (performance.now() - startedMs), 1);
}

/** Sum of end offsets over the topics, a few requests at a time. */
async function recordCount(cluster: LocalKafkaCluster, topics: readonly string[]): Promise<number> {
  const admin = benchAdmin(cluster.bootstrap);
  try {
    let total = 0;
    for (const group of chunks(topics, 20)) {
      const counts = await Promise.all(group.map((topic) => recordsInTopic(admin, topic)));
      total += counts.reduce<number>((sum, count) => sum + (count ?? 0), 0);
    }
    return total;
  } finally {
    await admin.close();
  }
}

interface StepInput {
  readonly options: ScaleOptions;
  readonly origin: LocalKafkaCluster;
  readonly destination: LocalKafkaCluster;
  readonly topicCount: number;
  readonly baselineRssBytes: number | null;
  readonly workDir: string;
  readonly signal: AbortSignal;
}

async function measureStep(input: StepInput): Promise<StepResult> {
  const { options, origin, destination, topicCount, signal } = input;
  const prefix = `scale-${topicCount}-`;
  const topics = topicNames(prefix, topicCount);
  say(`${topicCount} topics: creating them on ${origin.name} with ${options.recordsPerTopic} records each…`);
  const expectedRecords = await prepareOriginTopics(origin, topics, options.recordsPerTopic);

  const stepDir = path.join(input.workDir, `topics-${topicCount}`);
  await mkdir(stepDir, { recursive: true });
  const configFile = path.join(stepDir, 'geo-replication.yaml');
  await writeGeorepConfig({
    origin,
    destination,
    include: `${prefix}*`,
    file: configFile,
    discoveryIntervalMs: options.discoveryIntervalMs,
  });
  const [httpPort] = await findFreePorts(1);
  const logFile = path.join(stepDir, 'georep.log');

  say(`${topicCount} topics: starting georep…`);
  const startedMs = performance.now();
  const georep = startGeorep({
    configFile,
    httpListen: `127.0.0.1:${httpPort}`,
    logFile,
    build: options.georepBuild,
    nodeOptions: options.georepCpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${stepDir}`] : [],
  });
  let allRunningMs: number | null = null;
  let allCopiedMs: number | null = null;
  let startupCpuMs: number | null = null;
  let lastStatus: DaemonStatus | null = null;
  let lastReportMs = startedMs;
  try {
    while (performance.now() - startedMs < options.stepTimeoutMs) {
      signal.throwIfAborted();
      if (georep.exited) throw new Error(`georep ended (${georep.exitDescription}); see ${logFile}`);
      lastStatus = await georep.status().catch(() => lastStatus);
      const now = performance.now();
      const flows = lastStatus?.flows ?? [];
      if (
        allRunningMs === null &&
        flows.length === topicCount &&
        flows.every((flow) => flow.state === 'running')
      ) {
        allRunningMs = now - startedMs;
        startupCpuMs = readProcessCpuMs(georep.pid);
        say(`  all ${topicCount} flows running after ${round(allRunningMs / 1000, 1)} s`);
      }
      const copied = flows.reduce((sum, flow) => sum + flow.recordsMirrored, 0);
      if (allRunningMs !== null && copied >= expectedRecords) {
        allCopiedMs = now - startedMs;
        say(`  all ${expectedRecords} records copied after ${round(allCopiedMs / 1000, 1)} s`);
        break;
      }
      if (now - lastReportMs > 15_000) {
        lastReportMs = now;
        const states = Object.entries(countStates(lastStatus)).map(([state, count]) => `${count} ${state}`);
        say(
          `  after ${Math.round((now - startedMs) / 1000)} s: ${flows.length} flows (${states.join(', ') || 'none yet'}), ` +
            `${copied} of ${expectedRecords} records, RSS ${formatMib(readProcessMemory(georep.pid)?.rssBytes ?? null)}`,
        );
      }
      await sleep(STATUS_POLL_MS, undefined, { signal });
    }
    return await finishStep({
      ...input,
      topics,
      georep,
      logFile,
      expectedRecords,
      allRunningMs,
      allCopiedMs,
      startupCpuMs,
    });
  } catch (error) {
    await georep.stop();
    throw error;
  }
}

interface FinishInput extends StepInput {
  readonly topics: readonly string[];
  readonly georep: GeorepProcess;
  readonly logFile: string;
  readonly expectedRecords: number;
  readonly allRunningMs: number | null;
  readonly allCopiedMs: number | null;
  readonly startupCpuMs: number | null;
}

async function finishStep(input: FinishInput): Promise<StepResult> {
  const { georep, topicCount, signal } = input;
  const complete = input.allCopiedMs !== null;
  if (complete) await sleep(SETTLE_MS, undefined, { signal });
  const memory = readProcessMemory(georep.pid);
  const openSockets = readOpenSocketCount(georep.pid);
  const originBrokerRssBytes =
    input.origin.pid === undefined ? null : (readProcessMemory(input.origin.pid)?.rssBytes ?? null);
  const idleCpu = complete ? await idleCpuPercent(georep.pid, signal) : null;
  const peakRssBytes = readProcessMemory(georep.pid)?.peakRssBytes ?? memory?.peakRssBytes ?? null;
  const status = await georep.status().catch(() => null);
  const errors = [
    ...new Set(
      (status?.flows ?? []).flatMap((flow) =>
        flow.error === null ? [] : [`${flow.error.reason}: ${flow.error.message}`],
      ),
    ),
  ].slice(0, 5);
  say(`${topicCount} topics: stopping georep…`);
  const stopped = await georep.stop();
  say(`  stopped in ${round(stopped.stopMs / 1000, 1)} s (exit code ${stopped.exitCode})`);
  const destinationTopics = input.topics.map((topic) => `${input.origin.name}.${topic}`);
  const destinationRecords = await recordCount(input.destination, destinationTopics).catch(() => null);
  const rssBytes = memory?.rssBytes ?? null;
  return {
    topics: topicCount,
    complete,
    allRunningMs: input.allRunningMs === null ? null : round(input.allRunningMs),
    allCopiedMs: input.allCopiedMs === null ? null : round(input.allCopiedMs),
    destinationRecords,
    expectedRecords: input.expectedRecords,
    flowStates: countStates(status),
    errors,
    rssBytes,
    rssPerFlowBytes:
      rssBytes === null || input.baselineRssBytes === null
        ? null
        : round((rssBytes - input.baselineRssBytes) / topicCount),
    peakRssBytes,
    openSockets,
    originBrokerRssBytes,
    startupCpuMs: input.startupCpuMs,
    idleCpuPercent: idleCpu,
    stopMs: round(stopped.stopMs),
    exitCode: stopped.exitCode,
    load: sampleLoad(),
    logFile: input.logFile,
  };
}

/** georep with a replication that selects no topic: the memory every flow comes on top of. */
async function measureBaseline(
  input: Omit<StepInput, 'topicCount' | 'baselineRssBytes'>,
): Promise<{ rssBytes: number | null; idleCpuPercent: number | null; openSockets: number | null }> {
  const stepDir = path.join(input.workDir, 'topics-0');
  await mkdir(stepDir, { recursive: true });
  const configFile = path.join(stepDir, 'geo-replication.yaml');
  await writeGeorepConfig({
    ...input,
    include: 'no-topic-is-named-like-this-*',
    file: configFile,
    discoveryIntervalMs: input.options.discoveryIntervalMs,
  });
  const [httpPort] = await findFreePorts(1);
  const georep = startGeorep({
    configFile,
    httpListen: `127.0.0.1:${httpPort}`,
    logFile: path.join(stepDir, 'georep.log'),
    build: input.options.georepBuild,
  });
  try {
    const deadline = performance.now() + 60_000;
    while ((await georep.status().catch(() => null)) === null) {
      if (georep.exited || performance.now() > deadline)
        throw new Error(`georep without flows did not start; see ${georep.logFile}`);
      await sleep(200, undefined, { signal: input.signal });
    }
    await sleep(SETTLE_MS, undefined, { signal: input.signal });
    const idle = await idleCpuPercent(georep.pid, input.signal);
    return {
      rssBytes: readProcessMemory(georep.pid)?.rssBytes ?? null,
      idleCpuPercent: idle,
      openSockets: readOpenSocketCount(georep.pid),
    };
  } finally {
    await georep.stop();
  }
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : (ms / 1000).toFixed(1);
}

async function main(signal: AbortSignal): Promise<number> {
  const options = optionsOrExitCode(() => parseOptions(process.argv.slice(2), process.env), USAGE);
  if (typeof options === 'number') return options;
  const startedAt = new Date().toISOString();
  const workDir = await benchRunDir('scale', startedAt);
  const loadAtStart =
    options.waitForLoad === null
      ? sampleLoad()
      : await waitForQuietMachine(options.waitForLoad, options.maxWaitMs, say, signal);
  say(
    `Scale benchmark: ${options.topicCounts.join(', ')} topics, ${options.recordsPerTopic} records each, Kafka ${options.version}`,
  );
  say(`Machine: ${describeLoad(loadAtStart)}; working files in ${workDir}`);
  if (options.georepBuild === 'dist') {
    say('Compiling georep (tsc -p tsconfig.build.json) so that bin/georep.js runs the current sources…');
    await buildGeorep(signal);
  }

  const run = await startClusters({ count: 2, version: options.version, signal, onProgress: say });
  try {
    const [origin, destination] = run.clusters;
    if (origin === undefined || destination === undefined)
      throw new Error('the harness started fewer clusters');
    const common = { options, origin, destination, workDir, signal };
    say('Baseline: georep with no flow…');
    const baseline = await measureBaseline(common);
    say(`  RSS ${formatMib(baseline.rssBytes)}, idle CPU ${baseline.idleCpuPercent}% of a core`);
    const steps: StepResult[] = [];
    for (const topicCount of options.topicCounts) {
      steps.push(await measureStep({ ...common, topicCount, baselineRssBytes: baseline.rssBytes }));
    }
    const loadAtEnd = sampleLoad();

    say('');
    say(`Scale: one georep process, one flow (one consumer and group) per topic, Kafka ${options.version}`);
    say(
      formatTable(
        [
          'topics',
          'all running s',
          'all copied s',
          'RSS after',
          'RSS per flow',
          'peak RSS',
          'idle CPU',
          'sockets',
          'stop s',
          'complete',
        ],
        [
          [
            '0 (baseline)',
            '—',
            '—',
            formatMib(baseline.rssBytes),
            '—',
            '—',
            `${baseline.idleCpuPercent ?? '—'}%`,
            String(baseline.openSockets ?? '—'),
            '—',
            'yes',
          ],
          ...steps.map((step) => [
            String(step.topics),
            seconds(step.allRunningMs),
            seconds(step.allCopiedMs),
            formatMib(step.rssBytes),
            step.rssPerFlowBytes === null ? '—' : `${(step.rssPerFlowBytes / MIB).toFixed(2)} MiB`,
            formatMib(step.peakRssBytes),
            step.idleCpuPercent === null ? '—' : `${step.idleCpuPercent}%`,
            String(step.openSockets ?? '—'),
            seconds(step.stopMs),
            step.complete
              ? step.destinationRecords === step.expectedRecords
                ? 'yes'
                : `destination has ${step.destinationRecords} of ${step.expectedRecords} records`
              : `no: ${Object.entries(step.flowStates)
                  .map(([state, count]) => `${count} ${state}`)
                  .join(', ')}`,
          ]),
        ],
      ),
    );
    say('');
    say(
      '- all running: from starting the process until /status shows every flow `running`; all copied: until',
    );
    say(
      '  georep counted every record mirrored (the destination end offsets are checked afterwards: complete).',
    );
    say(
      '- RSS after: VmRSS once all was copied; per flow: above the baseline; idle CPU: share of one core over',
    );
    say('  10 s; sockets: what georep holds open (its Kafka connections).');
    const originBroker = steps.map((step) => `${step.topics} topics ${formatMib(step.originBrokerRssBytes)}`);
    say(
      `- RSS of the origin's broker (heap at most 512 MiB) at the same moment: ${originBroker.join(', ')}.`,
    );
    say(`- Load: ${describeLoad(loadAtStart)} at start, ${describeLoad(loadAtEnd)} at the end.`);
    for (const step of steps.filter((entry) => entry.errors.length > 0)) {
      say(`- ${step.topics} topics, flow errors: ${step.errors.join(' | ')}`);
    }
    const resultFile = await writeResult('scale', {
      benchmark: 'scale',
      startedAt,
      machine: machineInfo(),
      kafkaVersion: options.version,
      options,
      load: { atStart: loadAtStart, atEnd: loadAtEnd },
      baseline,
      steps,
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
