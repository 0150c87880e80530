// Authorization failures from @platformatic/kafka become AuthorizationFailed errors that say which ACL is
// missing: the kind of resource (from Kafka's error id), its name (from what georep was doing) and the
// operation the refused request needs (from the request the library names). TLS failures become TlsFailed
// errors with Node's code and words and the broker's address; the error trees are built as the library and
// Node built them against a broker with an SSL listener (test/integration/tls-failures.test.ts).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { MultipleErrors, NetworkError, ResponseError, UserError } from '@platformatic/kafka';
import { AuthorizationFailed, Retriable, TlsFailed } from '../../../src/kafka/errors.js';
import { type ErrorContext, toPortError } from '../../../src/kafka/platformatic/map-error.js';
import { TlsAlerts } from '../../../src/kafka/platformatic/tls-alerts.js';

const API = {
  JoinGroup: 11,
  FindCoordinator: 10,
  TxnOffsetCommit: 28,
  InitProducerId: 22,
  DescribeConfigs: 32,
};
const CODE = { topic: 29, group: 30, cluster: 31, transactionalId: 53 };

function refused(api: number, code: number): Error {
  return new AggregateError([new ResponseError(api, 1, { '': [code, null] }, {})], 'request failed');
}

const context: ErrorContext = {
  operation: 'copy',
  topic: 'orders',
  groupId: 'georep.a.b.orders.a.orders',
  transactionalId: 'georep.a.b.orders.a.orders.eos.3',
};

describe('authorization failures name the missing ACL', () => {
  const cases: { error: Error; message: string }[] = [
    {
      error: refused(API.JoinGroup, CODE.group),
      message:
        'copy: GROUP_AUTHORIZATION_FAILED: no ACL allows Read on group georep.a.b.orders.a.orders (JoinGroup)',
    },
    {
      error: refused(API.FindCoordinator, CODE.group),
      message:
        'copy: GROUP_AUTHORIZATION_FAILED: no ACL allows Describe on group georep.a.b.orders.a.orders (FindCoordinator)',
    },
    {
      error: refused(API.TxnOffsetCommit, CODE.topic),
      message: 'copy: TOPIC_AUTHORIZATION_FAILED: no ACL allows Read on topic orders (TxnOffsetCommit)',
    },
    {
      error: refused(API.InitProducerId, CODE.transactionalId),
      message:
        'copy: TRANSACTIONAL_ID_AUTHORIZATION_FAILED: no ACL allows Write on transactional id ' +
        'georep.a.b.orders.a.orders.eos.3 (InitProducerId)',
    },
    {
      error: refused(API.DescribeConfigs, CODE.topic),
      message:
        'copy: TOPIC_AUTHORIZATION_FAILED: no ACL allows DescribeConfigs on topic orders (DescribeConfigs)',
    },
  ];
  for (const { error, message } of cases) {
    test(message, () => {
      const mapped = toPortError(error, 'origin', context);
      assert.ok(mapped instanceof AuthorizationFailed);
      assert.equal(mapped.retriable, false);
      assert.equal(mapped.message, `${message} (cluster origin)`);
    });
  }

  test('a resource without a name in the context is still named by kind', () => {
    const mapped = toPortError(refused(API.JoinGroup, CODE.group), 'origin', { operation: 'list' });
    assert.equal(
      mapped.message,
      'list: GROUP_AUTHORIZATION_FAILED: no ACL allows Read on a group (JoinGroup) (cluster origin)',
    );
  });

  test('a cluster refusal names the cluster', () => {
    const mapped = toPortError(refused(API.InitProducerId, CODE.cluster), 'b', { operation: 'start' });
    assert.equal(
      mapped.message,
      'start: CLUSTER_AUTHORIZATION_FAILED: no ACL allows IdempotentWrite on the cluster (InitProducerId) (cluster b)',
    );
  });
});

/** As Node's tls reports a certificate problem: an Error with OpenSSL's or Node's code. */
function nodeTlsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** As the library wraps a handshake that failed while connecting to the bootstrap broker. */
function handshakeFailed(cause: Error): Error {
  return new MultipleErrors('Cannot connect to any broker.', [
    new NetworkError('Connection to 127.0.0.1:9093 failed.', { cause }),
  ]);
}

