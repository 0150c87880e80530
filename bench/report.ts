// What every benchmark prints and records besides its figures: the machine, how busy it was, a text table,
// and the JSON file with everything measured.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalKafkaRun } from '../harness/kafka-local.js';
import {
  type KafkaVersion,
  kafkaVersionFromEnv,
  parseKafkaVersion,
  repoRootDir,
} from '../harness/versions.js';
import type { GeorepBuild } from './georep-process.js';

export const resultsDir = path.join(repoRootDir, 'bench', 'results');
/** Working files of benchmark runs (configs, logs); .cache/ is ignored by git. */
export const benchWorkDir = path.join(repoRootDir, '.cache', 'bench');

export const MIB = 1024 * 1024;

export interface LoadSample {
  readonly at: string;
  /** The kernel's 1-, 5- and 15-minute load averages (runnable tasks; the machine has `cpus` cores). */
  readonly loadAverage: readonly [number, number, number];
}

export function sampleLoad(): LoadSample {
  const [one, five, fifteen] = os.loadavg();
  return {
    at: new Date().toISOString(),
    loadAverage: [round(one ?? 0, 2), round(five ?? 0, 2), round(fifteen ?? 0, 2)],
  };
}

export function describeLoad(sample: LoadSample): string {
  return `load average ${sample.loadAverage.join(' / ')} (1/5/15 min) on ${os.cpus().length} cores`;
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly platform: string;
  readonly node: string;
}

export function machineInfo(): MachineInfo {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/**
 * Other work on the machine (other test suites) distorts every figure, ratios less than absolute ones. Waits
 * until the 1-minute load average is at most `maxLoad`, for at most `maxWaitMs`; returns the last sample,
 * whether or not the load came down, so that the output can say how busy the machine was.
 */
export async function waitForQuietMachine(
  maxLoad: number,
  maxWaitMs: number,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<LoadSample> {
  const deadline = Date.now() + maxWaitMs;
  let sample = sampleLoad();
  let told = false;
  while ((sample.loadAverage[0] ?? 0) > maxLoad && Date.now() < deadline) {
    if (!told) {
      say(
        `Waiting up to ${Math.round(maxWaitMs / 60_000)} min for the load to drop to ${maxLoad}: ${describeLoad(sample)}`,
      );
      told = true;
    }
    await sleep(15_000, undefined, signal ? { signal } : {});
    sample = sampleLoad();
  }
  if ((sample.loadAverage[0] ?? 0) > maxLoad)
    say(`The machine is still busy; measuring anyway: ${describeLoad(sample)}`);
  return sample;
}

/** The options every benchmark takes, for parseArgs; commonSettings() reads them. */
export const COMMON_OPTIONS = {
  version: { type: 'string' },
  'georep-build': { type: 'string', default: 'dist' },
  'wait-for-load': { type: 'string' },
  'max-wait-minutes': { type: 'string', default: '15' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface CommonSettings {
  readonly version: KafkaVersion;
  readonly georepBuild: GeorepBuild;
  readonly waitForLoad: number | null;
  readonly maxWaitMs: number;
}

export function commonSettings(
  values: {
    readonly version?: string | undefined;
    readonly 'georep-build': string;
    readonly 'wait-for-load'?: string | undefined;
    readonly 'max-wait-minutes': string;
  },
  env: NodeJS.ProcessEnv,
): CommonSettings {
  const build = values['georep-build'];
  if (build !== 'dist' && build !== 'source')
    throw new Error(`--georep-build: "${build}" is not dist or source`);
  return {
    version: values.version ? parseKafkaVersion(values.version, '--version') : kafkaVersionFromEnv(env),
    georepBuild: build,
    waitForLoad: values['wait-for-load'] === undefined ? null : Number(values['wait-for-load']),
    maxWaitMs: Number(values['max-wait-minutes']) * 60_000,
  };
}

/**
 * A benchmark's options from its command line, or the exit code when there is nothing to measure: 0 after
 * printing the usage for --help, 2 after printing the error and the usage.
 */
export function optionsOrExitCode<T>(parse: () => T | 'help', usage: string): T | number {
  try {
    const parsed = parse();
    if (parsed !== 'help') return parsed;
    process.stdout.write(`${usage}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
}

/** A new folder under .cache/bench for a run's working files: `<name>-<start time>`. */
export async function benchRunDir(name: string, startedAt: string): Promise<string> {
  const dir = path.join(benchWorkDir, `${name}-${startedAt.replace(/[-:]/g, '').replace(/\..*$/, '')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A command-line number: digits with optional `_` separators, above 0. */
export function positiveInteger(text: string, name: string): number {
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: "${text}" is not a positive integer`);
  return value;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function formatMib(bytes: number | null): string {
  return bytes === null ? '—' : `${round(bytes / MIB)} MiB`;
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/** Writes `bench/results/<name>-<timestamp>.json` and returns its path. */
export async function writeResult(name: string, result: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const timestamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const file = path.join(resultsDir, `${name}-${timestamp}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/**
 * Deletes the brokers' data once they are stopped: a throughput run leaves gigabytes that nobody reads again,
 * and the harness keeps its last 20 runs. Their logs stay.
 */
export async function removeClusterData(run: LocalKafkaRun): Promise<void> {
  await Promise.all(run.clusters.map((cluster) => rm(cluster.dataDir, { recursive: true, force: true })));
}

/**
 * Runs a benchmark's main function and exits with its code. Ctrl-C, SIGTERM and SIGHUP abort the signal it
 * gets; it then stops what it started (its finally blocks) and the process exits with 130. Any other failure
 * exits with 1.
 */
export function runBenchmark(main: (stopSignal: AbortSignal) => Promise<number>): void {
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(name, () => {
      if (!controller.signal.aborted)
        process.stdout.write(`\n${name}: stopping everything this benchmark started…\n`);
      controller.abort(new Error(`stopped by ${name}`));
    });
  }
  main(controller.signal).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (controller.signal.aborted) {
        process.stderr.write('bench: stopped before the end; no result written\n');
        process.exit(130);
      }
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`bench: ${text}\n`);
      process.exit(1);
    },
  );
}
