// The Metadata v12 answer as georep reads it (metadata.ts): the same values as the library's parser, with the
// error codes of unknown topics and leaderless partitions left in the answer instead of thrown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metadataV12, Reader, ResponseError, Writer } from '@platformatic/kafka';
import { Retriable } from '../../../src/kafka/errors.js';
import { toPortError } from '../../../src/kafka/platformatic/map-error.js';
import { parseMetadataV12, topicError } from '../../../src/kafka/platformatic/metadata.js';

const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LEADER_NOT_AVAILABLE = 5;

interface PartitionAnswer {
  readonly errorCode: number;
  readonly index: number;
  readonly leader: number;
}

/** A Metadata v12 answer's bytes: one broker, then each topic with its error code and partitions. */
function answerBytes(topics: { name: string; errorCode: number; partitions: PartitionAnswer[] }[]): Buffer {
  const nodes = (w: Writer, ids: number[]) =>
    w.appendArray(ids, (entry, id) => entry.appendInt32(id), true, false);
  return Writer.create()
    .appendInt32(0)
    .appendArray([{ id: 1, host: 'localhost', port: 9092 }], (w, broker) =>
      w.appendInt32(broker.id).appendString(broker.host).appendInt32(broker.port).appendString(null),
    )
    .appendString('cluster-a')
    .appendInt32(1)
    .appendArray(topics, (w, topic) => {
      w.appendInt16(topic.errorCode)
        .appendString(topic.name)
        .appendUUID('f74c1f6d-3c95-4df5-91d9-f8d0e5c3bac9')
        .appendBoolean(false)
        .appendArray(topic.partitions, (p, partition) => {
          p.appendInt16(partition.errorCode)
            .appendInt32(partition.index)
            .appendInt32(partition.leader)
            .appendInt32(0);
          nodes(p, [1]);
          nodes(p, [1]);
          nodes(p, []);
        })
        .appendInt32(-2147483648);
    })
    .appendTaggedFields().buffer;
}

const topics = [
  {
    name: 'orders',
    errorCode: 0,
    partitions: [
      { errorCode: 0, index: 0, leader: 1 },
      { errorCode: LEADER_NOT_AVAILABLE, index: 1, leader: -1 },
    ],
  },
  { name: 'not-yet', errorCode: UNKNOWN_TOPIC_OR_PARTITION, partitions: [] },
];

test('reads a Metadata v12 answer as the library does, keeping the error codes in it instead of throwing', () => {
  const bytes = answerBytes(topics);
  let libraryAnswer: unknown;
  try {
    metadataV12.parseResponse(0, 3, 12, Reader.from(bytes));
    assert.fail('the library throws for an unknown topic');
  } catch (error) {
    assert.ok(error instanceof ResponseError);
    libraryAnswer = (error as ResponseError & { response: unknown }).response;
  }
  const answer = parseMetadataV12(0, 3, 12, Reader.from(bytes));
  assert.deepEqual(answer, libraryAnswer);
  assert.deepEqual(
    answer.topics.map((topic) => [topic.name, topic.errorCode, topic.partitions.map((p) => p.errorCode)]),
    [
      ['orders', 0, [0, LEADER_NOT_AVAILABLE]],
      ['not-yet', UNKNOWN_TOPIC_OR_PARTITION, []],
    ],
  );
});

test("a topic's error code in the answer becomes the library's error for it, which maps to the port's", () => {
  const response = parseMetadataV12(
    0,
    3,
    12,
    Reader.from(answerBytes([{ name: 'moving', errorCode: LEADER_NOT_AVAILABLE, partitions: [] }])),
  );
  const error = topicError({ response, version: 12 }, response.topics[0]!);
  const mapped = toPortError(error, 'origin', { operation: 'describe topic moving', topic: 'moving' });
  assert.ok(mapped instanceof Retriable, String(mapped));
});