describe('TLS failures are TlsFailed, naming the broker and the certificate problem', () => {
  const cases: { situation: string; error: Error; code: string; message: string }[] = [
    {
      situation: 'the CA in tls.ca did not sign the broker certificate',
      error: handshakeFailed(
        nodeTlsError(
          'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
          'unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca',
        ),
      ),
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      message:
        'list topics: TLS with broker 127.0.0.1:9093 failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate (cluster dst)',
    },
    {
      situation: 'the broker sent a self-signed certificate',
      error: handshakeFailed(nodeTlsError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')),
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      message:
        'list topics: TLS with broker 127.0.0.1:9093 failed: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate (cluster dst)',
    },
    {
      situation: 'the certificate does not name the address',
      error: handshakeFailed(
        nodeTlsError(
          'ERR_TLS_CERT_ALTNAME_INVALID',
          "Hostname/IP does not match certificate's altnames: Host: kafka.example.com. is not in the cert's altnames: IP Address:127.0.0.1, DNS:localhost",
        ),
      ),
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message:
        "list topics: TLS with broker 127.0.0.1:9093 failed: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's " +
        "altnames: Host: kafka.example.com. is not in the cert's altnames: IP Address:127.0.0.1, DNS:localhost (cluster dst)",
    },
    {
      situation: 'the certificate has expired',
      error: handshakeFailed(nodeTlsError('CERT_HAS_EXPIRED', 'certificate has expired')),
      code: 'CERT_HAS_EXPIRED',
      message:
        'list topics: TLS with broker 127.0.0.1:9093 failed: CERT_HAS_EXPIRED: certificate has expired (cluster dst)',
    },
    {
      situation: 'the broker refused the client certificate (an alert, after the handshake)',
      error: new NetworkError('Connection error', {
        cause: nodeTlsError(
          'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
          '40FD8105BE7F0000:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:' +
            '../deps/openssl/openssl/ssl/record/rec_layer_s3.c:918:SSL alert number 42\n',
        ),
      }),
      code: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE',
      message:
        'list topics: TLS with broker (unknown address) failed: ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE: ' +
        'ssl/tls alert bad certificate (TLS alert 42) (cluster dst)',
    },
    {
      situation: 'the address is not a TLS listener: the broker closed the connection at the handshake',
      error: handshakeFailed(
        new UserError('TLS handshake failed. Please verify the broker supports TLS.', {
          cause: nodeTlsError(
            'ECONNRESET',
            'Client network socket disconnected before secure TLS connection was established',
          ),
        }),
      ),
      code: 'ECONNRESET',
      message:
        'list topics: TLS with broker 127.0.0.1:9093 failed: ECONNRESET: Client network socket disconnected ' +
        'before secure TLS connection was established (cluster dst)',
    },
  ];
  for (const { situation, error, code, message } of cases) {
    test(situation, () => {
      const mapped = toPortError(error, 'dst', { operation: 'list topics' });
      assert.ok(mapped instanceof TlsFailed, `${mapped.name}: ${mapped.message}`);
      assert.equal(mapped.code, code);
      assert.equal(mapped.message, message);
    });
  }

  test('a refused connection is no TLS failure', () => {
    const refusedConnection = handshakeFailed(nodeTlsError('ECONNREFUSED', 'connect ECONNREFUSED'));
    assert.ok(toPortError(refusedConnection, 'dst', { operation: 'list topics' }) instanceof Retriable);
  });
});

describe('a connection closed just after a TLS alert from the broker is that alert', () => {
  function connected(alerts: TlsAlerts) {
    const client = new EventEmitter();
    const connection = new EventEmitter();
    alerts.watch(client as never, 'client:broker:connect');
    client.emit('client:broker:connect', { broker: { host: '127.0.0.1', port: 9093 }, connection });
    return connection;
  }

  test('the closed request is reported as the alert, naming the broker', () => {
    const alerts = new TlsAlerts();
    connected(alerts).emit(
      'error',
      new NetworkError('Connection error', {
        cause: nodeTlsError('ERR_SSL_SSL/TLS_ALERT_CERTIFICATE_UNKNOWN', 'ssl/tls alert certificate unknown'),
      }),
    );
    const mapped = toPortError(alerts.explain(new NetworkError('Connection closed')), 'dst', {
      operation: 'list topics',
    });
    assert.ok(mapped instanceof TlsFailed);
    assert.equal(mapped.broker, '127.0.0.1:9093');
    assert.match(mapped.message, /TLS with broker 127\.0\.0\.1:9093 failed: .*alert certificate unknown/);
  });

  test('without an alert, or with an error of another kind, nothing changes', () => {
    const alerts = new TlsAlerts();
    const closed = new NetworkError('Connection closed');
    assert.equal(alerts.explain(closed), closed);
    connected(alerts).emit(
      'error',
      new NetworkError('Connection error', { cause: nodeTlsError('EPIPE', 'x') }),
    );
    assert.equal(alerts.explain(closed), closed);
    connected(alerts).emit(
      'error',
      new NetworkError('Connection error', { cause: nodeTlsError('ERR_SSL_X_ALERT_BAD_CERTIFICATE', 'x') }),
    );
    const timeout = new NetworkError('Connection to 127.0.0.1:9093 timed out.');
    assert.equal(alerts.explain(timeout), timeout);
  });
});
