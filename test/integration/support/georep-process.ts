// The real georep daemon as a child process, the way an operator runs it: `georep run -c FILE`, JSON log
// lines on stdout, /readyz and /status over HTTP, stopped by signals.
//
//   const georep = await GeorepProcess.start({ configFile, name: 'georep-a' });
//   const status = await georep.waitForStatus((s) => s.flows[0]?.state === 'running', { what: 'flow running' });
//   await georep.crash();                        // kill -9
//   const { exit } = await georep.stopGracefully({ timeoutMs: 30_000 });   // SIGTERM
//   after(() => stopAllGeorepProcesses());       // whatever happened, no daemon outlives the test file
//
// Every process started here is killed (SIGKILL, by its pid) by stopAllGeorepProcesses(), and, as a last
// resort, when the test process itself exits: a failing test must never leave a daemon behind.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DaemonStatus } from '../../../src/runtime/daemon.js';

const repoRootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cliEntry = path.join(repoRootDir, 'src', 'cli', 'main.ts');

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 200;
/** The log line the daemon writes once its HTTP server listens, with the bound `address`. */
const HTTP_LISTENING_MESSAGE = 'serving /healthz, /readyz, /status and /metrics';

/** One JSON log line of the daemon (pino: level, time, msg and the line's own fields). */
export interface GeorepLogLine {
  readonly level: string;
  readonly time: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface GeorepExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** /status as JSON. */
export type GeorepStatus = DaemonStatus;
export type GeorepFlowStatus = GeorepStatus['flows'][number];

export interface StartGeorepOptions {
  readonly configFile: string;
  /** Names the process in messages and log files, e.g. `georep-a`. */
  readonly name?: string;
  /** Arguments after `run -c FILE --http-listen ADDRESS`. */
  readonly extraArgs?: readonly string[];
  /** Listen where daemon.httpListen of the file says (no --http-listen 127.0.0.1:0). */
  readonly httpListenFromConfig?: boolean;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long the daemon may take to answer /readyz with 200. */
  readonly readyTimeoutMs?: number;
  /** When given, stdout and stderr are also copied to `<logDir>/<name>-<pid>.log` for post-mortems. */
  readonly logDir?: string;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: 'exit' handlers cannot wait. SIGKILL by pid, only our own children.
  process.on('exit', () => {
    for (const child of running) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

/** Kills (SIGKILL) every georep process started by this module that still runs, and waits for each to exit. */
export async function stopAllGeorepProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      running.delete(child);
    }),
  );
}

export class GeorepProcess {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #logLines: GeorepLogLine[] = [];
  readonly #otherOutput: string[] = [];
  readonly #exited: Promise<GeorepExit>;
  readonly #logFile: WriteStream | null;
  #exit: GeorepExit | null = null;
  #httpAddress: string | null = null;

