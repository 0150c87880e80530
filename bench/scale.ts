// `npm run bench:scale`: georep and MirrorMaker 2 with thousands of topics, in the same run (issue 13).
//
// For each size (`1000x1`: 1,000 topics of one partition), fresh clusters: an origin holding the size's topics
// (a few records in every partition) and one destination per mirror. Then each mirror in turn (MirrorMaker 2
// with its defaults, MirrorMaker 2 tuned, georep; scale-mirrors.ts) copies every topic into its destination and
// is measured from outside: time until every flow runs and every record is copied, idle CPU, resident memory,
// TCP sockets, consumer groups it made on the origin, and georep's /status and /metrics response times. A mirror
// that does not finish within the step's time is measured as far as it got. Prints a table and writes
// bench/results/scale-<time>.json.
import '../src/cli/require-supported-node.js';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { JvmHeap } from '../harness/java-process.js';
import { startClusters } from '../harness/kafka-local.js';
import { DEFAULT_MIRROR_MAKER_HEAP } from '../harness/mirror-maker.js';
import { buildGeorep } from './georep-process.js';
import { readProcessMemory } from './process-stats.js';
import {
  benchRunDir,
  COMMON_OPTIONS,
  type CommonSettings,
  commonSettings,
  describeLoad,
  formatMib,
  formatTable,
  type LoadSample,
  machineInfo,
  optionsOrExitCode,
  positiveInteger,
  removeClusterData,
  round,
  runBenchmark,
  sampleLoad,
  waitForQuietMachine,
  writeResult,
} from './report.js';
import {
  failedStep,
  type MirrorStepResult,
  measureMirror,
  SCALE_MIRRORS,
  type ScaleMirror,
} from './scale-mirrors.js';
import { brokerHeapFor, parseSizes, prepareOriginTopics, type ScaleSize } from './scale-topics.js';

const USAGE = `usage: npm run bench:scale -- [options]

Copies thousands of topics with georep and with MirrorMaker 2 (its defaults, and tuned) between local Kafka
clusters and compares: time until every flow runs and every record is copied, idle CPU, resident memory, TCP
sockets, consumer groups made on the origin, /status and /metrics response times (georep). The default sizes
make a quick run (a few minutes); the issue's table is --sizes 1000x1,10000x1,500x12.

options:
  --sizes LIST             TOPICSxPARTITIONS per topic, comma-separated (default 100x1,10x12)
  --mirrors LIST           which mirrors, in this order (default mm2,mm2-tuned,georep): georep, mm2 (MirrorMaker 2
                           with its defaults), mm2-tuned (tasks.max=2, zstd, 256 KiB batches, topics refreshed
                           every 60 s)
  --records-per-partition N  records written to each origin partition beforehand (default 5)
  --step-timeout-minutes M give up on a mirror after M minutes and report how far it got (default 10)
  --idle-seconds S         idle CPU is measured over S seconds once everything is copied (default 20)
  --version V              Kafka version (default GEOREP_KAFKA_VERSION, else 4.1.2)
  --georep-build B         dist (default: compile, then run bin/georep.js) or source (tsx)
  --georep-node-option O   an option for node running georep, repeatable: to profile it (--cpu-prof,
                           --heapsnapshot-signal=SIGUSR2) or try V8 settings (--optimize-for-size); give it as
                           --georep-node-option=--cpu-prof
  --wait-for-load L        first wait until the 1-minute load average is at most L…
  --max-wait-minutes M     …for at most M minutes (default 15), then measure anyway
  -h, --help               show this help
`;

interface ScaleOptions extends CommonSettings {
  readonly sizes: readonly ScaleSize[];
  readonly mirrors: readonly ScaleMirror[];
  readonly recordsPerPartition: number;
  readonly stepTimeoutMs: number;
  readonly idleWindowMs: number;
  readonly georepNodeOptions: readonly string[];
}

function parseMirrors(text: string): ScaleMirror[] {
  return text.split(',').map((item) => {
    const mirror = SCALE_MIRRORS.find((known) => known === item.trim());
    if (mirror === undefined)
      throw new Error(`--mirrors: "${item}" is not one of ${SCALE_MIRRORS.join(', ')}`);
    return mirror;
  });
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ScaleOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...COMMON_OPTIONS,
      sizes: { type: 'string', default: '100x1,10x12' },
      mirrors: { type: 'string', default: 'mm2,mm2-tuned,georep' },
      'records-per-partition': { type: 'string', default: '5' },
      'step-timeout-minutes': { type: 'string', default: '10' },
      'idle-seconds': { type: 'string', default: '20' },
      'georep-node-option': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    ...commonSettings(values, env),
    sizes: parseSizes(values.sizes, '--sizes'),
    mirrors: parseMirrors(values.mirrors),
    recordsPerPartition: positiveInteger(values['records-per-partition'], '--records-per-partition'),
    stepTimeoutMs: positiveInteger(values['step-timeout-minutes'], '--step-timeout-minutes') * 60_000,
    idleWindowMs: positiveInteger(values['idle-seconds'], '--idle-seconds') * 1000,
    georepNodeOptions: values['georep-node-option'],
  };
}

