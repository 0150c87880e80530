// Stopping a flow at an awkward moment: its attempt just failed and the failed consumer is still leaving the
// group. A SIGTERM or a reload can land right there; the stop must end with the flow stopped, never throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimit } from '../../src/kafka/concurrency-limit.js';
import type { KafkaCluster, LaneRecordSource, RecordSink } from '../../src/kafka/port.js';
import { MirrorFlow } from '../../src/runtime/mirror-flow.js';
import {
  oneTopicAdmin as admin,
  ordersFlowSpec,
  quickFlowDependencies,
} from '../support/mirror-flow-fixtures.js';

const spec = ordersFlowSpec;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('a flow stopped while its failed consumer is still leaving the group ends stopped', async () => {
  const running = deferred();
  const leaving = deferred();
  let stopCalls = 0;
  const runCalled = deferred();
  const source: LaneRecordSource = {
    run: () => {
      runCalled.resolve();
      return running.promise;
    },
    pause: () => undefined,
    resume: () => undefined,
    stop: () => {
      stopCalls++;
      return leaving.promise;
    },
    partitionsAdded: async () => undefined,
    fetchedEndOffsets: () => [],
  };
  const origin: KafkaCluster = {
    name: 'a',
    createAdmin: () => admin('orders'),
    createSource: () => {
      throw new Error('a flow reads through its lane');
    },
    createLaneSource: () => source,
    createSink: () => sink,
  };
  const sink: RecordSink = {
    write: async () => [],
    close: async () => undefined,
  };
  const flow = new MirrorFlow(
    spec,
    quickFlowDependencies({
      origin,
      destination: origin,
      originAdmin: admin('orders'),
      destinationAdmin: admin('a.orders'),
      sink,
    }),
  );

  await runCalled.promise;
  running.reject(new Error('the destination went away')); // the attempt fails ...
  await new Promise((resolve) => setImmediate(resolve)); // ... and its consumer starts leaving the group
  assert.equal(stopCalls, 1, 'the failed attempt stops its consumer');

  const stopped = flow.stop(); // SIGTERM lands now
  leaving.resolve(); // the consumer has left
  await stopped;
  assert.equal(flow.status().state, 'stopped');
});

test('a flow stopped while waiting for its turn to prepare ends stopped, without asking the clusters anything', async () => {
  const preparing = new ConcurrencyLimit(1);
  const othersPreparing = deferred();
  void preparing.run(() => othersPreparing.promise); // another flow holds the only turn
  let described = 0;
  const counting = (topic: string) => {
    const admin_ = admin(topic);
    return {
      ...admin_,
      describeTopic: (name: string) => {
        described++;
        return admin_.describeTopic(name);
      },
    };
  };
  const cluster: KafkaCluster = {
    name: 'a',
    createAdmin: () => admin('orders'),
    createSource: () => {
      throw new Error('a flow reads through its lane');
    },
    createLaneSource: () => {
      throw new Error('a flow waiting to prepare reads nothing');
    },
    createSink: () => ({ write: async () => [], close: async () => undefined }),
  };
  const flow = new MirrorFlow(spec, {
    ...quickFlowDependencies({
      origin: cluster,
      destination: cluster,
      originAdmin: counting('orders'),
      destinationAdmin: counting('a.orders'),
      sink: { write: async () => [], close: async () => undefined },
    }),
    preparing,
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(flow.status().state, 'starting');
  await flow.stop();
  assert.equal(flow.status().state, 'stopped');
  othersPreparing.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(described, 0);
});
