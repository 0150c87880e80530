// The parts of the admin adapter that need no broker: topic ids in Kafka's printed form, Kafka's config
// source and group state codes, the platformatic errors the admin meets, and a closed platformatic admin.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError, ResponseError, UserError } from '@platformatic/kafka';
import { configSourceOf, consumerGroupStateOf } from '../../../src/kafka/admin-codes.js';
import { InvalidRequest, TopicNotFound, UnexpectedKafkaError } from '../../../src/kafka/errors.js';
import { PlatformaticAdmin } from '../../../src/kafka/platformatic/admin.js';
import { responseOf, toPortError } from '../../../src/kafka/platformatic/map-error.js';
import { topicIdFromUuid } from '../../../src/kafka/platformatic/metadata.js';

describe('topic ids in the form Kafka prints them', () => {
  const cases: [string | null | undefined, string | null][] = [
    ['f74c1f6d-3c95-4df5-91d9-f8d0e5c3bac9', '90wfbTyVTfWR2fjQ5cO6yQ'],
    ['f74c1f6d3c954df591d9f8d0e5c3bac9', '90wfbTyVTfWR2fjQ5cO6yQ'],
    ['ffffffff-ffff-ffff-ffff-ffffffffffff', '_____________________w'],
    ['00000000-0000-0000-0000-000000000000', null],
    ['orders', null],
    [null, null],
    [undefined, null],
  ];
  for (const [uuid, expected] of cases) {
    test(`${String(uuid)} → ${String(expected)}`, () => {
      assert.equal(topicIdFromUuid(uuid), expected);
    });
  }
});

test("Kafka's config sources and group states map to the port's names", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, undefined].map(configSourceOf), [
    'unknown',
    'topic',
    'dynamic-broker',
    'dynamic-default-broker',
    'static-broker',
    'default',
    'unknown',
    'unknown',
  ]);
  assert.deepEqual(
    ['Empty', 'Stable', 'PreparingRebalance', 'CompletingRebalance', 'Dead', 'Assigning'].map(
      consumerGroupStateOf,
    ),
    ['empty', 'stable', 'preparing-rebalance', 'completing-rebalance', 'dead', 'unknown'],
  );
});

describe('platformatic errors the admin meets', () => {
  const context = { operation: 'fetch offsets of topic orders', topic: 'orders' };

  test("the library's own unknown-topic error is TopicNotFound", () => {
    const error = toPortError(new UserError('Unknown topic orders.'), 'a', context);
    assert.ok(error instanceof TopicNotFound && error.topic === 'orders');
  });

  test("a broker's refusal keeps the broker's message, which names the config", () => {
    const refused = new ResponseError(
      44,
      1,
      { '/responses/0': [40, 'Invalid value abc for configuration retention.ms: Not a number of type LONG'] },
      { responses: [] },
    );
    const error = toPortError(refused, 'a', { operation: 'alter configs of topic orders', topic: 'orders' });
    assert.ok(error instanceof InvalidRequest);
    assert.match(error.message, /INVALID_CONFIG: Invalid value abc for configuration retention\.ms/);
  });

  test('the response a failed request carries is found under the wrapping errors', () => {
    const response = { results: [{ resourceName: 'orders', errorCode: 3 }] };
    const failed = new ResponseError(32, 4, { '/results/0': [3, ''] }, response);
    assert.equal(responseOf(new AggregateError([failed], 'Describing configs failed.')), response);
    assert.equal(responseOf(new ProtocolError(3)), undefined);
  });
});

test('a closed platformatic admin refuses to read metadata rather than connect again', async () => {
  const admin = new PlatformaticAdmin({
    name: 'a',
    bootstrap: ['127.0.0.1:9'],
    tls: null,
    sasl: null,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 1000,
    position: { file: 'test', line: 1, col: 1 },
  });
  await admin.close();
  await assert.rejects(
    admin.listTopics(),
    (error) =>
      error instanceof UnexpectedKafkaError && /list topics: the admin is closed/.test(error.message),
  );
});
