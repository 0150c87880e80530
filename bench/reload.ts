// `npm run bench:reload`: how fast a reload takes effect, and whether it disturbs the flows it does not touch.
//
// On two local clusters: one `steady` topic written at a steady rate (2,000 records/s by default), mirrored by a
// `georep run` that watches its file, beside N `background` one-partition topics the same process mirrors
// (--background-topics; each holds one record). Measured from outside:
//   - per reload (default 20), a mix of kinds (reload-steps.ts): a topic added (the time from the rename to its
//     records on the destination, whose end offsets are polled), the replication paused, resumed (every other
//     time onto records deleted on the origin before they were copied: the flow fails, origin-truncated), the
//     topic removed (the time from the rename to the flow's state change in georep's log);
//   - the gaps between consecutive steady records arriving on the destination (a consumer in this process),
//     first for a while without reloads, then while the reloads run: the largest and the 99th percentile;
//   - whether any flow but the reloaded one changed state (stopped, restarted, stalled, failed) meanwhile, by
//     georep's log.
// It prints tables and writes bench/results/reload-<time>.json. Its options are read in reload-options.ts; the
// figures and tables made of what it measured, in reload-summary.ts.
import '../src/cli/require-supported-node.js';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from '@platformatic/kafka';
import { findFreePorts } from '../harness/free-ports.js';
import { createTopics } from '../harness/kafka-client.js';
import { type LocalKafkaCluster, startClusters } from '../harness/kafka-local.js';
import { type RecordWriter, recordWriter } from '../harness/kafka-writer.js';
import { type FlowLogLine, GeorepLog } from './georep-log.js';
import { buildGeorep, startGeorep } from './georep-process.js';
import { parseReloadOptions, RELOAD_USAGE } from './reload-options.js';
import { describeReload, reloadConfig, reloadSteps, runReloadStep } from './reload-steps.js';
import { printReloadSummary, type ReloadTime, summarizeReloads } from './reload-summary.js';
import {
  benchWorkDir,
  describeLoad,
  type LoadSample,
  machineInfo,
  optionsOrExitCode,
  removeClusterData,
  round,
  runBenchmark,
  sampleLoad,
  waitForQuietMachine,
  writeResult,
} from './report.js';
import { chunks } from './scale-topics.js';
import { startSteadyWrites, watchArrivals } from './steady-stream.js';
import { benchAdmin, waitForRecords } from './topic-records.js';

/** How often the destination is looked at for a trial's records: the precision of the add times. */
const POLL_MS = 10;
/** How often georep's log is read for a flow's state change: the precision of the other reload times. */
const LOG_POLL_MS = 20;
const TRIAL_TIMEOUT_MS = 60_000;
/**
 * Between reloads, so that each is its own (the watcher and the loop coalesce close saves), and so that the
 * steady copy's gaps between reloads can be told from those during one.
 */
