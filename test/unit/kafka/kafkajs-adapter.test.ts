// The parts of the kafkajs adapter that need no broker: client options from the config, scrubbed logs,
// error mapping and the sink's request splitting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { type ClusterConfig, Secret } from '../../../src/config/types.js';
import {
  AuthenticationFailed,
  AuthorizationFailed,
  GroupNotEmpty,
  InvalidRequest,
  type KafkaError,
  RecordTooLarge,
  Retriable,
  TopicNotFound,
  UnexpectedKafkaError,
} from '../../../src/kafka/errors.js';
import { kafkajsConfig, logScrubber, routedLevel } from '../../../src/kafka/kafkajs/client-config.js';
import { loadKafkajs } from '../../../src/kafka/kafkajs/load-kafkajs.js';
import { toPortError } from '../../../src/kafka/kafkajs/map-error.js';
import type { KafkaLogEntry, RecordToWrite } from '../../../src/kafka/port.js';
import { chunksOfAtMost } from '../../../src/kafka/write-chunks.js';

const kafkajs = loadKafkajs();
/** kafkajs's error classes with their runtime constructors (its typings declare fewer parameters). */
const errors = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;
const PASSWORD = 'hunter2-very-secret';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----';

const securedCluster: ClusterConfig = {
  name: 'london',
  bootstrap: ['kafka-lon-1:9093', 'kafka-lon-2:9093'],
  tls: {
    ca: 'CA PEM',
    cert: 'CERT PEM',
    key: new Secret(PRIVATE_KEY, '${file:/etc/georep/key.pem}'),
    rejectUnauthorized: true,
    servername: 'kafka.lon.example',
  },
  sasl: { mechanism: 'scram-sha-512', username: 'georep', password: new Secret(PASSWORD, '${env:PASS}') },
  connectionTimeoutMs: 7000,
  requestTimeoutMs: 45000,
  position: { file: '/etc/georep/geo-replication.yaml', line: 3, col: 3 },
};

