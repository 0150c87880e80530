import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaClientName } from '../../../src/kafka/client.js';

test('GEOREP_KAFKA_CLIENT chooses the adapter; unset or empty means @platformatic/kafka', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'platformatic'],
    ['', 'platformatic'],
    ['kafkajs', 'kafkajs'],
    ['platformatic', 'platformatic'],
  ];
  for (const [value, expected] of cases) {
    assert.equal(
      kafkaClientName(() => value),
      expected,
    );
  }
});

test('an unknown client name is refused with a short error naming the variable and the choices', () => {
  assert.throws(
    () => kafkaClientName(() => 'librdkafka'),
    /^Error: GEOREP_KAFKA_CLIENT=librdkafka is not one of kafkajs, platformatic$/,
  );
  assert.throws(
    () => kafkaClientName(() => 'x'.repeat(10_000)),
    (error: Error) => error.message.length < 100,
  );
});
