// Records as tests compare them, and the ways tests move them in and out of Kafka: kafkajs through the
// project's client setup (consumeWithKafkajs, for the kafkajs codec tests only; other tests use
// harness/kafka-client.ts), and Kafka's own console producer and consumer.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { runKafkaTool } from '../../../harness/kafka-tools.js';
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

/** Waits until `count` records were read from the start of every partition of `topic`, in a fresh group. */
export async function consumeWithKafkajs(
  kafka: Kafka,
  topic: string,
  count: number,
  signal: AbortSignal,
): Promise<TextRecord[]> {
  const consumer = kafka.consumer({
    groupId: uniqueTopicName('georep-test-group'),
    allowAutoTopicCreation: false,
  });
  const records: TextRecord[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
            records.push({
              key: message.key === null ? null : message.key.toString(),
              value: message.value === null ? null : message.value.toString(),
              headers,
            });
            if (records.length >= count) {
              signal.removeEventListener('abort', onAbort);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return records;
  } finally {
    await consumer.disconnect();
  }
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
