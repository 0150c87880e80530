import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { externalClustersFromEnv } from '../../harness/external.js';

describe('external test clusters from GEOREP_TEST_BOOTSTRAP_*', () => {
  test('none given means the harness starts local clusters', () => {
    assert.deepEqual(externalClustersFromEnv({ PATH: '/usr/bin' }), []);
  });

  test('reads clusters A, B, … in order, each a comma-separated broker list', () => {
    const clusters = externalClustersFromEnv({
      GEOREP_TEST_BOOTSTRAP_B: 'kafka-b1:9092, kafka-b2:9092',
      GEOREP_TEST_BOOTSTRAP_A: '127.0.0.1:9092',
    });
    assert.deepEqual(clusters, [
      { name: 'a', brokers: ['127.0.0.1:9092'], source: 'GEOREP_TEST_BOOTSTRAP_A' },
      { name: 'b', brokers: ['kafka-b1:9092', 'kafka-b2:9092'], source: 'GEOREP_TEST_BOOTSTRAP_B' },
    ]);
  });

  test('a gap in the letters is an error that names the missing variable', () => {
    assert.throws(
      () => externalClustersFromEnv({ GEOREP_TEST_BOOTSTRAP_A: 'a:1', GEOREP_TEST_BOOTSTRAP_C: 'c:1' }),
      /GEOREP_TEST_BOOTSTRAP_C is set but GEOREP_TEST_BOOTSTRAP_B is not/,
    );
  });

  test('a broker that is not host:port is an error', () => {
    assert.throws(
      () => externalClustersFromEnv({ GEOREP_TEST_BOOTSTRAP_A: 'kafka-a' }),
      /GEOREP_TEST_BOOTSTRAP_A: "kafka-a" is not host:port/,
    );
  });

  test('an empty variable counts as not set', () => {
    assert.deepEqual(externalClustersFromEnv({ GEOREP_TEST_BOOTSTRAP_A: '' }), []);
  });
});
