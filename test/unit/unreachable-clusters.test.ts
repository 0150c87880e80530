import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnreachableClusters } from '../../src/runtime/unreachable-clusters.js';

test('the origin is named first; each destination partition blocks until its own write is acknowledged', () => {
  const clusters = new UnreachableClusters();
  assert.equal(clusters.blocking(), null);
  clusters.destinationFailed(0, 'produce to broker 2 failed: connection closed');
  clusters.destinationFailed(1, 'no response to produce to broker 2 for 2.0 s');
  clusters.originFailed('fetch from broker 1 failed: connect ECONNREFUSED');
  assert.deepEqual(clusters.blocking(), {
    side: 'origin',
    detail: 'fetch from broker 1 failed: connect ECONNREFUSED',
  });
  clusters.originAnswered();
  assert.equal(clusters.blocking()?.side, 'destination');
  assert.equal(clusters.destinationAnswered(0), true);
  assert.equal(clusters.destinationAnswered(0), false, 'an acknowledgement without a failure before');
  assert.deepEqual(clusters.blocking(), {
    side: 'destination',
    detail: 'no response to produce to broker 2 for 2.0 s',
  });
  clusters.destinationAnswered(1);
  assert.equal(clusters.blocking(), null);
  clusters.originFailed('metadata request failed');
  clusters.clear();
  assert.equal(clusters.blocking(), null);
});
