// Handing a lane's batches to their flows' handlers: a handler starts in the event loop's turn after the
// dispatch, so that the fetch loop's next request, sent once the answer is taken in, never waits for handlers;
// a batch whose flow gave its batches up before that turn is not handled; handlers are shared out between share
// groups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReadyBatch } from '../../../src/kafka/platformatic/fetch-positions.js';
import { LaneHandlers } from '../../../src/kafka/platformatic/lane-handlers.js';
import type { ConsumedBatch } from '../../../src/kafka/port.js';

function readyBatch(partition: number, topic = 'orders'): ReadyBatch {
  const batch = { topic, partition, records: [], nextOffset: 1n } as unknown as ConsumedBatch;
  return { batch, bytes: 10, group: topic, readyAtMs: 0 };
}

/**
 * Handlers over `ready` (as the fetch loop hands them out: a busy partition's batch stays), of one flow per topic
 * in a share group of its name; noting in `events` what is handled, committed and released.
 */
function handlersOf(
  ready: ReadyBatch[],
  signal: AbortSignal,
  events: string[],
  handle: (batch: ConsumedBatch) => Promise<void> = async () => {},
): LaneHandlers {
  return new LaneHandlers({
    loop: {
      *readyBatches(busy) {
        for (const each of [...ready]) {
          if (busy(each.batch.topic, each.batch.partition, each.group)) continue;
          ready.splice(ready.indexOf(each), 1);
          yield each;
        }
      },
      release: (bytes) => events.push(`release ${bytes}`),
      pump: () => {},
      groupCount: new Set(ready.map((each) => each.group)).size,
    },
    commits: { add: (_topic, partition, offset) => events.push(`commit ${partition}@${offset}`) },
    flowOf: () => ({
      handler: async (batch) => {
        events.push(`handle ${batch.topic === 'orders' ? '' : `${batch.topic} `}${batch.partition}`);
        await handle(batch);
      },
      signal,
      holds: () => true,
    }),
    fail: (_topic, error) => assert.fail(String(error)),
    closed: () => false,
  });
}

test('a dispatched batch is handled in the next turn, its offset committed and its bytes released after', async () => {
  const events: string[] = [];
  const handlers = handlersOf([readyBatch(0), readyBatch(1)], new AbortController().signal, events);
  handlers.dispatch();
  events.push('dispatched');
  await Promise.resolve();
  events.push('microtasks later');
  await handlers.settled('orders');
  assert.deepEqual(events.slice(0, 3), ['dispatched', 'microtasks later', 'handle 0']);
  assert.deepEqual(events.slice(3), ['commit 0@1', 'release 10', 'handle 1', 'commit 1@1', 'release 10']);
});

test('a batch whose flow gave its batches up before its turn came is not handled nor committed; its bytes are released', async () => {
  const events: string[] = [];
  const giveUp = new AbortController();
  const handlers = handlersOf([readyBatch(0)], giveUp.signal, events);
  handlers.dispatch();
  giveUp.abort();
  await handlers.settled('orders');
  assert.deepEqual(events, ['release 10']);
});

test("with every handler busy with one share group's batches, another group's batch is handed out all the same", async () => {
  const events: string[] = [];
  let reachCap = () => {};
  const capReached = new Promise<void>((resolve) => {
    reachCap = resolve;
  });
  // 40 partitions of a replication waiting for its cap, then one of another replication of the lane.
  const ready = [
    ...Array.from({ length: 40 }, (_, partition) => readyBatch(partition, 'capped')),
    readyBatch(0),
  ];
  const handlers = handlersOf(ready, new AbortController().signal, events, (batch) =>
    batch.topic === 'capped' ? capReached : Promise.resolve(),
  );
  handlers.dispatch();
  await handlers.settled('orders');
  assert.ok(events.includes('handle 0'), 'the other group was handled while the capped one waited');
  assert.equal(events.filter((event) => event.startsWith('handle capped')).length, 32);
  reachCap();
  await handlers.settled('capped');
});