  private constructor(child: ChildProcess, name: string, logFile: WriteStream | null) {
    this.#child = child;
    this.name = name;
    this.#logFile = logFile;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(child);
        resolve(this.#exit);
      });
    });
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      logFile?.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.#takeLine(line);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      logFile?.write(chunk);
      this.#otherOutput.push(chunk);
    });
  }

  /**
   * Spawns `node --import tsx src/cli/main.ts run -c FILE --http-listen 127.0.0.1:0` and resolves once
   * /readyz answers 200. The HTTP port is chosen by the kernel and read from the daemon's log, so two
   * daemons never race for one port. Kills the process and rejects if it is not ready in time.
   */
  static async start(options: StartGeorepOptions): Promise<GeorepProcess> {
    installExitHook();
    const name = options.name ?? 'georep';
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cliEntry,
        'run',
        '-c',
        options.configFile,
        ...(options.httpListenFromConfig === true ? [] : ['--http-listen', '127.0.0.1:0']),
        ...(options.extraArgs ?? []),
      ],
      {
        cwd: repoRootDir,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    running.add(child);
    const logFile =
      options.logDir === undefined
        ? null
        : createWriteStream(path.join(options.logDir, `${name}-${child.pid ?? 'unknown'}.log`));
    const georep = new GeorepProcess(child, name, logFile);
    try {
      await georep.#waitUntilReady(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    } catch (error) {
      await georep.crash();
      throw error;
    }
    return georep;
  }

  get pid(): number {
    if (this.#child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.#child.pid;
  }

  /** host:port of its HTTP server. */
  get httpAddress(): string {
    if (this.#httpAddress === null) throw new Error(`${this.name} has not started its HTTP server`);
    return this.#httpAddress;
  }

  /** Every JSON log line so far, in order. */
  get logLines(): readonly GeorepLogLine[] {
    return this.#logLines;
  }

  /** stderr and any stdout line that was not JSON. */
  get otherOutput(): string {
    return this.#otherOutput.join('');
  }

  /** Resolves when the process exited, however. */
  get exited(): Promise<GeorepExit> {
    return this.#exited;
  }

  get hasExited(): boolean {
    return this.#exit !== null;
  }

  /** GET /status. */
  async status(): Promise<GeorepStatus> {
    const response = await fetch(`http://${this.httpAddress}/status`);
    if (!response.ok) throw new Error(`${this.name} /status answered ${response.status}`);
    return (await response.json()) as GeorepStatus;
  }

  /** Polls /status until `predicate` holds; rejects naming `what` (and the last status) after the timeout. */
  async waitForStatus(
    predicate: (status: GeorepStatus) => boolean,
    options: { readonly what: string; readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<GeorepStatus> {
    const deadline = Date.now() + options.timeoutMs;
    let last: GeorepStatus | null = null;
    for (;;) {
      options.signal?.throwIfAborted();
      if (this.hasExited) {
        throw new Error(
          `${this.name} exited (${describeExit(this.#exit)}) while waiting for ${options.what}`,
        );
      }
      try {
        last = await this.status();
        if (predicate(last)) return last;
      } catch (error) {
        if (this.hasExited) continue;
        if (Date.now() > deadline) throw error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: no ${options.what} after ${options.timeoutMs} ms; last /status flows: ` +
            JSON.stringify(last?.flows.map(summarizeFlow) ?? null),
        );
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Waits for a log line that `predicate` accepts (lines already written count). */
  async waitForLogLine(
    predicate: (line: GeorepLogLine) => boolean,
    options: { readonly what: string; readonly timeoutMs: number },
  ): Promise<GeorepLogLine> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const found = this.#logLines.find(predicate);
      if (found !== undefined) return found;
      if (this.hasExited) {
        throw new Error(`${this.name} exited (${describeExit(this.#exit)}) before logging ${options.what}`);
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not log ${options.what} in ${options.timeoutMs} ms`);
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Sends a signal; does not wait. */
  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.#child.kill(signal);
  }

  /** kill -9: the process gets no chance to flush or commit. Resolves once it is gone. */
  async crash(): Promise<GeorepExit> {
    this.signal('SIGKILL');
    const exit = await this.#exited;
    this.#logFile?.end();
    return exit;
  }

  /**
   * SIGTERM, then waits for the exit. If the process is still there after `timeoutMs`, it is killed and the
   * result says so (`exit.signal` is then SIGKILL): a test asserts on the exit, it never hangs.
   */
  async stopGracefully(options: { readonly timeoutMs: number }): Promise<{
    readonly exit: GeorepExit;
    /** From the signal to the exit. */
    readonly durationMs: number;
    /** When the process was seen gone (Date.now()). */
    readonly exitedAtMs: number;
    readonly killedAfterTimeout: boolean;
  }> {
    const startedMs = Date.now();
    this.signal('SIGTERM');
    const timedOut = Symbol('timed out');
    const outcome = await Promise.race([this.#exited, sleep(options.timeoutMs, timedOut)]);
    const exitedAtMs = Date.now();
    const durationMs = exitedAtMs - startedMs;
    if (outcome === timedOut) {
      const exit = await this.crash();
      return { exit, durationMs, exitedAtMs: Date.now(), killedAfterTimeout: true };
    }
    this.#logFile?.end();
    return { exit: outcome as GeorepExit, durationMs, exitedAtMs, killedAfterTimeout: false };
  }

  /** The last `count` log lines as text, for failure messages. */
  tail(count = 40): string {
    return [
      ...this.#logLines.slice(-count).map((line) => JSON.stringify(line)),
      this.otherOutput.slice(-4000),
    ].join('\n');
  }

  #takeLine(line: string): void {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.#otherOutput.push(`${line}\n`);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      this.#otherOutput.push(`${line}\n`);
      return;
    }
    const logLine = parsed as GeorepLogLine;
    this.#logLines.push(logLine);
    if (logLine.msg === HTTP_LISTENING_MESSAGE && typeof logLine.address === 'string') {
      this.#httpAddress = logLine.address;
    }
  }

  async #waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = 'the HTTP server is not listening yet';
    while (Date.now() < deadline) {
      if (this.hasExited) {
        throw new Error(
          `${this.name} exited (${describeExit(this.#exit)}) before it was ready:\n${this.tail()}`,
        );
      }
      if (this.#httpAddress !== null) {
        try {
          const response = await fetch(`http://${this.#httpAddress}/readyz`);
          const body = await response.text();
          if (response.status === 200) return;
          lastProblem = body.trim();
        } catch (error) {
          lastProblem = error instanceof Error ? error.message : String(error);
        }
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(`${this.name} was not ready after ${timeoutMs} ms (${lastProblem}):\n${this.tail()}`);
  }
}

function describeExit(exit: GeorepExit | null): string {
  if (exit === null) return 'still running';
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}

function summarizeFlow(flow: GeorepFlowStatus) {
  return {
    key: flow.key,
    state: flow.state,
    error: flow.error?.reason ?? null,
    lag: flow.lag,
    partitions: flow.partitions.map((p) => `${p.partition}@${p.position ?? '?'}/${p.endOffset ?? '?'}`),
  };
}

/** Waits until the daemon's flow runs on all `partitions` and copied at least one record since it started. */
export async function waitUntilCopying(
  daemon: GeorepProcess,
  flowKey: string,
  partitions: number,
  signal: AbortSignal,
): Promise<void> {
  await daemon.waitForStatus(
    (status) => {
      const flow = status.flows.find((candidate) => candidate.key === flowKey);
      return flow?.state === 'running' && flow.partitions.length === partitions && flow.recordsMirrored > 0;
    },
    { what: 'the flow running on all partitions and copying', timeoutMs: 90_000, signal },
  );
}

/**
 * Kills a daemon with SIGKILL `kills` times, each time a random delay in `delayRangeMs` after the daemon in
 * place started copying (waitUntilCopying), and starts the next one (`georep-<n>`) at once. Resolves with the
 * daemon started last and, per kill, what `progress()` said at that moment.
 */
export async function killRepeatedly(options: {
  readonly kills: number;
  readonly start: (name: string) => Promise<GeorepProcess>;
  readonly waitUntilCopying: (daemon: GeorepProcess) => Promise<void>;
  readonly delayRangeMs: readonly [number, number];
  readonly random: () => number;
  readonly progress: () => number;
}): Promise<{ daemon: GeorepProcess; progressAtKills: number[] }> {
  let daemon = await options.start('georep-0');
  const progressAtKills: number[] = [];
  for (let kill = 1; kill <= options.kills; kill++) {
    await options.waitUntilCopying(daemon);
    const [low, high] = options.delayRangeMs;
    await sleep(low + Math.floor(options.random() * (high - low)));
    progressAtKills.push(options.progress());
    const exit = await daemon.crash();
    if (exit.signal !== 'SIGKILL')
      throw new Error(`georep-${kill - 1} did not die of the kill: ${JSON.stringify(exit)}`);
    daemon = await options.start(`georep-${kill}`);
  }
  return { daemon, progressAtKills };
}

/**
 * Waits until every daemon holds a share of the flow's partitions and together they hold all `partitions`,
 * the same in two looks a second apart (while the group rebalances, a daemon still shows the partitions it is
 * about to give up). Returns the shares; whether they overlap is for the caller to check.
 */
export async function waitForShares(
  daemons: readonly GeorepProcess[],
  flowKey: string,
  partitions: number,
  signal: AbortSignal,
): Promise<number[][]> {
  const deadline = Date.now() + 90_000;
  let shares: number[][] = [];
  let previous = '';
  for (;;) {
    signal.throwIfAborted();
    const statuses = await Promise.all(daemons.map((daemon) => daemon.status()));
    shares = statuses.map((status) =>
      status.flows.find((flow) => flow.key === flowKey)?.state === 'running'
        ? assignedPartitions(status, flowKey)
        : [],
    );
    const union = new Set(shares.flat());
    const settled = JSON.stringify(shares) === previous;
    if (settled && shares.every((share) => share.length > 0) && union.size === partitions) return shares;
    if (Date.now() > deadline) {
      const held = daemons.map((daemon, index) => `${daemon.name} ${shares[index]}`).join(', ');
      throw new Error(`the partitions were not split: ${held}`);
    }
    previous = JSON.stringify(shares);
    await sleep(1_000);
  }
}

/** Partitions of the flow this daemon holds now, sorted. */
export function assignedPartitions(status: GeorepStatus, flowKey: string): number[] {
  const flow = status.flows.find((candidate) => candidate.key === flowKey);
  return (flow?.partitions ?? []).map((p) => p.partition).sort((a, b) => a - b);
}

/**
 * Writes a geo-replication.yaml that mirrors `topics` from one cluster to another with prefix naming
 * (`<originName>.<topic>`), and returns its path.
 */
export function writeMirrorConfig(options: {
  readonly dir: string;
  readonly originBrokers: readonly string[];
  readonly destinationBrokers: readonly string[];
  readonly topics: readonly string[];
  readonly originName?: string;
  readonly destinationName?: string;
  /** Extra `daemon:` settings, e.g. `{ shutdownTimeoutMs: 20000 }`. */
  readonly daemon?: Readonly<Record<string, string | number>>;
  /** Extra settings of the replication, e.g. `{ delivery: 'exactly-once' }`. */
  readonly replication?: Readonly<Record<string, string | number>>;
  readonly fileName?: string;
}): string {
  const originName = options.originName ?? 'origin';
  const destinationName = options.destinationName ?? 'destination';
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const daemonLines = Object.entries(options.daemon ?? {}).map(
    ([name, value]) => `  ${name}: ${JSON.stringify(value)}`,
  );
  const yaml = [
    'clusters:',
    `  ${originName}: { bootstrap: ${list(options.originBrokers)} }`,
    `  ${destinationName}: { bootstrap: ${list(options.destinationBrokers)} }`,
    'replications:',
    `  - origin: ${originName}`,
    `    destinations: [${destinationName}]`,
    `    topics: { include: ${list(options.topics)} }`,
    ...Object.entries(options.replication ?? {}).map(
      ([name, value]) => `    ${name}: ${JSON.stringify(value)}`,
    ),
    ...(daemonLines.length > 0 ? ['daemon:', ...daemonLines] : []),
    '',
  ].join('\n');
  const file = path.join(options.dir, options.fileName ?? 'geo-replication.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * True when the daemons together hold every partition of the flow and each has copied its partitions up to
 * `originEnds` (partition → end offset). With several daemons, each partition must be held by exactly one.
 */
export function caughtUp(
  statuses: readonly GeorepStatus[],
  flowKey: string,
  originEnds: ReadonlyMap<number, bigint>,
): boolean {
  const positions = new Map<number, string | null>();
  for (const status of statuses) {
    const flow = status.flows.find((candidate) => candidate.key === flowKey);
    if (flow === undefined || flow.state !== 'running') return false;
    for (const partition of flow.partitions) {
      if (positions.has(partition.partition)) return false;
      positions.set(partition.partition, partition.position);
    }
  }
  return [...originEnds].every(([partition, end]) => positions.get(partition) === end.toString());
}

export interface GeorepCommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a georep command from the sources (as `npm run georep --` does), e.g. `['status', '--json', …]`. */
export async function runGeorepCommand(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<GeorepCommandResult> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
    cwd: repoRootDir,
    env: { ...process.env, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}
