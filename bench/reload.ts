// `npm run bench:reload`: how fast a reload takes effect, and whether it disturbs a flow it does not touch.
//
// On two local clusters: one `steady` topic with a record written every few milliseconds, mirrored by a
// `georep run` that watches its file. Measured from outside:
//   - per trial (default 20): a new origin topic holding one record; the file is saved as Ansible saves it
//     (a temporary file renamed over it) with that topic added to the includes; the time from the rename to
//     the first record of the topic on the destination (the destination's end offsets, polled);
//   - the gaps between consecutive steady records arriving on the destination (a consumer in this process),
//     first for a while without reloads, then while the trials run: the largest and the 99th percentile.
// It prints a table and writes bench/results/reload-<time>.json.
import '../src/cli/require-supported-node.js';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Admin } from '@platformatic/kafka';
import { findFreePorts } from '../harness/free-ports.js';
import { createTopics } from '../harness/kafka-client.js';
import { type LocalKafkaCluster, startClusters } from '../harness/kafka-local.js';
import { openReader } from '../harness/kafka-reader.js';
import { type RecordWriter, recordWriter } from '../harness/kafka-writer.js';
import { benchConfigLines, buildGeorep, startGeorep } from './georep-process.js';
import {
  benchWorkDir,
  COMMON_OPTIONS,
  type CommonSettings,
  commonSettings,
  describeLoad,
  formatTable,
  type LoadSample,
  machineInfo,
  positiveInteger,
  removeClusterData,
  round,
  runBenchmark,
  sampleLoad,
  waitForQuietMachine,
  writeResult,
} from './report.js';
import { benchAdmin, recordsInTopic } from './topic-records.js';

const USAGE = `usage: npm run bench:reload -- [options]

Measures, over N trials, the time from saving georep's file (a temporary file renamed over it) to the first
record of a newly included topic on the destination, and the largest gap between the records of an
unrelated flow during the reloads, next to its gaps without reloads.

options:
  --trials N               reloads to time (default 20)
  --baseline-seconds S     how long the unrelated flow is watched without reloads first (default 20)
  --steady-interval-ms N   one record of the unrelated flow every N ms (default 10)
  --discovery-interval-ms N  georep's daemon.discoveryIntervalMs (default: georep's default, 5000)
  --version V              Kafka version (default GEOREP_KAFKA_VERSION, else 4.1.2)
  --georep-build B         dist (default: compile, then run bin/georep.js) or source (tsx)
  --wait-for-load L        first wait until the 1-minute load average is at most L…
  --max-wait-minutes M     …for at most M minutes (default 15), then measure anyway
  -h, --help               show this help
`;

/** How often the destination is looked at for a trial's record: the precision of the reload times. */
const POLL_MS = 10;
const TRIAL_TIMEOUT_MS = 60_000;
/** Between trials, so that each reload is its own (the watcher and the loop coalesce close saves). */
const PAUSE_BETWEEN_TRIALS_MS = 1_000;

interface ReloadOptions extends CommonSettings {
  readonly trials: number;
  readonly baselineMs: number;
  readonly steadyIntervalMs: number;
  readonly discoveryIntervalMs: number | null;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ReloadOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      trials: { type: 'string', default: '20' },
      'baseline-seconds': { type: 'string', default: '20' },
      'steady-interval-ms': { type: 'string', default: '10' },
      'discovery-interval-ms': { type: 'string' },
      ...COMMON_OPTIONS,
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    trials: positiveInteger(values.trials, '--trials'),
    baselineMs: positiveInteger(values['baseline-seconds'], '--baseline-seconds') * 1000,
    steadyIntervalMs: positiveInteger(values['steady-interval-ms'], '--steady-interval-ms'),
    discoveryIntervalMs:
      values['discovery-interval-ms'] === undefined
        ? null
        : positiveInteger(values['discovery-interval-ms'], '--discovery-interval-ms'),
    ...commonSettings(values, env),
  };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function georepConfig(
  origin: LocalKafkaCluster,
  destination: LocalKafkaCluster,
  steadyTopic: string,
  trialTopics: readonly string[],
  discoveryIntervalMs: number | null,
): string {
  const list = (topics: readonly string[]) => `[${topics.map((topic) => `"${topic}"`).join(', ')}]`;
  return [
    ...benchConfigLines({
      writtenBy: 'bench/reload.ts: the unrelated steady flow, and one replication that grows each trial',
      origin,
      destination,
      replication: 'steady',
      include: [steadyTopic],
    }),
    ...(trialTopics.length === 0
      ? []
      : [
          '  - name: trials',
          `    origin: ${origin.name}`,
          `    destinations: [${destination.name}]`,
          `    topics: { include: ${list(trialTopics)} }`,
        ]),
    ...(discoveryIntervalMs === null ? [] : ['daemon:', `  discoveryIntervalMs: ${discoveryIntervalMs}`]),
    '',
  ].join('\n');
}

