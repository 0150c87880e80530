// The produce-request stand-in (produce-request-patch.ts) is for speed only: it must write exactly the bytes
// kafkajs's own Produce v3 encoder writes with georep's record codec. kafkajs's encoder is compiled here
// from its file a second time, outside the module cache, so that both can be compared.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { loadKafkajs } from '../../../src/kafka/kafkajs/load-kafkajs.js';
import { groupMessagesPerPartition } from '../../../src/kafka/kafkajs/produce-request-patch.js';

const kafkajs = loadKafkajs();
const require = createRequire(import.meta.url);

type ProduceRequest = (input: object) => { encode(): Promise<{ buffer: Buffer }> };
const patchedProduceRequest =
  require('kafkajs/src/protocol/requests/produce/v3/request.js') as ProduceRequest;

function kafkajsOwnProduceRequest(): ProduceRequest {
  const filename = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
  const module = new Module(filename) as Module & { _compile(source: string, filename: string): void };
  module.filename = filename;
  module.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(
    dirname(filename),
  );
  module._compile(readFileSync(filename, 'utf8'), filename);
  return module.exports as ProduceRequest;
}
const kafkajsProduceRequest = kafkajsOwnProduceRequest();

const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: string): object };

function messages(count: number, partition: number) {
  return Array.from({ length: count }, (_, index) => ({
    partition,
    key: index % 3 === 0 ? null : Buffer.from(`key-${index}`),
    value: index % 5 === 0 ? null : Buffer.alloc(100 + index, index),
    headers:
      index % 2 === 0
        ? [
            { key: Buffer.from('b'), value: Buffer.from('1') },
            { key: Buffer.from('a'), value: null },
            { key: Buffer.from('b'), value: Buffer.alloc(0) },
          ]
        : { x: 'one', ü: [Buffer.from('two'), null] },
    // same number of digits: kafkajs sorts timestamps as strings, which then agrees with numbers
    timestamp: String(1_700_000_000_000 + ((index * 7919) % 1000)),
  }));
}

async function bothEncodings(request: object): Promise<[Buffer, Buffer]> {
  const patched = await patchedProduceRequest(request).encode();
  const original = await kafkajsProduceRequest(request).encode();
  return [patched.buffer, original.buffer];
}

describe('the produce-request stand-in', () => {
  test('is the encoder kafkajs uses', () => {
    assert.notEqual(patchedProduceRequest, kafkajsProduceRequest);
    assert.equal(patchedProduceRequest.length, kafkajsProduceRequest.length);
  });

  for (const [name, compression] of [
    ['uncompressed', kafkajs.CompressionTypes.None],
    ['gzip', kafkajs.CompressionTypes.GZIP],
  ] as const) {
    test(`writes the same bytes as kafkajs's encoder: several topics and partitions, ${name}`, async () => {
      const [patched, original] = await bothEncodings({
        acks: -1,
        timeout: 30_000,
        compression,
        producerId: Long.fromValue('123456789012'),
        producerEpoch: 3,
        topicData: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, firstSequence: 17, messages: messages(40, 0) },
              { partition: 5, firstSequence: 0, messages: messages(1, 5) },
            ],
          },
          {
            topic: 'zahlungen.ä',
            partitions: [{ partition: 2, firstSequence: 9, messages: messages(7, 2) }],
          },
        ],
      });
      assert.equal(patched.length, original.length);
      assert.ok(patched.equals(original), 'the request bytes differ');
    });
  }

  test('writes the same bytes for a transactional producer and one without a producer id', async () => {
    for (const request of [
      { transactionalId: 'tx-1', producerId: Long.fromValue('42'), producerEpoch: 1 },
      {},
    ]) {
      const [patched, original] = await bothEncodings({
        acks: 1,
        timeout: 1000,
        topicData: [{ topic: 't', partitions: [{ partition: 1, messages: messages(3, 1) }] }],
        ...request,
      });
      assert.ok(patched.equals(original), `the request bytes differ for ${JSON.stringify(request)}`);
    }
  });

  test('takes the earliest and latest timestamp as numbers, where kafkajs compares them as strings', async () => {
    const request = await patchedProduceRequest({
      acks: -1,
      timeout: 1000,
      topicData: [
        {
          topic: 't',
          partitions: [
            {
              partition: 0,
              messages: ['1000', '999', '5'].map((timestamp) => ({ key: null, value: null, timestamp })),
            },
          ],
        },
      ],
    }).encode();
    const bytes = request.buffer;
    // transactional id (2) acks (2) timeout (4) topics (4) topic (2 + 1) partitions (4) partition (4) size (4)
    const batchAt = 27;
    assert.equal(bytes.readBigInt64BE(batchAt + 27), 5n, 'FirstTimestamp');
    assert.equal(bytes.readBigInt64BE(batchAt + 35), 1000n, 'MaxTimestamp');
  });
});

describe('the message grouping stand-in', () => {
  test('is the one kafkajs uses when georep loaded kafkajs first', () => {
    const grouping = require('kafkajs/src/producer/groupMessagesPerPartition.js') as unknown;
    assert.equal(grouping, groupMessagesPerPartition);
  });

  test('groups messages by the partition the partitioner gives, in order', () => {
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{}, {}],
      messages: [1, 2, 3, 4, 5],
      partitioner: ({ message }) => message % 2,
    });
    assert.deepEqual(grouped, { 0: [2, 4], 1: [1, 3, 5] });
    assert.deepEqual(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [1], partitioner: () => 0 }),
      {},
    );
  });
});
