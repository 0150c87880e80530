// `georep run` as an operator starts it: a child process with a config file, observed only through what it
// offers a user — its JSON log lines, its HTTP /status, and its exit code after SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRootDir } from '../../../harness/versions.js';

/** The parts of /status the tests read (see DaemonStatus and FlowStatus in src/runtime/). */
export interface StatusJson {
  readonly ready: boolean;
  readonly flows: readonly {
    readonly key: string;
    readonly originTopic: string;
    readonly destinationTopic: string;
    readonly state: string;
    readonly error: { readonly reason: string; readonly message: string; readonly retriable: boolean } | null;
    readonly lag: number | null;
    readonly recordsMirrored: number;
    readonly partitions: readonly { readonly partition: number; readonly lag: number | null }[];
    readonly spec: { readonly restartSettings: { readonly consumerGroupId: string } };
  }[];
}

export interface GeorepRun {
  /** host:port of the daemon's HTTP server. */
  readonly httpAddress: string;
  /** Every line the daemon printed on stdout and stderr. */
  readonly logFile: string;
  status(signal?: AbortSignal): Promise<StatusJson>;
  /** The last lines of the log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /** Sends SIGTERM and resolves with the exit code once the process ended (null if a signal ended it). */
  stop(timeoutMs: number): Promise<number | null>;
  /** SIGKILL, for clean-up after a failure; does nothing once the process ended. */
  kill(): Promise<void>;
}

const RUNNING_MESSAGE = 'georep is running';

/**
 * Starts `georep run -c <configFile>` on an HTTP port the OS picks, and resolves once the daemon logged that
 * it is running (its first reconcile is done) with the address it serves.
 */
export async function startGeorepRun(options: {
  configFile: string;
  logFile: string;
  signal: AbortSignal;
  startTimeoutMs?: number;
}): Promise<GeorepRun> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repoRootDir, 'src', 'cli', 'main.ts'),
      'run',
      '--config',
      options.configFile,
      '--http-listen',
      '127.0.0.1:0',
      '--no-watch',
    ],
    { cwd: repoRootDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // A test process that ends in any way must not leave a daemon behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const log = createWriteStream(options.logFile);
  child.stderr.pipe(log, { end: false });
  const address = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.write(`${line}\n`);
      const entry = parseJson(line);
      if (entry?.msg === RUNNING_MESSAGE && typeof entry.http === 'string') resolve(entry.http);
    });
  });

  const handle = (httpAddress: string | null) => runHandle(child, exited, options.logFile, httpAddress);
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const outcome = await Promise.race([
    address.then((httpAddress) => ({ httpAddress })),
    exited.then(([code, signal]) => ({ exited: `exited with ${code ?? signal} during start-up` })),
    sleep(
      startTimeoutMs,
      { exited: `did not log "${RUNNING_MESSAGE}" within ${startTimeoutMs} ms` },
      {
        signal: options.signal,
      },
    ),
  ]).catch(async (error: unknown) => {
    await handle(null).kill();
    throw error;
  });
  if ('exited' in outcome) {
    await handle(null).kill();
    throw new Error(`georep run ${outcome.exited}; log:\n${await tail(options.logFile, 40)}`);
  }
  return handle(outcome.httpAddress);
}

function runHandle(
  child: ChildProcess,
  exited: Promise<[number | null, NodeJS.Signals | null]>,
  logFile: string,
  httpAddress: string | null,
): GeorepRun {
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    httpAddress: httpAddress ?? '',
    logFile,
    async status(signal) {
      const response = await fetch(`http://${httpAddress}/status`, signal === undefined ? {} : { signal });
      if (!response.ok) throw new Error(`GET /status answered ${response.status}`);
      return (await response.json()) as StatusJson;
    },
    logTail: (lines = 40) => tail(logFile, lines),
    async stop(timeoutMs) {
      if (!hasExited()) child.kill('SIGTERM');
      const outcome = await Promise.race([exited, sleep(timeoutMs, 'timeout' as const)]);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`georep run did not exit within ${timeoutMs} ms of SIGTERM`);
      }
      return outcome[0];
    },
    async kill() {
      if (hasExited()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function parseJson(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function tail(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
