import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthenticationFailed,
  AuthorizationFailed,
  OffsetOutOfRange,
  RecordTooLarge,
  Retriable,
  TlsFailed,
  TopicNotFound,
  TopicRecreated,
  UnexpectedKafkaError,
  UnreadableBatch,
} from '../../src/kafka/errors.js';
import { describeFailure, FlowFailure } from '../../src/plan/flow-failure.js';
import type { FlowSpec } from '../../src/plan/flow-spec.js';

const spec = {
  origin: 'london',
  destination: 'frankfurt',
  originTopic: 'orders',
  destinationTopic: 'london.orders',
  restartSettings: {
    consumerGroupId: 'georep.london.frankfurt.orders.london.orders',
    laneGroupId: 'georep.london.frankfurt.prefix',
  },
} as FlowSpec;

const tlsFailed = (code: string) =>
  new TlsFailed('frankfurt', `TLS with broker 10.0.0.7:9093 failed: ${code}: …`, {
    broker: '10.0.0.7:9093',
    code,
  });

const truncated = (requestedOffset: bigint, earliest: bigint, latest: bigint) =>
  new OffsetOutOfRange('london', { topic: 'orders', partition: 2, requestedOffset, earliest, latest });

test('every failure of an attempt gets a reason and whether retrying helps', () => {
  const cases: [string, unknown, string, boolean][] = [
    ['retention overtook the mirror', truncated(10n, 50n, 90n), 'origin-truncated', false],
    [
      'the origin topic was re-created with fewer records',
      truncated(500n, 0n, 90n),
      'origin-truncated',
      false,
    ],
    [
      'a batch on the origin cannot be read',
      new UnreadableBatch(
        'london',
        { topic: 'orders', partition: 2, offset: 70n },
        { cause: new Error('the record batch of offsets 70 to 79 has an unknown codec id 6') },
      ),
      'origin-unreadable',
      false,
    ],
    ['the origin topic is gone', new TopicNotFound('london', 'orders'), 'origin-topic-missing', true],
    [
      'the destination topic is gone',
      new TopicNotFound('frankfurt', 'london.orders'),
      'destination-topic-missing',
      false,
    ],
    [
      'the origin topic was re-created under the running flow',
      new TopicRecreated('london', { topic: 'orders', expectedTopicId: 'OLD', topicId: 'NEW' }),
      'origin-topic-recreated',
      false,
    ],
    [
      'the destination topic was re-created under the running flow',
      new TopicRecreated('frankfurt', { topic: 'london.orders', expectedTopicId: 'OLD', topicId: 'NEW' }),
      'destination-topic-recreated',
      false,
    ],
    ['an ACL is missing', new AuthorizationFailed('london', 'read orders'), 'authorization-failed', false],
    ['the password is wrong', new AuthenticationFailed('frankfurt', 'sasl'), 'authentication-failed', false],
    [
      'the broker certificate is not signed by the configured CA',
      tlsFailed('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      'tls-failed',
      true,
    ],
    ['a record is too large', new RecordTooLarge('frankfurt', 'produce'), 'record-too-large', false],
    ['the origin does not answer', new Retriable('london', 'fetch'), 'origin-unavailable', true],
    [
      'the destination does not answer',
      new Retriable('frankfurt', 'produce'),
      'destination-unavailable',
      true,
    ],
    [
      'something the client could not name',
      new UnexpectedKafkaError('frankfurt', 'odd', false),
      'destination-error',
      false,
    ],
    ['a bug of georep', new TypeError('x is undefined'), 'internal-error', true],
    [
      'a refusal the flow described itself',
      new FlowFailure({ reason: 'progress-lost', retriable: false, message: 'm' }),
      'progress-lost',
      false,
    ],
  ];
  for (const [situation, error, reason, retriable] of cases) {
    const described = describeFailure(error, spec);
    assert.deepEqual([described.reason, described.retriable], [reason, retriable], situation);
  }
});

test('an unreadable batch names partition and offsets, says nothing was skipped, and how to skip it', () => {
  const { message } = describeFailure(
    new UnreadableBatch(
      'london',
      { topic: 'orders', partition: 2, offset: 70n },
      { cause: new Error('the record batch of offsets 70 to 79 has an unknown codec id 6') },
    ),
    spec,
  );
  assert.match(
    message,
    /partition 2 of topic orders cannot be read from offset 70: the record batch of offsets 70 to 79/,
  );
  assert.match(message, /nothing was skipped/);
  assert.match(message, /move .* past its last offset/);
});

test('a record too large for the destination: raise its limit, or keep the origin codec when another is set', () => {
  const tooLarge = new RecordTooLarge('frankfurt', 'produce to london.orders: MESSAGE_TOO_LARGE');
  const asOrigin = {
    ...spec,
    restartSettings: { ...spec.restartSettings, compression: 'origin' },
  } as FlowSpec;
  assert.equal(
    describeFailure(tooLarge, asOrigin).message,
    "produce to london.orders: MESSAGE_TOO_LARGE (cluster frankfurt). Raise max.message.bytes of london.orders on frankfurt (or the broker's message.max.bytes).",
  );
  const uncompressed = {
    ...spec,
    restartSettings: { ...spec.restartSettings, compression: 'none' },
  } as FlowSpec;
  assert.match(
    describeFailure(tooLarge, uncompressed).message,
    /message\.max\.bytes\)\. The origin stored the record with its own codec; with compression: none it may be larger \(compression: origin writes it as the origin did\)\.$/,
  );
});

