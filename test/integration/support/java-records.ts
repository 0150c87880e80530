// Records in and out of Kafka through Kafka's own Java client (RecordTool.java beside this file, run in Java's
// source-file mode with the harness's cached jars): the independent side of byte-for-byte comparisons. No
// georep code and no JavaScript Kafka client is involved.
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killJava, spawnJava } from '../../../harness/java-process.js';
import { ensureKafkaJars } from '../../../harness/kafka-jars.js';
import { type KafkaVersion, kafkaVersionProfile } from '../../../harness/versions.js';
import type { RecordHeader, TimestampType } from '../../../src/kafka/port.js';

const RECORD_TOOL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RecordTool.java');
const TOOL_TIMEOUT_MS = 120_000;
const NULL = '~';

/** A record as Kafka's Java consumer returned it. */
export interface JavaRecord {
  partition: number;
  offset: bigint;
  timestampType: TimestampType;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record for Kafka's Java producer to write. */
export interface JavaRecordToWrite {
  partition: number;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
}

let toolRuns = 0;

async function runRecordTool(
  version: KafkaVersion,
  args: readonly string[],
  input: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const profile = kafkaVersionProfile(version);
  const libsDir = await ensureKafkaJars(version, { signal });
  toolRuns += 1;
  const jvm = spawnJava(
    {
      libsDir,
      mainClass: RECORD_TOOL,
      args,
      heap: { initialMb: 64, maxMb: 256 },
      jvmOptions: [profile.logConfigOption(profile.toolLogConfigFile)],
      marker: `record-tool-p${process.pid}-${toolRuns}`,
    },
    { output: 'pipe', input: input === undefined ? 'ignore' : 'pipe' },
  );
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  jvm.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  jvm.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  if (input !== undefined) jvm.stdin?.end(input);
  const closed = once(jvm, 'close');
  const timeout = AbortSignal.timeout(TOOL_TIMEOUT_MS);
  const stopped = AbortSignal.any([signal, timeout]);
  const onStop = () => void killJava(jvm);
  stopped.addEventListener('abort', onStop, { once: true });
  try {
    await closed;
  } finally {
    stopped.removeEventListener('abort', onStop);
  }
  if (jvm.exitCode !== 0) {
    throw new Error(
      `RecordTool ${args.join(' ')} failed (exit ${jvm.exitCode}, signal ${jvm.signalCode}):\n` +
        Buffer.concat(stderr).toString().slice(-4000),
    );
  }
  return Buffer.concat(stdout).toString();
}

const encode = (bytes: Buffer | null) => (bytes === null ? NULL : bytes.toString('base64'));
const decode = (text: string) => (text === NULL ? null : Buffer.from(text, 'base64'));

function encodeHeaders(headers: readonly RecordHeader[]): string {
  return headers.map((header) => `${encode(header.key)}:${encode(header.value)}`).join(',');
}

function decodeHeaders(text: string): RecordHeader[] {
  if (text === '') return [];
  return text.split(',').map((pair) => {
    const [key = '', value = ''] = pair.split(':');
    return { key: decode(key)!, value: decode(value) };
  });
}

/**
 * Every committed record of `topic` (every record, aborted and open transactions' too, with
 * `isolation: 'read_uncommitted'`), partition by partition in offset order, read with Kafka's Java consumer.
 */
export async function readWithJavaConsumer(options: {
  version: KafkaVersion;
  brokers: readonly string[];
  topic: string;
  signal: AbortSignal;
  isolation?: 'read_committed' | 'read_uncommitted';
}): Promise<JavaRecord[]> {
  const stdout = await runRecordTool(
    options.version,
    ['dump', options.brokers.join(','), options.topic, options.isolation ?? 'read_committed'],
    undefined,
    options.signal,
  );
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [partition, offset, timestampType, timestamp, key, value, headers] = line.split('\t');
      if (headers === undefined) throw new Error(`RecordTool printed an unexpected line: ${line}`);
      return {
        partition: Number(partition),
        offset: BigInt(offset!),
        timestampType: timestampType === 'LogAppendTime' ? 'log-append-time' : 'create-time',
        timestampMs: Number(timestamp),
        key: decode(key!),
        value: decode(value!),
        headers: decodeHeaders(headers),
      };
    });
}

/** A record as a user compares copies: everything but the offset. */
function content(record: JavaRecord): string {
  const bytes = (value: Buffer | null) => (value === null ? '~' : value.toString('base64'));
  const headers = record.headers.map((header) => `${header.key}=${bytes(header.value)}`).join(',');
  return `${bytes(record.key)}|${bytes(record.value)}|${headers}|${record.timestampType}@${record.timestampMs}`;
}

/** The content of each record (all but the offset), per partition 0 … partitions-1, in the order read. */
export function contentByPartition(
  records: readonly JavaRecord[],
  partitions: number,
): Map<number, string[]> {
  const values = new Map<number, string[]>();
  for (let partition = 0; partition < partitions; partition++) values.set(partition, []);
  for (const record of records) values.get(record.partition)?.push(content(record));
  return values;
}

/**
 * Writes records, each to its partition and with its timestamp, with Kafka's Java producer (idempotent,
 * acks=all, linger.ms=50; batch.size `batchBytes`, else Kafka's default of 16 KiB).
 */
export async function writeWithJavaProducer(options: {
  version: KafkaVersion;
  brokers: readonly string[];
  topic: string;
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  records: readonly JavaRecordToWrite[];
  signal: AbortSignal;
  batchBytes?: number;
}): Promise<void> {
  const lines = options.records.map(
    (record) =>
      `${record.partition}\t${record.timestampMs}\t${encode(record.key)}\t${encode(record.value)}\t${encodeHeaders(record.headers)}\n`,
  );
  await runRecordTool(
    options.version,
    [
      'produce',
      options.brokers.join(','),
      options.topic,
      options.compression,
      ...(options.batchBytes === undefined ? [] : [String(options.batchBytes)]),
    ],
    lines.join(''),
    options.signal,
  );
}
