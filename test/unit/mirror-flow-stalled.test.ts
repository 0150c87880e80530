// A running flow whose origin or destination stops answering shows `stalled` with the cluster and what failed,
// counts it in georep_flow_stalls_total, and is `running` again once that cluster answers; it is not restarted.
// So does an exactly-once flow, whose transactional writes are tried again in place the same way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClaimLost, Retriable } from '../../src/kafka/errors.js';
import type {
  BatchHandler,
  ConsumedBatch,
  KafkaCluster,
  LaneRecordSource,
  RecordSink,
  SourceListener,
  TransactionalSink,
  UnreachableListener,
} from '../../src/kafka/port.js';
import { MirrorFlow } from '../../src/runtime/mirror-flow.js';
import { oneTopicAdmin, ordersFlowSpec, quickFlowDependencies } from '../support/mirror-flow-fixtures.js';

interface Harness {
  readonly flow: MirrorFlow;
  readonly metricsText: () => Promise<string>;
  /** The listener and handler the flow gave its source. */
  readonly source: Promise<{ handler: BatchHandler; listener: SourceListener }>;
  /** Writes wait until the test settles them; each gets the sink's unreachable listener. */
  readonly writes: {
    onUnreachable: UnreachableListener | undefined;
    done: () => void;
    fail: (error: Error) => void;
  }[];
  readonly sourcesMade: () => number;
}

/** `exactlyOnce`: the flow writes through a transactional sink, whose writes the test settles the same way. */
function startFlow({ exactlyOnce = false } = {}): Harness {
  let started!: (value: { handler: BatchHandler; listener: SourceListener }) => void;
  const source = new Promise<{ handler: BatchHandler; listener: SourceListener }>((resolve) => {
    started = resolve;
  });
  let sourcesMade = 0;
  let stopped!: () => void;
  const running = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const recordSource: LaneRecordSource = {
    run: (handler, listener = () => {}) => {
      started({ handler, listener });
      return running; // until stopped
    },
    pause: () => undefined,
    resume: () => undefined,
    stop: async () => stopped(),
    partitionsAdded: async () => undefined,
    fetchedEndOffsets: () => [],
  };
  const writes: Harness['writes'] = [];
  const sink: RecordSink = {
    write: (_topic, _partition, records, options) =>
      new Promise((resolve, reject) =>
        writes.push({
          onUnreachable: options?.onUnreachable,
          done: () => resolve([{ firstOffset: 0n, recordCount: records.length }]),
          fail: reject,
        }),
      ),
    close: async () => undefined,
  };
  const transactions: TransactionalSink = {
    claim: async () => null,
    write: (partition, records, _nextOriginOffset, options) =>
      sink.write('a.orders', partition, records, options),
    release: async () => undefined,
    close: async () => undefined,
  };
  const cluster: KafkaCluster = {
    name: 'a',
    createAdmin: () => oneTopicAdmin('orders', 2),
    createSource: () => {
      throw new Error('a flow reads through its lane');
    },
    createLaneSource: () => {
      sourcesMade++;
      return recordSource;
    },
    createSink: () => sink,
    createTransactionalSink: () => transactions,
  };
  const deps = quickFlowDependencies({
    origin: cluster,
    destination: cluster,
    originAdmin: oneTopicAdmin('orders', 2),
    destinationAdmin: oneTopicAdmin('a.orders', 2),
    sink,
  });
  const { restartSettings } = ordersFlowSpec;
  const delivery = exactlyOnce ? 'exactly-once' : 'at-least-once';
  const flow = new MirrorFlow(
    { ...ordersFlowSpec, partitions: 2, restartSettings: { ...restartSettings, delivery } },
    deps,
  );
  return {
    flow,
    source,
    writes,
    sourcesMade: () => sourcesMade,
    metricsText: async () => (await deps.metrics.exposition()).body,
  };
}

