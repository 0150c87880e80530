// Authorization failures from @platformatic/kafka become AuthorizationFailed errors that say which ACL is
// missing: the kind of resource (from Kafka's error id), its name (from what georep was doing) and the
// operation the refused request needs (from the request the library names).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResponseError } from '@platformatic/kafka';
import { AuthorizationFailed } from '../../../src/kafka/errors.js';
import { type ErrorContext, toPortError } from '../../../src/kafka/platformatic/map-error.js';

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
