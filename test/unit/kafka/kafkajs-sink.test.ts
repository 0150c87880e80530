// The kafkajs sink against a stand-in for kafkajs's producer: what it sends when the destination rejects a
// request as too large. Also: a closed connection is a transient failure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kafka, ProducerRecord } from 'kafkajs';
import { RecordTooLarge, Retriable } from '../../../src/kafka/errors.js';
import { loadKafkajs } from '../../../src/kafka/kafkajs/load-kafkajs.js';
import { toPortError } from '../../../src/kafka/kafkajs/map-error.js';
import { KafkajsSink } from '../../../src/kafka/kafkajs/sink.js';
import type { RecordToWrite } from '../../../src/kafka/port.js';

const kafkajs = loadKafkajs();
const errors = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;
const { GZIP, None } = kafkajs.CompressionTypes;

function tooLargeError(): Error {
  return new errors.KafkaJSProtocolError!({
    message: 'The request included a message larger than the max message size the server will accept',
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
    retriable: false,
  });
}

/** A kafkajs whose producers reject every request that `rejects` says is too large. */
function kafkaRejecting(rejects: (request: ProducerRecord) => boolean) {
  const sent: ProducerRecord[] = [];
  const disconnected: number[] = [];
  let producersMade = 0;
  const kafka = {
    producer: () => {
      const id = ++producersMade;
      return {
        connect: async () => {},
        disconnect: async () => {
          disconnected.push(id);
        },
        send: async (request: ProducerRecord) => {
          sent.push(request);
          if (rejects(request)) throw tooLargeError();
          // What kafkajs resolves with: one entry per partition the broker acknowledged, with the offset of
          // its first record (the stand-in's partitions start at offset 40).
          return request.messages.map((message) => ({
            topicName: request.topic,
            partition: message.partition,
            errorCode: 0,
            baseOffset: '40',
          }));
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, sent, disconnected, producersMade: () => producersMade };
}

/** 3 MB of text that gzip makes small, as a record an origin could only take compressed. */
const compressible: RecordToWrite = {
  key: Buffer.from('order-1'),
  value: Buffer.from('{"status":"shipped"}\n'.repeat(150_000)),
  headers: [],
  timestampMs: 1_700_000_000_000,
};

describe('the kafkajs sink and records too large for the destination uncompressed', () => {
  test('a request rejected as too large is sent once more, gzip-compressed, with the same records', async () => {
    const { kafka, sent } = kafkaRejecting((request) => request.compression !== GZIP);
    const sink = new KafkajsSink(kafka, 'frankfurt', 30_000);
    const written = await sink.write('orders', 2, [compressible]);
    assert.deepEqual(
      sent.map((request) => request.compression),
      [None, GZIP],
    );
    assert.deepEqual(written, [{ firstOffset: 40n, recordCount: 1 }], 'where the resent record landed');
    assert.deepEqual(sent[1]!.messages, sent[0]!.messages);
    assert.equal(sent[1]!.messages[0]!.partition, 2);
  });

  test('the producer, shared by every flow writing to the cluster, stays connected', async () => {
    const { kafka, disconnected, producersMade } = kafkaRejecting(() => true);
    const sink = new KafkajsSink(kafka, 'frankfurt', 30_000);
    await assert.rejects(sink.write('orders', 0, [compressible]), RecordTooLarge);
    assert.deepEqual(disconnected, []);
    assert.equal(producersMade(), 1);
  });

  test('a request still too large compressed fails with RecordTooLarge', async () => {
    const { kafka, sent } = kafkaRejecting(() => true);
    const sink = new KafkajsSink(kafka, 'frankfurt', 30_000);
    await assert.rejects(sink.write('orders', 0, [compressible]), RecordTooLarge);
    assert.equal(sent.length, 2);
  });

  test('a sink that compresses already does not try again', async () => {
    const { kafka, sent } = kafkaRejecting(() => true);
    const sink = new KafkajsSink(kafka, 'frankfurt', 30_000, { compression: 'zstd' });
    await assert.rejects(sink.write('orders', 0, [compressible]), RecordTooLarge);
    assert.equal(sent.length, 1);
  });
});

describe('a write on a connection that closed meanwhile', () => {
  test("is retriable: kafkajs's plain 'Broker not connected' error heals with a new connection", () => {
    const error = toPortError(new Error('Broker not connected'), 'frankfurt', {
      operation: 'write to topic orders',
    });
    assert.ok(error instanceof Retriable, error.constructor.name);
  });
});