describe('kafkajs client options', () => {
  test('carry the bootstrap servers, TLS material, SASL credentials and timeouts of the cluster', () => {
    const config = kafkajsConfig(securedCluster, () => {});
    assert.deepEqual(config.brokers, ['kafka-lon-1:9093', 'kafka-lon-2:9093']);
    assert.equal(config.clientId, 'georep-london');
    assert.deepEqual(config.ssl, {
      rejectUnauthorized: true,
      ca: ['CA PEM'],
      cert: 'CERT PEM',
      key: PRIVATE_KEY,
      servername: 'kafka.lon.example',
    });
    assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'georep', password: PASSWORD });
    assert.equal(config.connectionTimeout, 7000);
    assert.equal(config.requestTimeout, 45000);
  });

  test('use no TLS and no SASL for a plain cluster', () => {
    const config = kafkajsConfig({ ...securedCluster, tls: null, sasl: null }, () => {});
    assert.equal(config.ssl, false);
    assert.equal(config.sasl, undefined);
  });

  test("route kafkajs's log lines to the logger with level, component and fields, secrets removed", () => {
    const entries: KafkaLogEntry[] = [];
    const config = kafkajsConfig(securedCluster, (entry) => entries.push(entry));
    const kafkajsLog = config.logCreator!(kafkajs.logLevel.DEBUG);
    kafkajsLog({
      namespace: 'Connection',
      level: kafkajs.logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '2024-01-01T00:00:00.000Z',
        logger: 'kafkajs',
        message: `SASL failed for password ${PASSWORD}`,
        broker: 'kafka-lon-1:9093',
        request: { payload: Buffer.from(`\0georep\0${PASSWORD}`) },
        error: new Error(`bad key ${PRIVATE_KEY}`),
      },
    });
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.equal(entry!.level, 'error');
    assert.equal(entry!.cluster, 'london');
    assert.equal(entry!.component, 'Connection');
    assert.equal(entry!.message, 'SASL failed for password [secret]');
    assert.equal(entry!.fields.broker, 'kafka-lon-1:9093');
    const printed = JSON.stringify(entry) + inspect(entry, { depth: 10 });
    assert.ok(!printed.includes(PASSWORD), 'no password');
    assert.ok(!printed.includes('MIIEvQ'), 'no private key');
    assert.deepEqual(entry!.fields.request, { payload: `[${PASSWORD.length + 8} bytes]` });
  });

  test('log protocol error responses, which the caller also gets as errors, deliberate choices and retried transients at debug', () => {
    assert.equal(routedLevel('error', 'Response Metadata(key: 3, version: 6)'), 'debug');
    assert.equal(
      routedLevel('warn', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'),
      'debug',
    );
    const busyTransaction =
      'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';
    assert.equal(routedLevel('error', busyTransaction), 'debug', 'a transactional send kafkajs retries');
    assert.equal(routedLevel('error', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'), 'error');
    assert.equal(routedLevel('error', 'Crash: KafkaJSNonRetriableError: the batch handler failed'), 'error');
  });

  test('the scrubber replaces every occurrence of every secret, at any depth', () => {
    const scrub = logScrubber(['abc', 'xyz']);
    assert.deepEqual(scrub({ a: ['abcabc', { b: 'x xyz y' }], n: 3, nil: null }), {
      a: ['[secret][secret]', { b: 'x [secret] y' }],
      n: 3,
      nil: null,
    });
  });
});

describe('kafkajs errors become port errors', () => {
  const context = { operation: 'write to topic orders', topic: 'orders', groupId: 'georep-g' };
  const protocolError = (type: string, retriable: boolean) =>
    new errors.KafkaJSProtocolError!(Object.assign(new Error(`broker said ${type}`), { type, retriable }), {
      retriable,
    });
  const afterRetries = (cause: Error) =>
    new errors.KafkaJSNumberOfRetriesExceeded!(cause, { retryCount: 5, retryTime: 1000 });

  const cases: [string, unknown, new (...args: never[]) => KafkaError][] = [
    ['topic ACL missing', protocolError('TOPIC_AUTHORIZATION_FAILED', false), AuthorizationFailed],
    ['group ACL missing', protocolError('GROUP_AUTHORIZATION_FAILED', false), AuthorizationFailed],
    ['SASL rejected', new errors.KafkaJSSASLAuthenticationError!('SASL SCRAM failed'), AuthenticationFailed],
    [
      'unknown topic, after retries',
      afterRetries(protocolError('UNKNOWN_TOPIC_OR_PARTITION', true)),
      TopicNotFound,
    ],
    ['record too large', protocolError('MESSAGE_TOO_LARGE', false), RecordTooLarge],
    ['bad config value', protocolError('INVALID_CONFIG', false), InvalidRequest],
    ['too few brokers', protocolError('INVALID_REPLICATION_FACTOR', false), InvalidRequest],
    ['group has members', protocolError('NON_EMPTY_GROUP', false), GroupNotEmpty],
    ['connection refused', new errors.KafkaJSConnectionError!('Connection error: ECONNREFUSED'), Retriable],
    [
      'leader moving, after retries',
      afterRetries(protocolError('NOT_LEADER_FOR_PARTITION', true)),
      Retriable,
    ],
    ['request timeout', new errors.KafkaJSRequestTimeoutError!('Request timed out'), Retriable],
    ['fenced by a newer transactional producer', protocolError('INVALID_PRODUCER_EPOCH', false), Retriable],
    [
      'TLS certificate rejected',
      Object.assign(new errors.KafkaJSConnectionError!('self-signed certificate'), {
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      }),
      AuthenticationFailed,
    ],
    ['anything else', new TypeError('boom'), UnexpectedKafkaError],
  ];

  for (const [situation, error, expected] of cases) {
    test(`${situation} → ${expected.name}`, () => {
      const mapped = toPortError(error, 'london', context);
      assert.ok(mapped instanceof expected, `${mapped.name}: ${mapped.message}`);
      assert.equal(mapped.cluster, 'london');
      assert.equal(mapped.cause, error);
      assert.match(mapped.message, /cluster london/);
    });
  }

  test('non-retriable errors say so, transient ones are retriable', () => {
    assert.equal(
      toPortError(protocolError('TOPIC_AUTHORIZATION_FAILED', false), 'c', context).retriable,
      false,
    );
    assert.equal(toPortError(new errors.KafkaJSConnectionError!('down'), 'c', context).retriable, true);
    assert.equal(toPortError(new TypeError('boom'), 'c', context).retriable, false);
  });

  test('a topic-creation failure inside an aggregate error is found', () => {
    const aggregate = new errors.KafkaJSAggregateError!('Topic creation errors', [
      new errors.KafkaJSCreateTopicError!(
        Object.assign(new Error('Invalid config'), { type: 'INVALID_CONFIG', retriable: false }),
        'orders',
      ),
    ]);
    assert.ok(toPortError(aggregate, 'c', context) instanceof InvalidRequest);
  });

  test('a port error passes through unchanged', () => {
    const original = new TopicNotFound('c', 'orders');
    assert.equal(toPortError(original, 'other', context), original);
  });
});

describe('the sink splits a write into requests', () => {
  const record = (valueBytes: number): RecordToWrite => ({
    key: null,
    value: Buffer.alloc(valueBytes),
    headers: [],
    timestampMs: 0,
  });

  test('keeps order and puts as many records as fit into each request', () => {
    const records = [record(400), record(400), record(400), record(100)];
    const chunks = chunksOfAtMost(records, 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [2, 2],
    );
    assert.deepEqual(chunks.flat(), records);
  });

  test('sends a record larger than the limit on its own instead of dropping it', () => {
    const chunks = chunksOfAtMost([record(10), record(5000), record(10)], 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.map((r) => r.value!.length)),
      [[10], [5000], [10]],
    );
  });
});
