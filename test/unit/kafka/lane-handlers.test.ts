// Handing a lane's batches to their flows' handlers: a handler starts in the event loop's turn after the
// dispatch, so that the fetch loop's next request, sent once the answer is taken in, never waits for handlers;
// a batch whose flow gave its batches up before that turn is not handled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReadyBatch } from '../../../src/kafka/platformatic/fetch-positions.js';
import { LaneHandlers } from '../../../src/kafka/platformatic/lane-handlers.js';
import type { ConsumedBatch } from '../../../src/kafka/port.js';

function readyBatch(partition: number): ReadyBatch {
  const batch = { topic: 'orders', partition, records: [], nextOffset: 1n } as unknown as ConsumedBatch;
  return { batch, bytes: 10 };
}

/** Handlers of one flow over `ready`, noting in `events` what is handled, committed and released. */
function handlersOf(ready: ReadyBatch[], signal: AbortSignal, events: string[]): LaneHandlers {
  return new LaneHandlers({
    loop: {
      *readyBatches() {
        yield* ready.splice(0);
      },
      release: (bytes) => events.push(`release ${bytes}`),
      pump: () => {},
    },
    commits: { add: (_topic, partition, offset) => events.push(`commit ${partition}@${offset}`) },
    flowOf: () => ({
      handler: async (batch) => {
        events.push(`handle ${batch.partition}`);
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
