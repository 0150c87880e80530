// The source's commit queue while the origin does not answer: a commit that fails on the network is reported
// and tried again (newer offsets added meanwhile win), for as long as the source runs; it never ends the source.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Consumer } from '@platformatic/kafka';
import { CommitQueue, offsetsByTopic } from '../../../src/kafka/platformatic/commit-queue.js';

function networkError(message: string): Error {
  return Object.assign(new Error(message), { code: 'PLT_KFK_NETWORK' });
}

test('a commit that fails on the network is tried again, with the newest offset of each partition', async () => {
  const attempts: { partition: number; offset: bigint }[][] = [];
  let failuresLeft = 2;
  const consumer = {
    commit: async (request: { offsets: { partition: number; offset: bigint }[] }) => {
      attempts.push(request.offsets.map(({ partition, offset }) => ({ partition, offset })));
      if (failuresLeft-- > 0) throw networkError('connect ECONNREFUSED 127.0.0.1:9001');
    },
  } as unknown as Consumer;
  const committed: string[] = [];
  const unreachable: string[] = [];
  const queue = new CommitQueue(consumer, {
    onCommitted: (offsets) => committed.push(offsets.map((o) => `${o.partition}@${o.offset}`).join(',')),
    onError: (error) => assert.fail(String(error)),
    onUnreachable: (detail) => unreachable.push(detail),
    retryDelayMs: 5,
    retrying: () => true,
  });
  queue.add('orders', 0, 10n);
  queue.add('orders', 1, 20n);
  await new Promise((resolve) => setImmediate(resolve));
  queue.add('orders', 1, 25n); // while the first commit fails: newer than what is retried
  await queue.flush();
  assert.deepEqual(unreachable, [
    'offset commit failed: connect ECONNREFUSED 127.0.0.1:9001',
    'offset commit failed: connect ECONNREFUSED 127.0.0.1:9001',
  ]);
  assert.deepEqual(attempts.at(-1), [
    { partition: 1, offset: 25n },
    { partition: 0, offset: 10n },
  ]);
  assert.deepEqual(committed, ['1@25,0@10']);
});

test('once the source stops, a commit failing on the network is reported as an error instead', async () => {
  const consumer = {
    commit: async () => {
      throw networkError('Connection closed');
    },
  } as unknown as Consumer;
  const errors: unknown[] = [];
  const queue = new CommitQueue(consumer, {
    onCommitted: () => assert.fail('nothing is committed'),
    onError: (error) => errors.push(error),
    onUnreachable: () => assert.fail('not retried'),
    retryDelayMs: 5,
    retrying: () => false,
  });
  queue.add('orders', 0, 1n);
  await queue.flush();
  assert.equal(errors.length, 1);
});

test('a commit carries the offsets of every topic added while the one before was in flight (a lane commits for all its flows)', async () => {
  const requests: string[][] = [];
  const consumer = {
    commit: async (request: { offsets: { topic: string; partition: number; offset: bigint }[] }) => {
      requests.push(
        request.offsets.map(({ topic, partition, offset }) => `${topic}[${partition}]@${offset}`),
      );
    },
  } as unknown as Consumer;
  const queue = new CommitQueue(consumer, {
    onCommitted: () => {},
    onError: (error) => assert.fail(String(error)),
    onUnreachable: () => {},
    retryDelayMs: 5,
    retrying: () => true,
  });
  queue.add('orders', 0, 10n);
  queue.add('payments', 0, 3n);
  queue.add('orders', 0, 12n);
  await queue.flush();
  // The first add commits at once; what is added while it is in flight goes in the next one, together.
  assert.deepEqual(requests, [['orders[0]@10'], ['payments[0]@3', 'orders[0]@12']]);
});

test('a commit is told to each topic with its own offsets, in the order committed', () => {
  const byTopic = offsetsByTopic([
    { topic: 'a', partition: 1, offset: 10n },
    { topic: 'b', partition: 0, offset: 3n },
    { topic: 'a', partition: 0, offset: 7n },
  ]);
  assert.deepEqual(
    [...byTopic],
    [
      [
        'a',
        [
          { partition: 1, offset: 10n },
          { partition: 0, offset: 7n },
        ],
      ],
      ['b', [{ partition: 0, offset: 3n }]],
    ],
  );
});