/** As Ansible's template module saves: a temporary file in the same folder, renamed over the file. */
async function saveByRename(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

/** Writes one small record every `intervalMs` until stopped; one send at a time. */
function startSteadyWrites(producer: RecordWriter, topic: string, intervalMs: number) {
  let stopping = false;
  let written = 0;
  const loop = (async () => {
    const startedMs = performance.now();
    while (!stopping) {
      await producer.send(topic, [{ value: String(written) }]);
      written++;
      await sleep(Math.max(0, startedMs + written * intervalMs - performance.now()));
    }
  })();
  return {
    get written() {
      return written;
    },
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

/**
 * Arrival times (performance.now()) of the steady records on the destination, as a consumer in this process
 * sees them: what an application reading the copy would see.
 */
async function watchArrivals(bootstrap: string, topic: string) {
  const arrivalsMs: number[] = [];
  const reader = await openReader({
    brokers: bootstrap,
    topics: [topic],
    clientId: 'georep-bench-reload',
    from: 'latest',
    maxWaitTimeMs: 20,
    onRecord: () => arrivalsMs.push(performance.now()),
  });
  return { arrivalsMs, stop: () => reader.close() };
}

interface GapSummary {
  readonly records: number;
  readonly maxGapMs: number | null;
  readonly p99GapMs: number | null;
  readonly medianGapMs: number | null;
}

function gapsBetween(arrivalsMs: readonly number[], fromMs: number, toMs: number): GapSummary {
  const inWindow = arrivalsMs.filter((at) => at >= fromMs && at <= toMs);
  const gaps = inWindow.slice(1).map((at, index) => at - (inWindow[index] ?? at));
  const sorted = [...gaps].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0
      ? null
      : round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0, 1);
  return { records: inWindow.length, maxGapMs: at(1), p99GapMs: at(0.99), medianGapMs: at(0.5) };
}

function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
}

async function waitForFirstRecord(admin: Admin, topic: string, signal: AbortSignal): Promise<number> {
  const deadline = performance.now() + TRIAL_TIMEOUT_MS;
  for (;;) {
    signal.throwIfAborted();
    if (((await recordsInTopic(admin, topic)) ?? 0) > 0) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`${topic}: no record on the destination after ${TRIAL_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

async function main(stopSignal: AbortSignal): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2), process.env);
  if (parsed === 'help') {
    say(USAGE);
    return 0;
  }
  const options = parsed;
  const loadBefore: LoadSample =
    options.waitForLoad === null
      ? sampleLoad()
      : await waitForQuietMachine(options.waitForLoad, options.maxWaitMs, say, stopSignal);
  if (options.georepBuild === 'dist') await buildGeorep(stopSignal);
  const workDir = path.join(benchWorkDir, `reload-${Date.now()}`);
  await mkdir(workDir, { recursive: true });
  say(`bench:reload: ${options.trials} trials, Kafka ${options.version}; working files in ${workDir}`);
  say(describeLoad(loadBefore));

  const run = await startClusters({
    count: 2,
    names: ['origin', 'destination'],
    version: options.version,
    signal: stopSignal,
  });
  const [origin, destination] = run.clusters as [LocalKafkaCluster, LocalKafkaCluster];
  const originAdmin = benchAdmin(origin.bootstrap);
  const destinationAdmin = benchAdmin(destination.bootstrap);
  const producer = recordWriter(origin.bootstrap, { clientId: 'georep-bench-reload', idempotent: true });
  const steadyTopic = 'steady';
  const configFile = path.join(workDir, 'geo-replication.yaml');
  const [httpPort] = await findFreePorts(1);
  let georep: ReturnType<typeof startGeorep> | null = null;
  let steadyWrites: ReturnType<typeof startSteadyWrites> | null = null;
  let arrivals: Awaited<ReturnType<typeof watchArrivals>> | null = null;
  try {
    await createTopics(originAdmin, [{ topic: steadyTopic, partitions: 1 }]);
    await writeFile(
      configFile,
      georepConfig(origin, destination, steadyTopic, [], options.discoveryIntervalMs),
    );
    georep = startGeorep({
      configFile,
      httpListen: `127.0.0.1:${httpPort}`,
      logFile: path.join(workDir, 'georep.log'),
      build: options.georepBuild,
      watchConfig: true,
    });
    steadyWrites = startSteadyWrites(producer, steadyTopic, options.steadyIntervalMs);
    const replica = `${origin.name}.${steadyTopic}`;
    await waitForFirstRecord(destinationAdmin, replica, stopSignal);
    arrivals = await watchArrivals(destination.bootstrap, replica);
    while (arrivals.arrivalsMs.length === 0) await sleep(50, undefined, { signal: stopSignal });

    say(`Watching the steady flow without reloads for ${options.baselineMs / 1000} s…`);
    const baselineFromMs = performance.now();
    await sleep(options.baselineMs, undefined, { signal: stopSignal });
    const baselineToMs = performance.now();

    const trialTopics: string[] = [];
    const reloadMs: number[] = [];
    const loadDuring: LoadSample[] = [];
    for (let trial = 1; trial <= options.trials; trial++) {
      const topic = `trial-${String(trial).padStart(3, '0')}`;
      await createTopics(originAdmin, [{ topic, partitions: 1 }]);
      await producer.send(topic, [{ value: topic }]);
      trialTopics.push(topic);
      const savedAtMs = performance.now();
      await saveByRename(
        configFile,
        georepConfig(origin, destination, steadyTopic, trialTopics, options.discoveryIntervalMs),
      );
      const arrivedAtMs = await waitForFirstRecord(destinationAdmin, `${origin.name}.${topic}`, stopSignal);
      reloadMs.push(round(arrivedAtMs - savedAtMs));
      loadDuring.push(sampleLoad());
      say(`trial ${trial}: ${round(arrivedAtMs - savedAtMs)} ms`);
      await sleep(PAUSE_BETWEEN_TRIALS_MS, undefined, { signal: stopSignal });
    }
    const reloadsToMs = performance.now();
    const reloadsFromMs = baselineToMs;
    const baseline = gapsBetween(arrivals.arrivalsMs, baselineFromMs, baselineToMs);
    const duringReloads = gapsBetween(arrivals.arrivalsMs, reloadsFromMs, reloadsToMs);
    const steadyFlow = (await georep.status()).flows.find((flow) => flow.originTopic === steadyTopic);
    const loadAfter = sampleLoad();

    const summary = {
      trials: options.trials,
      saveToFirstRecordMs: {
        median: percentile(reloadMs, 0.5),
        p90: percentile(reloadMs, 0.9),
        worst: percentile(reloadMs, 1),
        best: percentile(reloadMs, 0),
      },
      steadyGapsMs: { withoutReloads: baseline, duringReloads },
      steadyFlowState: steadyFlow?.state ?? null,
    };
    say('');
    say(
      formatTable(
        ['save → first record of a new topic', 'best ms', 'median ms', 'p90 ms', 'worst ms'],
        [
          [
            `${options.trials} trials (atomic rename)`,
            String(summary.saveToFirstRecordMs.best),
            String(summary.saveToFirstRecordMs.median),
            String(summary.saveToFirstRecordMs.p90),
            String(summary.saveToFirstRecordMs.worst),
          ],
        ],
      ),
    );
    say('');
    say(
      formatTable(
        ['steady flow, gaps between arrivals', 'records', 'median ms', 'p99 ms', 'largest ms'],
        [
          ['without reloads', baseline],
          ['during the reloads', duringReloads],
        ].map(([label, gaps]) => {
          const g = gaps as GapSummary;
          return [
            label as string,
            String(g.records),
            String(g.medianGapMs),
            String(g.p99GapMs),
            String(g.maxGapMs),
          ];
        }),
      ),
    );
    say('');
    say(`Before: ${describeLoad(loadBefore)}; after: ${describeLoad(loadAfter)}`);
    const file = await writeResult('reload', {
      machine: machineInfo(),
      kafkaVersion: options.version,
      georepBuild: options.georepBuild,
      options,
      loadBefore,
      loadDuring,
      loadAfter,
      summary,
      reloadMs,
    });
    say(`Written to ${file}`);
    return 0;
  } finally {
    await arrivals?.stop().catch(() => undefined);
    await steadyWrites?.stop().catch(() => undefined);
    await georep?.stop();
    await producer.close().catch(() => undefined);
    await originAdmin.close().catch(() => undefined);
    await destinationAdmin.close().catch(() => undefined);
    await run.stopAll();
    await removeClusterData(run);
  }
}

runBenchmark(main);