/** The destination cluster of a mirror: also its name in georep's file and MirrorMaker's alias. */
function destinationName(mirror: ScaleMirror): string {
  return mirror.replaceAll('-', '');
}

interface SizeResult {
  readonly size: ScaleSize;
  readonly brokerHeap: JvmHeap;
  readonly expectedRecords: number;
  /** Creating the origin topics and writing their records. */
  readonly prepareMs: number;
  readonly mirrors: readonly MirrorStepResult[];
  /** VmRSS of the origin's broker after every mirror ran. */
  readonly originBrokerRssBytes: number | null;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function measureSize(options: ScaleOptions, size: ScaleSize, workDir: string, signal: AbortSignal) {
  const brokerHeap = brokerHeapFor(size);
  say(
    `\n${size.label}: ${size.topics} topics of ${size.partitionsPerTopic} partition(s); brokers with -Xmx${brokerHeap.maxMb}m`,
  );
  const run = await startClusters({
    count: 1 + options.mirrors.length,
    names: ['origin', ...options.mirrors.map(destinationName)],
    version: options.version,
    heap: brokerHeap,
    signal,
    onProgress: say,
  });
  try {
    const [origin, ...destinations] = run.clusters;
    if (origin === undefined) throw new Error('the harness started no cluster');
    say(
      `${size.label}: creating the topics on ${origin.name}, ${options.recordsPerPartition} records per partition…`,
    );
    const preparingMs = performance.now();
    const expectedRecords = await prepareOriginTopics(origin, size, options.recordsPerPartition);
    const prepareMs = round(performance.now() - preparingMs);
    say(`  ${expectedRecords} records in ${round(prepareMs / 1000, 1)} s`);
    const mirrors: MirrorStepResult[] = [];
    for (const [index, mirror] of options.mirrors.entries()) {
      const destination = destinations[index];
      if (destination === undefined) throw new Error('the harness started fewer clusters');
      const stepInput = {
        mirror,
        size,
        expectedRecords,
        origin,
        destination,
        version: options.version,
        georepBuild: options.georepBuild,
        georepNodeOptions: options.georepNodeOptions,
        stepTimeoutMs: options.stepTimeoutMs,
        idleWindowMs: options.idleWindowMs,
        workDir,
        signal,
        say,
      };
      // One mirror failing (a process exiting, a broker out of file descriptors) leaves the others' rows.
      const result = await measureMirror(stepInput).catch((error: unknown) => {
        signal.throwIfAborted();
        return failedStep(stepInput, error);
      });
      mirrors.push(result);
      say(`  ${describeStep(result)}`);
    }
    const originBrokerRssBytes =
      origin.pid === undefined ? null : (readProcessMemory(origin.pid)?.rssBytes ?? null);
    return {
      size,
      brokerHeap,
      expectedRecords,
      prepareMs,
      mirrors,
      originBrokerRssBytes,
    } satisfies SizeResult;
  } finally {
    await run.stopAll();
    await removeClusterData(run);
  }
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : (ms / 1000).toFixed(1);
}

function milliseconds(ms: number | null): string {
  return ms === null ? '—' : `${ms} ms`;
}

/** `yes`, or how far the mirror got and why it stopped early. */
function describeStep(step: MirrorStepResult): string {
  if (step.complete) {
    return step.copiedRecords === step.expectedRecords
      ? 'yes'
      : `yes, ${step.copiedRecords} records of ${step.expectedRecords}`;
  }
  const states = Object.entries(step.flowStates ?? {}).map(([state, count]) => `${count} ${state}`);
  return (
    `no: ${step.copiedRecords} of ${step.expectedRecords} records, ${step.destinationTopics} topics` +
    (states.length > 0 ? `, flows ${states.join(', ')}` : '') +
    // The log file is in the JSON.
    (step.error === null ? '' : `; ${step.error.replace(/; see \S+$/, '')}`)
  );
}

const MIRROR_LABELS: Record<ScaleMirror, string> = {
  georep: 'georep',
  mm2: 'MirrorMaker 2',
  'mm2-tuned': 'MirrorMaker 2 tuned',
};

export function scaleTable(sizes: readonly SizeResult[]): string {
  return formatTable(
    [
      'size',
      'mirror',
      'running s',
      'copied s',
      'idle CPU',
      'RSS',
      'peak RSS',
      'TCP sockets',
      'origin groups',
      '/status',
      '/metrics',
      'status lines',
      'complete',
    ],
    sizes.flatMap(({ mirrors }) =>
      mirrors.map((step) => [
        step.size,
        MIRROR_LABELS[step.mirror],
        seconds(step.allRunningMs),
        seconds(step.allCopiedMs),
        step.idleCpuPercent === null ? '—' : `${step.idleCpuPercent}%`,
        formatMib(step.rssBytes),
        formatMib(step.peakRssBytes),
        String(step.tcpSockets ?? '—'),
        String(step.originGroupsCreated ?? '—'),
        milliseconds(step.statusResponseMs),
        milliseconds(step.metricsResponseMs),
        String(step.statusCommandLines ?? '—'),
        describeStep(step),
      ]),
    ),
  );
}

function printNotes(
  options: ScaleOptions,
  sizes: readonly SizeResult[],
  load: { atStart: LoadSample; atEnd: LoadSample },
) {
  const idleSeconds = options.idleWindowMs / 1000;
  for (const line of [
    "- running: from start until georep's /status shows every flow `running`; copied: until the destination",
    '  holds every record (end offsets, every few seconds). Idle CPU: share of one core over',
    `  ${idleSeconds} s once all was copied. RSS: VmRSS then; peak: VmHWM. TCP sockets: the process's`,
    '  (connections and listeners, /proc). Origin groups: consumer groups on the origin that were not there',
    '  before the mirror started. /status, /metrics: the slowest of 3 answers, body read. Status lines:',
    '  what `georep status` prints at the end (without --all).',
    `- MirrorMaker 2 runs in dedicated mode with -Xmx${DEFAULT_MIRROR_MAKER_HEAP.maxMb}m; defaults: tasks.max=1,`,
    '  refresh.topics.interval.seconds=600; tuned: tasks.max=2, zstd, 256 KiB batches, 10 ms linger, refresh 60 s.',
    `- Each size runs on fresh brokers, one destination per mirror; broker heaps: ${sizes.map((size) => `${size.size.label} -Xmx${size.brokerHeap.maxMb}m`).join(', ')}.`,
    `- Origin broker RSS after all mirrors: ${sizes.map((size) => `${size.size.label} ${formatMib(size.originBrokerRssBytes)}`).join(', ')}.`,
    `- Load: ${describeLoad(load.atStart)} at start, ${describeLoad(load.atEnd)} at the end; per row in the JSON.`,
  ])
    say(line);
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
    `Scale benchmark: ${options.sizes.map((size) => size.label).join(', ')} with ${options.mirrors.join(', ')}, Kafka ${options.version}`,
  );
  say(`Machine: ${describeLoad(loadAtStart)}; working files in ${workDir}`);
  if (options.georepBuild === 'dist' && options.mirrors.includes('georep')) {
    say('Compiling georep (tsc -p tsconfig.build.json) so that bin/georep.js runs the current sources…');
    await buildGeorep(signal);
  }
  const sizes: SizeResult[] = [];
  const sizesNotMeasured: { readonly size: string; readonly error: string }[] = [];
  for (const size of options.sizes) {
    try {
      sizes.push(await measureSize(options, size, workDir, signal));
    } catch (error) {
      signal.throwIfAborted();
      // One size failing (its origin could not be prepared) leaves the rows of the sizes measured
      const message = error instanceof Error ? error.message : String(error);
      sizesNotMeasured.push({ size: size.label, error: message });
      say(`${size.label}: not measured: ${message.slice(0, 500)}`);
    }
  }
  const load = { atStart: loadAtStart, atEnd: sampleLoad() };
  say(
    `\nScale: one process per mirror, Kafka ${options.version}, ${options.recordsPerPartition} records per partition`,
  );
  say(scaleTable(sizes));
  say('');
  printNotes(options, sizes, load);
  const resultFile = await writeResult('scale', {
    benchmark: 'scale',
    startedAt,
    machine: machineInfo(),
    kafkaVersion: options.version,
    options,
    load,
    sizes,
    sizesNotMeasured,
    workDir,
  });
  say(`\nResults: ${path.relative(process.cwd(), resultFile)}`);
  return sizesNotMeasured.length === 0 ? 0 : 1;
}

runBenchmark(main);
