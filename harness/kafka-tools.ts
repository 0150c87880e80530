// Kafka's own Java tools (console producer and consumer, perf tools, TopicCommand, DumpLogSegments, …) run
// from the same cached jars as the brokers: independent checks that involve none of georep's code.
//
//   const { stdout } = await runKafkaTool({
//     version: '4.1.2', tool: 'topics', args: ['--bootstrap-server', bootstrap, '--list'],
//   });
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { JvmHeap } from './java-process.js';
import { killJava, spawnJava } from './java-process.js';
import { ensureKafkaJars } from './kafka-jars.js';
import {
  type KafkaToolName,
  type KafkaVersion,
  kafkaVersionFromEnv,
  kafkaVersionProfile,
} from './versions.js';

export const DEFAULT_TOOL_HEAP: JvmHeap = { initialMb: 64, maxMb: 256 };
const DEFAULT_TOOL_TIMEOUT_MS = 120_000;

export interface RunKafkaToolOptions {
  /** Default: GEOREP_KAFKA_VERSION, else the current release line. */
  version?: KafkaVersion;
  tool: KafkaToolName;
  args: readonly string[];
  /** Written to the tool's stdin, which is then closed (console producer: one record per line). */
  input?: string | Buffer;
  heap?: JvmHeap;
  /** The JVM is killed and the call rejects after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface KafkaToolResult {
  stdout: string;
  stderr: string;
}

/** Thrown when a tool exits with a non-zero code, is killed, or runs past its time. */
export class KafkaToolError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'KafkaToolError';
  }
}

let toolsStartedByThisProcess = 0;

/** Runs the tool to completion and returns what it printed; rejects unless it exits with code 0. */
export async function runKafkaTool(options: RunKafkaToolOptions): Promise<KafkaToolResult> {
  const version = options.version ?? kafkaVersionFromEnv();
  const profile = kafkaVersionProfile(version);
  const libsDir = await ensureKafkaJars(version, { signal: options.signal });
  options.signal?.throwIfAborted();
  toolsStartedByThisProcess += 1;
  const jvm = spawnJava(
    {
      libsDir,
      mainClass: profile.toolMainClasses[options.tool],
      args: options.args,
      heap: options.heap ?? DEFAULT_TOOL_HEAP,
      jvmOptions: [profile.logConfigOption(profile.toolLogConfigFile)],
      marker: `tool-p${process.pid}-${toolsStartedByThisProcess}`,
    },
    { output: 'pipe', input: options.input === undefined ? 'ignore' : 'pipe' },
  );
  const description = `kafka ${version} ${options.tool} ${options.args.join(' ')}`;
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  jvm.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  jvm.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  if (options.input !== undefined) jvm.stdin?.end(options.input);

  const outcome = await waitForTool(jvm, options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS, options.signal);
  const result = { stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
  if (outcome === 'exited' && jvm.exitCode === 0) return result;
  const why =
    outcome === 'exited'
      ? `exited with code ${jvm.exitCode ?? `null (signal ${jvm.signalCode})`}`
      : outcome === 'timed-out'
        ? `was killed after ${options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS} ms`
        : 'was killed because the caller aborted';
  throw new KafkaToolError(
    `${description} ${why}\n${result.stderr.slice(-4000)}`,
    result.stdout,
    result.stderr,
  );
}

async function waitForTool(
  jvm: ChildProcess,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<'exited' | 'timed-out' | 'aborted'> {
  // 'close' rather than 'exit': stdout and stderr are fully read by then.
  const closed = once(jvm, 'close').then(() => 'exited' as const);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), timeoutMs);
  });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([closed, timedOut, aborted]);
    if (outcome !== 'exited') {
      await killJava(jvm);
      await closed;
    }
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