test('a timestamp the destination topic refuses says which of its configs to raise', () => {
  const refused = new UnexpectedKafkaError(
    'frankfurt',
    'write to topic london.orders: UNKNOWN_SERVER_ERROR: Timestamp 253402300799000 of message with offset 0 is out of range. The timestamp should be within [-9223370240307366176, 1796551009631]',
    false,
  );
  const { reason, message } = describeFailure(refused, spec);
  assert.equal(reason, 'destination-error');
  assert.match(
    message,
    /set message\.timestamp\.after\.max\.ms and message\.timestamp\.before\.max\.ms of london\.orders on frankfurt to 9223372036854775807/,
  );
});

test('a truncated origin says how many records were lost and how to accept the gap', () => {
  const { message } = describeFailure(truncated(10n, 50n, 90n), spec);
  assert.match(message, /deleted 40 records before they were mirrored/);
  assert.match(
    message,
    /move the offsets of orders in consumer group georep\.london\.frankfurt\.prefix on london \(and in georep\.london\.frankfurt\.orders\.london\.orders, the flow's group before lanes, if it still exists; Kafka changes them only while no georep process runs that lane\) to the earliest offset/,
  );
});

test('offsets behind the stored progress are read as a re-created topic, not as retention', () => {
  const { message } = describeFailure(truncated(500n, 0n, 90n), spec);
  assert.match(message, /The origin topic orders was probably deleted and re-created/);
});

test('a TLS failure is retried with the backoff and says what to fix, by the kind of certificate problem', () => {
  const cases: [string, RegExp][] = [
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /not signed by a CA in tls\.ca of frankfurt: .*then reload georep/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /not signed by a CA in tls\.ca of frankfurt/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /does not name the address georep connects to: .*tls\.servername/],
    ['CERT_HAS_EXPIRED', /outside its validity period/],
    ['ECONNRESET', /closed the connection during the TLS handshake: check that this address is a TLS/],
    [
      'ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN',
      /refused georep's client certificate: set tls\.cert and tls\.key of frankfurt/,
    ],
  ];
  for (const [code, advice] of cases) {
    const described = describeFailure(tlsFailed(code), spec);
    assert.equal(described.reason, 'tls-failed', code);
    assert.equal(described.retriable, true, code);
    assert.match(
      described.message,
      new RegExp(`^TLS with broker 10\\.0\\.0\\.7:9093 failed: ${code.replaceAll('/', '\\/')}`),
      code,
    );
    assert.match(described.message, advice, code);
  }
});

test('a topic re-created under a running flow is named with both ids and what to do', () => {
  const error = describeFailure(
    new TopicRecreated('frankfurt', { topic: 'london.orders', expectedTopicId: 'OLD', topicId: 'NEW' }),
    spec,
  );
  assert.match(
    error.message,
    /^topic london\.orders was deleted and re-created: its topic id is now NEW, not OLD \(cluster frankfurt\)\. The records copied before went with the deleted topic.* delete the offsets of orders in consumer group georep\.london\.frankfurt\.prefix on london/,
  );
});

test("an origin topic re-created under a running flow names the topic's lineage in the lane's group and the old one", () => {
  const error = describeFailure(
    new TopicRecreated('london', { topic: 'orders', expectedTopicId: 'OLD', topicId: 'NEW' }),
    spec,
  );
  assert.match(
    error.message,
    /delete the offsets of london\.orders in consumer group georep\.london\.frankfurt\.prefix\.lineage on frankfurt, and in georep\.london\.frankfurt\.orders\.london\.orders\.lineage if it still exists/,
  );
});
