// Kafka's ProducerPerformance and ConsumerPerformance, run from the harness's jars: the ceiling a mirror is
// compared with. A mirror reads like the consumer and writes like the producer, on the same brokers.
import { runKafkaTool } from '../harness/kafka-tools.js';
import type { KafkaVersion } from '../harness/versions.js';

export interface PerfToolResult {
  readonly records: number;
  readonly recordsPerSecond: number;
  /** Kafka's tools print "MB": 2^20 bytes of record values. */
  readonly mibPerSecond: number;
  readonly elapsedMs: number;
  /** The tool's own summary, as printed. */
  readonly summary: string;
}

/** The perf tools buffer whole batches; 512 MiB keeps them clear of garbage-collection stalls. */
const PERF_TOOL_HEAP = { initialMb: 256, maxMb: 512 };

interface PerfToolRun {
  readonly version: KafkaVersion;
  readonly bootstrap: string;
  readonly topic: string;
  readonly records: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Writes `records` records as fast as the producer can (Kafka's default settings, `compression` as its
 * compression.type and `batchBytes` as its batch.size where given), or at `recordsPerSecond`. Each value is
 * `recordBytes` of random letters, or a line of `payloadFile` picked at random (one payload per line).
 */
export async function runProducerPerformance(
  run: PerfToolRun & {
    recordBytes: number;
    payloadFile?: string;
    compression?: string;
    batchBytes?: number | null;
    recordsPerSecond?: number;
  },
): Promise<PerfToolResult> {
  const { stdout } = await runKafkaTool({
    version: run.version,
    tool: 'producer-perf',
    args: [
      '--topic',
      run.topic,
      '--num-records',
      String(run.records),
      ...(run.payloadFile === undefined
        ? ['--record-size', String(run.recordBytes)]
        : ['--payload-file', run.payloadFile]),
      '--throughput',
      String(run.recordsPerSecond ?? -1),
      '--producer-props',
      `bootstrap.servers=${run.bootstrap}`,
      `compression.type=${run.compression ?? 'none'}`,
      ...(run.batchBytes == null ? [] : [`batch.size=${run.batchBytes}`]),
    ],
    heap: PERF_TOOL_HEAP,
    timeoutMs: run.timeoutMs,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  return parseProducerPerformance(stdout);
}

/** Reads `records` records from the beginning of the topic, in a consumer group of its own. */
export async function runConsumerPerformance(run: PerfToolRun): Promise<PerfToolResult> {
  const { stdout } = await runKafkaTool({
    version: run.version,
    tool: 'consumer-perf',
    args: ['--bootstrap-server', run.bootstrap, '--topic', run.topic, '--messages', String(run.records)],
    heap: PERF_TOOL_HEAP,
    timeoutMs: run.timeoutMs,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  return parseConsumerPerformance(stdout);
}

/**
 * ProducerPerformance prints a progress line every 5 s and, last, the summary:
 * `N records sent, R records/sec (M MB/sec), … avg latency, … 99.9th.`
 */
export function parseProducerPerformance(stdout: string): PerfToolResult {
  const summary = stdout
    .trim()
    .split('\n')
    .findLast((line) => line.includes('records sent') && line.includes('99.9th'));
  const match = summary && /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(summary);
  if (!summary || !match) throw new Error(`unexpected ProducerPerformance output:\n${stdout.slice(-2000)}`);
  const records = Number(match[1]);
  const recordsPerSecond = Number(match[2]);
  return {
    records,
    recordsPerSecond,
    mibPerSecond: Number(match[3]),
    elapsedMs: (records / recordsPerSecond) * 1000,
    summary,
  };
}

/**
 * ConsumerPerformance prints a CSV header and one line. Its fetch.* columns leave out the time spent
 * joining the group; those are the ones used, as a mirror's rate is taken over the copy too.
 */
export function parseConsumerPerformance(stdout: string): PerfToolResult {
  const lines = stdout.trim().split('\n');
  const headerIndex = lines.findIndex((line) => line.startsWith('start.time'));
  const header = headerIndex < 0 ? undefined : lines[headerIndex]?.split(',').map((cell) => cell.trim());
  const values = headerIndex < 0 ? undefined : lines[headerIndex + 1]?.split(',').map((cell) => cell.trim());
  const required = ['data.consumed.in.nMsg', 'fetch.nMsg.sec', 'fetch.MB.sec', 'fetch.time.ms'];
  if (header === undefined || values === undefined || required.some((name) => !header.includes(name)))
    throw new Error(`unexpected ConsumerPerformance output:\n${stdout.slice(-2000)}`);
  const column = (name: string) => Number(values[header.indexOf(name)]);
  return {
    records: column('data.consumed.in.nMsg'),
    recordsPerSecond: column('fetch.nMsg.sec'),
    mibPerSecond: column('fetch.MB.sec'),
    elapsedMs: column('fetch.time.ms'),
    summary: `${header.join(', ')}\n${values.join(', ')}`,
  };
}
