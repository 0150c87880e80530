// `georep run` as a child process of a benchmark, measured from outside like any other program: its pid for
// /proc, its /status over HTTP, and a stop by SIGTERM as an operator would send.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { commandOnCpus } from '../harness/cpu-pinning.js';
import { repoRootDir } from '../harness/versions.js';
import type { DaemonStatus } from '../src/runtime/daemon.js';

/**
 * `dist`: the compiled CLI (bin/georep.js), what users install; built first so that it matches the sources.
 * `source`: the TypeScript sources through tsx, as `npm run georep` does (tsx adds some memory).
 */
export type GeorepBuild = 'dist' | 'source';

/** Compiles src/ into dist/ (`npm run build`), so that a `dist` run measures the code as it is now. */
export async function buildGeorep(signal?: AbortSignal): Promise<void> {
  const tsc = spawn(
    process.execPath,
    [path.join(repoRootDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: repoRootDir, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) },
  );
  let output = '';
  tsc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  tsc.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(tsc, 'close')) as [number | null];
  if (code !== 0) throw new Error(`building georep (tsc -p tsconfig.build.json) failed:\n${output}`);
}

export interface StartGeorepOptions {
  readonly configFile: string;
  /** host:port for /status; overrides the file's daemon.httpListen. */
  readonly httpListen: string;
  /** georep's JSON log (stdout and stderr). */
  readonly logFile: string;
  readonly build: GeorepBuild;
  /** The georep checkout to run (its dist/ built); default: this one. */
  readonly checkoutDir?: string;
  /** Extra options for node, e.g. --cpu-prof. */
  readonly nodeOptions?: readonly string[];
  /** Environment of the process; default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Watch the file for changes (bench:reload); default: off, reloads by SIGHUP only. */
  readonly watchConfig?: boolean;
  /** The CPUs it runs on (a taskset list); default: those of this process. */
  readonly cpus?: string;
}

export interface GeorepProcess {
  readonly pid: number;
  readonly logFile: string;
  readonly exited: boolean;
  /** Exit code or signal, once exited. */
  readonly exitDescription: string | null;
  /** GET /status; rejects while the HTTP server is not up yet. */
  status(): Promise<DaemonStatus>;
  /** SIGTERM (georep flushes and commits), SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<{ readonly exitCode: number | null; readonly stopMs: number }>;
}

const DEFAULT_STOP_GRACE_MS = 60_000;
const exitWithParent = pathToFileURL(path.join(repoRootDir, 'bench', 'exit-with-parent.mjs')).href;

export function startGeorep(options: StartGeorepOptions): GeorepProcess {
  const checkoutDir = options.checkoutDir ?? repoRootDir;
  const entry =
    options.build === 'dist'
      ? [path.join(checkoutDir, 'bin', 'georep.js')]
      : ['--import', 'tsx', path.join(checkoutDir, 'src', 'cli', 'main.ts')];
  // Written by georep itself, not through this process: the log stays complete if this process dies first.
  const log = openSync(options.logFile, 'a');
  const { command, args } = commandOnCpus(options.cpus, process.execPath, [
    ...(options.nodeOptions ?? []),
    '--import',
    exitWithParent,
    ...entry,
    'run',
    '--config',
    options.configFile,
    '--http-listen',
    options.httpListen,
    ...(options.watchConfig === true ? [] : ['--no-watch']),
  ]);
  const child: ChildProcess = spawn(command, args, {
    cwd: checkoutDir,
    env: options.env ?? process.env,
    // Its own process group: a Ctrl-C at the terminal reaches only the benchmark, which then stops georep
    // once (a second signal would make georep exit without committing).
    detached: true,
    // stdin stays open for as long as this process lives: see exit-with-parent.mjs.
    stdio: ['pipe', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error('could not start georep');
  // The pipe must not keep the benchmark alive, nor crash it if georep is gone.
  child.stdin?.on('error', () => {});
  const killWithThisProcess = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killWithThisProcess);
  // A benchmark starts georep many times: each listener goes with its process.
  const exited = once(child, 'exit')
    .catch(() => undefined)
    .finally(() => process.off('exit', killWithThisProcess));
  const pid = child.pid;
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  return {
    pid,
    logFile: options.logFile,
    get exited() {
      return hasExited();
    },
    get exitDescription() {
      if (!hasExited()) return null;
      return child.signalCode !== null ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
    },
    async status() {
      const response = await fetch(`http://${options.httpListen}/status`, {
        signal: AbortSignal.timeout(30_000),
      });
      if (!response.ok) throw new Error(`/status answered ${response.status}`);
      return (await response.json()) as DaemonStatus;
    },
    async stop(graceMs = DEFAULT_STOP_GRACE_MS) {
      const startedMs = performance.now();
      if (!hasExited()) {
        child.kill('SIGTERM');
        const outcome = await Promise.race([exited.then(() => 'exited'), sleep(graceMs, 'timeout')]);
        if (outcome === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      }
      return { exitCode: child.exitCode, stopMs: performance.now() - startedMs };
    },
  };
}

/** A cluster as a benchmark's georep file names it. */
export interface BenchCluster {
  readonly name: string;
  readonly bootstrap: string;
}

/**
 * The lines of a benchmark's georep file up to its first replication's topics: a comment saying who wrote it,
 * both clusters, and the replication `name` of `include` (exact topic names or globs) from origin to destination.
 * Further replication keys (naming, delivery, …) follow, indented by four spaces.
 */
export function benchConfigLines(input: {
  readonly writtenBy: string;
  readonly origin: BenchCluster;
  /** Where georep reaches the origin, when not at its bootstrap (a WAN proxy). */
  readonly originAddress?: string;
  readonly destination: BenchCluster;
  readonly replication: string;
  readonly include: readonly string[];
}): string[] {
  const { origin, destination } = input;
  return [
    `# Written by ${input.writtenBy}.`,
    'clusters:',
    `  ${origin.name}: { bootstrap: ["${input.originAddress ?? origin.bootstrap}"] }`,
    `  ${destination.name}: { bootstrap: ["${destination.bootstrap}"] }`,
    'replications:',
    `  - name: ${input.replication}`,
    `    origin: ${origin.name}`,
    `    destinations: [${destination.name}]`,
    `    topics: { include: [${input.include.map((topic) => `"${topic}"`).join(', ')}] }`,
  ];
}
