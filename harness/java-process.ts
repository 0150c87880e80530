// Starting and stopping the JVMs of the harness, and making sure none outlives the Node process that
// started it, however that process ends.
//
// Every JVM gets a marker on its command line (-Dgeorep.harness=<marker>). Before a pid is signalled
// by anything but its own ChildProcess object, its /proc/<pid>/cmdline is checked for the marker, so a pid
// that the kernel reused for another program is never touched.
//
// Three layers keep JVMs from being left behind:
// 1. stop()/kill() of the handles, called by tests in `after` and by the CLI;
// 2. a process 'exit' handler that SIGKILLs every guarded JVM still running (a test file that forgot, an
//    uncaught exception);
// 3. a watchdog: a small detached shell that holds a pipe from this process and learns each guarded JVM's
//    pid. When this process dies without running exit handlers (SIGKILL, SIGINT/SIGTERM with no handler, a
//    test runner that kills a timed-out file), the pipe closes and the watchdog SIGKILLs those JVMs.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandOnCpus } from './cpu-pinning.js';

export interface JvmHeap {
  initialMb: number;
  maxMb: number;
}

export interface JavaCommand {
  /** Folder of jars; the classpath is every jar in it. */
  libsDir: string;
  /** Class folders or jars put on the classpath before libsDir's jars (classes compiled by a test). */
  classpathBefore?: readonly string[];
  mainClass: string;
  args: readonly string[];
  /** Always explicit: the JVM's default maximum is a quarter of the machine's memory. */
  heap: JvmHeap;
  /** Further JVM options such as -D system properties. */
  jvmOptions?: readonly string[];
  /** Identifies this JVM on its command line; letters, digits, '.', '_' and '-' only. */
  marker: string;
}

const MARKER_PATTERN = /^[A-Za-z0-9._-]+$/;

/**
 * The JVM options Kafka's own launch script (bin/kafka-run-class.sh, KAFKA_JVM_PERFORMANCE_OPTS) gives a broker,
 * a tool and MirrorMaker 2 alike, so that the harness runs them as an operator's installation would. Above all
 * G1's pause target of 20 ms (the JVM's default is 200 ms). In GC logs of bench:wan's latency part, a broker's
 * young collections stopped it for 60–130 ms at a time with the JVM's default; with these options most took
 * under 30 ms (a few still more when both cores were saturated). Every such pause is in a mirror's latency.
 */
export const KAFKA_JVM_PERFORMANCE_OPTIONS: readonly string[] = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-Djava.awt.headless=true',
];

export function markerOption(marker: string): string {
  return `-Dgeorep.harness=${marker}`;
}

/** The arguments of `java` for a command, in the order the JVM needs them (options before the main class). */
export function javaArguments(command: JavaCommand): string[] {
  if (!MARKER_PATTERN.test(command.marker)) throw new Error(`invalid JVM marker "${command.marker}"`);
  return [
    `-Xms${command.heap.initialMb}m`,
    `-Xmx${command.heap.maxMb}m`,
    ...KAFKA_JVM_PERFORMANCE_OPTIONS,
    '-XX:+ExitOnOutOfMemoryError',
    markerOption(command.marker),
    ...(command.jvmOptions ?? []),
    '-cp',
    [...(command.classpathBefore ?? []), `${command.libsDir}/*`].join(':'),
    command.mainClass,
    ...command.args,
  ];
}

/** True when the process with this pid is alive and its command line carries the marker. */
export function processHasMarker(pid: number, marker: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return commandLine.includes(markerOption(marker));
  } catch {
    return false;
  }
}

// ---- guard: layers 2 and 3 ----

const guarded = new Map<ChildProcess, string>();
let watchdogInput: Socket | undefined;

const WATCHDOG_SCRIPT = `
entries=""
while read -r pid marker; do entries="$entries $pid:$marker"; done
for entry in $entries; do
  pid="\${entry%%:*}"; marker="\${entry#*:}"
  if tr '\\0' '\\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "-Dgeorep.harness=$marker"; then
    kill -9 "$pid" 2>/dev/null
  fi
done
`;

function watchdog(): Socket {
  if (watchdogInput) return watchdogInput;
  // Detached, so that a Ctrl-C sent to this process group does not end the watchdog before it acts.
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  const input = child.stdin as Socket;
  input.unref();
  // The watchdog ends when this process does; a write after that must not crash anything.
  input.on('error', () => {});
  watchdogInput = input;
  process.once('exit', () => {
    for (const [jvm] of guarded) {
      try {
        jvm.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  return input;
}

function guard(jvm: ChildProcess, marker: string): void {
  if (jvm.pid === undefined) return;
  watchdog().write(`${jvm.pid} ${marker}\n`);
  guarded.set(jvm, marker);
  jvm.once('exit', () => guarded.delete(jvm));
}

// ---- starting and stopping ----

export interface SpawnJavaOptions {
  /** File descriptor that receives the JVM's stdout and stderr; 'pipe' to read them in this process. */
  output: number | 'pipe';
  /** 'pipe' for tools that read records from stdin. */
  input?: 'pipe' | 'ignore';
  /** A detached JVM is not guarded: it keeps running after this process ends (the CLI's --detach mode). */
  outliveThisProcess?: boolean;
  /** The CPUs it runs on (a taskset list); default: those of this process. */
  cpus?: string;
}

export function spawnJava(command: JavaCommand, options: SpawnJavaOptions): ChildProcess {
  const { command: program, args } = commandOnCpus(options.cpus, 'java', javaArguments(command));
  const jvm = spawn(program, args, {
    // Its own process group: signals reach the JVM only from the harness, in the order the harness chooses.
    detached: true,
    stdio: [options.input ?? 'ignore', options.output, options.output],
  });
  // A tool that exits before reading all of its input must not crash this process with EPIPE.
  jvm.stdin?.on('error', () => {});
  if (options.outliveThisProcess) jvm.unref();
  else guard(jvm, command.marker);
  return jvm;
}

export function hasExited(jvm: ChildProcess): boolean {
  return jvm.exitCode !== null || jvm.signalCode !== null;
}

async function waitForExit(jvm: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(jvm)) return true;
  const exited = once(jvm, 'exit').then(() => true);
  const timedOut = sleep(timeoutMs, false, { ref: false });
  return Promise.race([exited, timedOut]);
}

/** SIGTERM (Kafka shuts down cleanly), then SIGKILL if it is still running after `graceMs`. */
export async function stopJava(jvm: ChildProcess, graceMs: number): Promise<void> {
  if (hasExited(jvm)) return;
  jvm.kill('SIGTERM');
  if (await waitForExit(jvm, graceMs)) return;
  await killJava(jvm);
}

/** SIGKILL, as a crash or power loss would end it; resolves when the process is gone. */
export async function killJava(jvm: ChildProcess): Promise<void> {
  if (hasExited(jvm)) return;
  jvm.kill('SIGKILL');
  await waitForExit(jvm, 30_000);
}

/**
 * Stops a JVM known only by pid (one started by another process, e.g. `kafka up --detach`): SIGTERM, then
 * SIGKILL after `graceMs`. Does nothing unless the pid still carries the marker.
 */
export async function stopJavaByPid(
  pid: number,
  marker: string,
  graceMs: number,
): Promise<'stopped' | 'killed' | 'gone'> {
  if (!processHasMarker(pid, marker)) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(200);
    if (!processHasMarker(pid, marker)) return 'stopped';
  }
  process.kill(pid, 'SIGKILL');
  while (processHasMarker(pid, marker)) await sleep(100);
  return 'killed';
}