function batch(partition: number): ConsumedBatch {
  return {
    topic: 'orders',
    partition,
    nextOffset: 1n,
    highWatermark: 1n,
    records: [
      {
        partition,
        offset: 0n,
        timestampMs: 0,
        timestampType: 'create-time',
        key: null,
        value: Buffer.from('v'),
        headers: [],
      },
    ],
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries++) {
    if (tries > 300) assert.fail('waited in vain');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('an origin that does not answer stalls the flow, which runs again when a fetch is answered', async () => {
  const { flow, source, metricsText, sourcesMade } = startFlow();
  const { listener } = await source;
  listener({ type: 'assigned', partitions: [0] });
  assert.equal(flow.status().state, 'running');

  listener({ type: 'unreachable', detail: 'no fetch response from broker 1 (127.0.0.1:9001) for 2.0 s' });
  const stalled = flow.status();
  assert.equal(stalled.state, 'stalled');
  assert.deepEqual(stalled.error, {
    reason: 'origin-unavailable',
    retriable: true,
    message: 'origin a does not answer: no fetch response from broker 1 (127.0.0.1:9001) for 2.0 s',
  });
  listener({
    type: 'unreachable',
    detail: 'fetch from broker 1 (127.0.0.1:9001) failed: connect ECONNREFUSED',
  });
  assert.match(flow.status().error?.message ?? '', /ECONNREFUSED/, 'the latest detail is shown');
  assert.match(await metricsText(), /georep_flow_stalls_total\{reason="origin-unavailable"\} 1\n/);

  listener({ type: 'reachable' });
  assert.equal(flow.status().state, 'running');
  assert.equal(flow.status().error, null);
  assert.equal(sourcesMade(), 1, 'the flow was not restarted');
  await flow.stop();
});

test('a destination write being retried stalls the flow until every stalled partition is written', async () => {
  const { flow, source, writes } = startFlow();
  const { handler, listener } = await source;
  listener({ type: 'assigned', partitions: [0, 1] });
  const signal = new AbortController().signal;
  const first = handler(batch(0), signal);
  const second = handler(batch(1), signal);
  await tick();
  assert.equal(writes.length, 2);
  writes[0]!.onUnreachable?.('produce to broker 1 (127.0.0.1:9002) failed: connect ECONNREFUSED');
  writes[1]!.onUnreachable?.('no response to produce to broker 1 (127.0.0.1:9002) for 2.0 s');
  assert.equal(flow.status().state, 'stalled');
  assert.equal(flow.status().error?.reason, 'destination-unavailable');
  assert.match(flow.status().error?.message ?? '', /^destination b does not answer: produce to broker 1/);

  writes[0]!.done();
  await first;
  assert.equal(flow.status().state, 'stalled', 'partition 1 still waits for the destination');
  writes[1]!.done();
  await second;
  assert.equal(flow.status().state, 'running');
  await flow.stop();
});

test('while both clusters do not answer, the origin is named first; then the destination', async () => {
  const { flow, source, writes } = startFlow();
  const { handler, listener } = await source;
  listener({ type: 'assigned', partitions: [0] });
  const written = handler(batch(0), new AbortController().signal);
  await tick();
  writes[0]!.onUnreachable?.('produce to broker 1 (127.0.0.1:9002) failed: connection closed');
  listener({ type: 'unreachable', detail: 'metadata request failed: connect ECONNREFUSED' });
  assert.equal(flow.status().error?.reason, 'origin-unavailable');
  listener({ type: 'reachable' });
  assert.equal(flow.status().state, 'stalled');
  assert.equal(flow.status().error?.reason, 'destination-unavailable');
  writes[0]!.done();
  await written;
  assert.equal(flow.status().state, 'running');
  await flow.stop();
});

test('a write the sink gave up on while the destination is down is tried again in place, not by a restart', async () => {
  const { flow, source, writes, sourcesMade } = startFlow();
  const { handler, listener } = await source;
  listener({ type: 'assigned', partitions: [0] });
  const written = handler(batch(0), new AbortController().signal);
  await tick();
  writes[0]!.fail(new Retriable('b', 'write to topic a.orders: connect ECONNREFUSED 127.0.0.1:9002'));
  await tick();
  assert.equal(flow.status().state, 'stalled');
  assert.match(
    flow.status().error?.message ?? '',
    /^destination b does not answer: write to topic a\.orders/,
  );
  await waitFor(() => writes.length === 2); // the same batch again, after DESTINATION_RETRY_DELAY_MS
  writes[1]!.done();
  await written;
  assert.equal(flow.status().state, 'running');
  assert.equal(sourcesMade(), 1);
  assert.equal(flow.status().failedAttempts, 0);
  await flow.stop();
});

test('an exactly-once write the destination did not answer is tried again in place, the flow stalled meanwhile', async () => {
  const { flow, source, writes, sourcesMade } = startFlow({ exactlyOnce: true });
  const { handler, listener } = await source;
  listener({ type: 'assigned', partitions: [0] });
  const written = handler(batch(0), new AbortController().signal);
  await tick();
  writes[0]!.onUnreachable?.(
    'EndTxn to the transaction coordinator (127.0.0.1:9002) failed: Connection closed',
  );
  assert.equal(flow.status().state, 'stalled');
  assert.match(
    flow.status().error?.message ?? '',
    /^destination b does not answer: EndTxn to the transaction/,
  );
  writes[0]!.fail(new Retriable('b', 'transactional write to a.orders: Connection closed'));
  await waitFor(() => writes.length === 2); // the same transaction again, which the sink settles first
  writes[1]!.done();
  await written;
  assert.equal(flow.status().state, 'running');
  assert.equal(sourcesMade(), 1);
  await flow.stop();
});

test('an exactly-once write whose claim was lost is not tried again in place: the flow claims anew', async () => {
  const { flow, source, writes } = startFlow({ exactlyOnce: true });
  const { handler, listener } = await source;
  listener({ type: 'assigned', partitions: [0] });
  const written = handler(batch(0), new AbortController().signal);
  await tick();
  writes[0]!.fail(new ClaimLost('b', 'transactional write to a.orders: PRODUCER_FENCED'));
  await assert.rejects(written, ClaimLost);
  assert.equal(writes.length, 1, 'not written again by this source');
  assert.equal(flow.status().state, 'running', 'not stalled: the destination answered');
  await flow.stop();
});
