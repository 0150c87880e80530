import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  kafkaVersionFromEnv,
  kafkaVersionProfile,
  testKafkaVersionsFromEnv,
} from '../../harness/versions.js';

describe('Kafka versions of the harness', () => {
  test('GEOREP_KAFKA_VERSION picks one, the 4.1 line by default', () => {
    assert.equal(kafkaVersionFromEnv({}), '4.1.2');
    assert.equal(kafkaVersionFromEnv({ GEOREP_KAFKA_VERSION: '3.9.1' }), '3.9.1');
    assert.throws(
      () => kafkaVersionFromEnv({ GEOREP_KAFKA_VERSION: '4.0' }),
      /GEOREP_KAFKA_VERSION: Kafka version "4.0"/,
    );
  });

  test('suites that cover every version run all of them unless GEOREP_TEST_KAFKA_VERSIONS narrows the list', () => {
    assert.deepEqual(testKafkaVersionsFromEnv({}), ['3.9.1', '4.1.2']);
    assert.deepEqual(testKafkaVersionsFromEnv({ GEOREP_TEST_KAFKA_VERSIONS: ' 4.1.2 ' }), ['4.1.2']);
    assert.throws(() => testKafkaVersionsFromEnv({ GEOREP_TEST_KAFKA_VERSIONS: '3.9.1,9.9.9' }), /9\.9\.9/);
  });

  test('each version names the console producer class its jars contain', () => {
    assert.equal(
      kafkaVersionProfile('3.9.1').toolMainClasses['console-producer'],
      'kafka.tools.ConsoleProducer',
    );
    assert.equal(
      kafkaVersionProfile('4.1.2').toolMainClasses['console-producer'],
      'org.apache.kafka.tools.ConsoleProducer',
    );
  });

  test('each version points its own logging backend at its own file', () => {
    assert.match(
      kafkaVersionProfile('3.9.1').logConfigOption('/x.properties'),
      /^-Dlog4j\.configuration=file:\/x/,
    );
    assert.match(kafkaVersionProfile('4.1.2').logConfigOption('/x.yaml'), /^-Dlog4j2\.configurationFile=\/x/);
  });
});