const PAUSE_BETWEEN_TRIALS_MS = 2_000;
/** Bigger than this, a createTopics or produce request is split. */
const TOPICS_PER_REQUEST = 200;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** As Ansible's template module saves: a temporary file in the same folder, renamed over the file. */
async function saveByRename(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

/**
 * The longest time georep's event loop was blocked since the last look (prom-client's default metrics reset
 * their event-loop histogram at every scrape), in ms: a reload that blocks it pauses every flow.
 */
async function eventLoopMaxMs(httpListen: string): Promise<number | null> {
  const metrics = await (await fetch(`http://${httpListen}/metrics`)).text();
  const seconds = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(metrics)?.[1];
  return seconds === undefined ? null : round(Number(seconds) * 1000, 1);
}

/** The background topics on the origin, one partition and one record each. */
async function createBackgroundTopics(admin: Admin, producer: RecordWriter, topics: readonly string[]) {
  for (const group of chunks(topics, TOPICS_PER_REQUEST)) {
    await createTopics(
      admin,
      group.map((topic) => ({ topic, partitions: 1 })),
    );
    await Promise.all(group.map((topic) => producer.send(topic, [{ value: topic }])));
  }
}

/** Resolves once the destination's `topic` holds `records` records: its end offsets, polled every POLL_MS. */
async function waitForCopy(admin: Admin, topic: string, records: number, signal: AbortSignal): Promise<void> {
  await waitForRecords({
    admin,
    topic,
    expectedRecords: records,
    timeoutMs: TRIAL_TIMEOUT_MS,
    pollMs: POLL_MS,
    signal,
  });
}

/** Resolves once georep's log shows `flows` distinct flows running. */
async function waitForFlowsRunning(log: GeorepLog, flows: number, signal: AbortSignal): Promise<void> {
  const running = new Set<string>();
  await log.waitForLine(
    `${flows} flows running`,
    (line) => {
      if (line.to === 'running') running.add(line.flow);
      return running.size >= flows;
    },
    { fromIndex: 0, timeoutMs: 60_000 + 100 * flows, pollMs: 500 },
    signal,
  );
}

async function main(stopSignal: AbortSignal): Promise<number> {
  const options = optionsOrExitCode(
    () => parseReloadOptions(process.argv.slice(2), process.env),
    RELOAD_USAGE,
  );
  if (typeof options === 'number') return options;
  const loadBefore: LoadSample =
    options.waitForLoad === null
      ? sampleLoad()
      : await waitForQuietMachine(options.waitForLoad, options.maxWaitMs, say, stopSignal);
  if (options.georepBuild === 'dist') await buildGeorep(stopSignal);
  const workDir = path.join(benchWorkDir, `reload-${Date.now()}`);
  await mkdir(workDir, { recursive: true });
  say(
    `bench:reload: ${options.trials} reloads, ${options.backgroundTopics} background topics, ` +
      `steady flow at ${options.steadyRecordsPerSecond} records/s, Kafka ${options.version}; working files in ${workDir}`,
  );
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
  const backgroundTopics = Array.from(
    { length: options.backgroundTopics },
    (_, index) => `background-${String(index + 1).padStart(5, '0')}`,
  );
  const config = (trial: { topic: string; paused: boolean } | null) =>
    reloadConfig({
      origin: { name: origin.name, brokers: [origin.bootstrap] },
      destination: { name: destination.name, brokers: [destination.bootstrap] },
      steadyTopic,
      backgroundInclude: backgroundTopics.length === 0 ? null : 'background-*',
      trial,
      discoveryIntervalMs: options.discoveryIntervalMs,
    });
  const configFile = path.join(workDir, 'geo-replication.yaml');
  const logFile = path.join(workDir, 'georep.log');
  const [httpPort] = await findFreePorts(1);
  const httpListen = `127.0.0.1:${httpPort}`;
  let georep: ReturnType<typeof startGeorep> | null = null;
  let steadyWrites: ReturnType<typeof startSteadyWrites> | null = null;
  let arrivals: Awaited<ReturnType<typeof watchArrivals>> | null = null;
  try {
    await createTopics(originAdmin, [{ topic: steadyTopic, partitions: 1 }]);
    await createBackgroundTopics(originAdmin, producer, backgroundTopics);
    await writeFile(configFile, config(null));
    const startedMs = performance.now();
    georep = startGeorep({
      configFile,
      httpListen,
      logFile,
      build: options.georepBuild,
      watchConfig: true,
    });
    const log = new GeorepLog(logFile);
    await waitForFlowsRunning(log, backgroundTopics.length + 1, stopSignal);
    const allRunningMs = round(performance.now() - startedMs);
    say(`${backgroundTopics.length + 1} flows running ${round(allRunningMs / 1000, 1)} s after start`);
    steadyWrites = startSteadyWrites(producer, steadyTopic, options.steadyRecordsPerSecond);
    const replica = `${origin.name}.${steadyTopic}`;
    await waitForCopy(destinationAdmin, replica, 1, stopSignal);
    arrivals = await watchArrivals(destination.bootstrap, replica);
    while (arrivals.arrivalsMs.length === 0) await sleep(50, undefined, { signal: stopSignal });

    say(`Watching the steady flow without reloads for ${options.baselineMs / 1000} s…`);
    await eventLoopMaxMs(httpListen);
    const baselineFromMs = performance.now();
    await sleep(options.baselineMs, undefined, { signal: stopSignal });
    const baselineToMs = performance.now();
    const eventLoopMaxWithoutReloadsMs = await eventLoopMaxMs(httpListen);

    await log.read();
    const linesBeforeReloads = log.flowLines.length;
    const reloads: ReloadTime[] = [];
    const effects: { savedAtMs: number; effectAtMs: number }[] = [];
    const loadDuring: LoadSample[] = [];
    for (const step of reloadSteps(options.trials)) {
      const flowOf = (topic: string) => (line: FlowLogLine) =>
        line.flow.startsWith(`${origin.name}/${topic} `);
      await log.read();
      const fromIndex = log.flowLines.length;
      const { savedAtMs, effectAtMs } = await runReloadStep(step, {
        originAdmin,
        producer,
        save: (trial) => saveByRename(configFile, config(trial)),
        waitForCopied: async (topic, records) => {
          await waitForCopy(destinationAdmin, `${origin.name}.${topic}`, records, stopSignal);
        },
        waitForFlowLine: async (topic, what, accept) => {
          await log.waitForLine(
            `${topic} ${what}`,
            (line) => flowOf(topic)(line) && accept(line),
            { fromIndex, timeoutMs: TRIAL_TIMEOUT_MS, pollMs: LOG_POLL_MS },
            stopSignal,
          );
        },
      });
      const ms = round(effectAtMs - savedAtMs);
      effects.push({ savedAtMs, effectAtMs });
      reloads.push({ kind: describeReload(step), cycle: step.cycle, ms });
      loadDuring.push(sampleLoad());
      say(`reload ${step.index + 1} (${describeReload(step)}, ${step.trialTopic}): ${ms} ms`);
      await sleep(PAUSE_BETWEEN_TRIALS_MS, undefined, { signal: stopSignal });
    }
    const reloadsToMs = performance.now();
    const eventLoopMaxDuringReloadsMs = await eventLoopMaxMs(httpListen);
    await log.read();
    // Any state change of a flow other than the trials' (stopped, started again, stalled, failed) is a disturbance.
    const disturbances = log.flowLines
      .slice(linesBeforeReloads)
      .filter((line) => !line.flow.startsWith(`${origin.name}/trial-`));
    const loadAfter = sampleLoad();
    const summary = summarizeReloads({
      trials: options.trials,
      backgroundTopics: backgroundTopics.length,
      steadyRecordsPerSecond: options.steadyRecordsPerSecond,
      allFlowsRunningAfterStartMs: allRunningMs,
      reloads,
      effects,
      arrivalsMs: arrivals.arrivalsMs,
      baselineFromMs,
      baselineToMs,
      reloadsToMs,
      eventLoopMaxWithoutReloadsMs,
      eventLoopMaxDuringReloadsMs,
      disturbances,
    });
    printReloadSummary(summary, say);
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
      reloads,
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
