// Records as tests compare them, and the ways tests move them in and out of Kafka: the tools' own
// @platformatic/kafka clients (harness/kafka-writer.ts, harness/kafka-reader.ts) and Kafka's own console
// producer and consumer.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readTopicToEnd } from '../../../harness/kafka-reader.js';
import { runKafkaTool } from '../../../harness/kafka-tools.js';
import { type RecordWriterOptions, recordWriter } from '../../../harness/kafka-writer.js';
import type { KafkaVersion } from '../../../harness/versions.js';

/** A record as a user would check it: text key, value and headers (header values as text). */
export interface TextRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export function uniqueTopicName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

const WORDS = [
  'origin',
  'replica',
  'offset',
  'partition',
  'london',
  'dublin',
  'frankfurt',
  'order',
  'payment',
];

/**
 * `count` records whose values range from a few bytes to a few KiB of text that compresses like real
 * payloads (words, numbers, some randomness). No tabs, newlines, commas or colons, so that they survive the
 * console tools' line format.
 */
export function sampleRecords(count: number, label: string): TextRecord[] {
  return Array.from({ length: count }, (_, index) => {
    const words = Array.from(
      { length: 1 + ((index * 7) % 300) },
      (_, word) => WORDS[(index + word) % WORDS.length],
    );
    return {
      key: `key-${index}`,
      value: `${label} record ${index} ${randomBytes(8).toString('hex')} ${words.join(' ')}`,
      headers: { 'trace-id': `trace-${index}`, source: label },
    };
  });
}

/** Records per produce request of writeWithToolWriter: each request makes one batch in the partition. */
const TOOL_WRITER_RECORDS_PER_SEND = 250;

/**
 * Writes the records in order with the tools' producer, TOOL_WRITER_RECORDS_PER_SEND per request, so that a
 * few hundred records make several batches.
 */
export async function writeWithToolWriter(
  brokers: readonly string[],
  topic: string,
  records: readonly TextRecord[],
  options: RecordWriterOptions = {},
): Promise<void> {
  const writer = recordWriter(brokers, options);
  try {
    for (let start = 0; start < records.length; start += TOOL_WRITER_RECORDS_PER_SEND) {
      await writer.send(
        topic,
        records.slice(start, start + TOOL_WRITER_RECORDS_PER_SEND).map((record) => ({
          key: record.key,
          value: record.value,
          headers: Object.entries(record.headers),
        })),
      );
    }
  } finally {
    await writer.close();
  }
}

/** Reads every record of `topic` (in offset order per partition) with the tools' consumer, in a fresh group. */
export async function readWithToolReader(
  brokers: readonly string[],
  topic: string,
  signal: AbortSignal,
): Promise<TextRecord[]> {
  const records: TextRecord[] = [];
  await readTopicToEnd({
    brokers,
    topic,
    signal,
    onRecord: (record) =>
      records.push({
        key: record.key?.toString() ?? null,
        value: record.value?.toString() ?? null,
        headers: Object.fromEntries(
          record.headers.map(([name, value]) => [name.toString(), value?.toString() ?? 'null']),
        ),
      }),
  });
  return records;
}

export type CompressionCodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Writes records with Kafka's own console producer (one line each: headers, key and value, tab-separated). */
export async function produceWithConsoleProducer(options: {
  version: KafkaVersion;
  brokers: readonly string[];
  topic: string;
  records: readonly TextRecord[];
  compression: CompressionCodecName;
  producerProperties: Readonly<Record<string, string>>;
  signal: AbortSignal;
}): Promise<void> {
  const lines = options.records.map((record) => {
    const headers = Object.entries(record.headers)
      .map(([name, value]) => `${name}:${value}`)
      .join(',');
    return `${headers}\t${record.key}\t${record.value}\n`;
  });
  const producerProperties = Object.entries(options.producerProperties).flatMap(([name, value]) => [
    '--producer-property',
    `${name}=${value}`,
  ]);
  await runKafkaTool({
    version: options.version,
    tool: 'console-producer',
    args: [
      '--bootstrap-server',
      options.brokers.join(','),
      '--topic',
      options.topic,
      // Not compression.type among the producer properties: the tool's own option, default none, wins over it.
      '--compression-codec',
      options.compression,
      ...producerProperties,
      '--property',
      'parse.key=true',
      '--property',
      'parse.headers=true',
    ],
    input: lines.join(''),
    signal: options.signal,
  });
}

/** Reads `count` records from the start of `topic` with Kafka's own console consumer. */
export async function consumeWithConsoleConsumer(options: {
  version: KafkaVersion;
  brokers: readonly string[];
  topic: string;
  count: number;
  signal: AbortSignal;
}): Promise<TextRecord[]> {
  const { stdout } = await runKafkaTool({
    version: options.version,
    tool: 'console-consumer',
    args: [
      '--bootstrap-server',
      options.brokers.join(','),
      '--topic',
      options.topic,
      '--from-beginning',
      '--max-messages',
      String(options.count),
      '--timeout-ms',
      '60000',
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
    ],
    signal: options.signal,
  });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(parseConsoleConsumerLine);
}

/** `name:value,name:value<TAB>key<TAB>value`, where a record without headers shows NO_HEADERS. */
function parseConsoleConsumerLine(line: string): TextRecord {
  const [headerText, key, value] = line.split('\t');
  if (headerText === undefined || key === undefined || value === undefined) {
    throw new Error(`console consumer printed an unexpected line: ${line}`);
  }
  const headers: Record<string, string> = {};
  if (headerText !== 'NO_HEADERS') {
    for (const header of headerText.split(',')) {
      const separator = header.indexOf(':');
      headers[header.slice(0, separator)] = header.slice(separator + 1);
    }
  }
  return { key: key === 'null' ? null : key, value: value === 'null' ? null : value, headers };
}

export interface BatchSummary {
  recordCount: number;
  /** As DumpLogSegments names it: none, gzip, snappy, lz4 or zstd. */
  compression: string;
}

/**
 * The record batches of a partition as stored in the broker's first log segment, read with Kafka's
 * DumpLogSegments: shows which codec really compressed them, whoever wrote them.
 */
export async function batchesInLog(options: {
  version: KafkaVersion;
  dataDir: string;
  topic: string;
  signal: AbortSignal;
}): Promise<BatchSummary[]> {
  const segment = path.join(options.dataDir, `${options.topic}-0`, '00000000000000000000.log');
  const { stdout } = await runKafkaTool({
    version: options.version,
    tool: 'dump-log',
    args: ['--files', segment],
    signal: options.signal,
  });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('baseOffset:'))
    .map((line) => ({
      recordCount: Number(/ count: (\d+)/.exec(line)?.[1]),
      compression: /compresscodec: (\S+)/.exec(line)?.[1] ?? 'unknown',
    }));
}

/** Writes `records` records of `recordBytes` bytes each, uncompressed and as fast as it can, with ProducerPerformance. */
export async function fillWithProducerPerformance(options: {
  readonly version: KafkaVersion;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: number;
  readonly recordBytes: number;
  readonly signal?: AbortSignal;
}): Promise<void> {
  await runKafkaTool({
    version: options.version,
    tool: 'producer-perf',
    args: [
      '--topic',
      options.topic,
      '--num-records',
      String(options.records),
      '--record-size',
      String(options.recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${options.brokers.join(',')}`,
    ],
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}
