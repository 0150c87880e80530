import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type FetchSession,
  partitionKey,
  type SessionPartition,
  sessionAfter,
  sessionRequest,
} from '../../../src/kafka/platformatic/fetch-session.js';

const at = (topicKey: string, partition: number, offset: bigint, maxBytes = 100): SessionPartition => ({
  topicKey,
  partition,
  offset,
  maxBytes,
});

function holding(id: number, epoch: number, partitions: readonly SessionPartition[]): FetchSession {
  return {
    id,
    epoch,
    partitions: new Map(partitions.map((entry) => [partitionKey(entry.topicKey, entry.partition), entry])),
  };
}

describe('fetch sessions: what a request names', () => {
  const held = holding(7, 3, [at('a', 0, 10n), at('a', 1, 20n), at('b', 0, 5n)]);
  const cases: [string, FetchSession | undefined, SessionPartition[], string[], [string, number[]][]][] = [
    [
      'no session: every partition, opening one',
      undefined,
      [at('a', 0, 10n), at('b', 0, 5n)],
      ['a/0', 'b/0'],
      [],
    ],
    [
      'nothing changed: no partition at all',
      held,
      [at('a', 0, 10n), at('a', 1, 20n), at('b', 0, 5n)],
      [],
      [],
    ],
    [
      'an offset moved: that partition',
      held,
      [at('a', 0, 12n), at('a', 1, 20n), at('b', 0, 5n)],
      ['a/0'],
      [],
    ],
    [
      'its byte limit changed: that partition',
      held,
      [at('a', 0, 10n, 50), at('a', 1, 20n), at('b', 0, 5n)],
      ['a/0'],
      [],
    ],
    [
      'a new partition: named',
      held,
      [at('a', 0, 10n), at('a', 1, 20n), at('b', 0, 5n), at('c', 0, 0n)],
      ['c/0'],
      [],
    ],
    [
      'partitions not wanted now: forgotten, by topic',
      held,
      [at('a', 0, 10n)],
      [],
      [
        ['a', [1]],
        ['b', [0]],
      ],
    ],
    [
      'as many partitions as held, one of them new: the new one named, the one not wanted forgotten',
      held,
      [at('a', 0, 10n), at('a', 1, 20n), at('c', 0, 0n)],
      ['c/0'],
      [['b', [0]]],
    ],
  ];
  for (const [name, session, wanted, named, forgotten] of cases) {
    test(name, () => {
      const request = sessionRequest(session, wanted);
      assert.deepEqual(
        request.partitions.map(({ topicKey, partition }) => `${topicKey}/${partition}`),
        named,
      );
      assert.deepEqual([...request.forget], forgotten);
      assert.deepEqual([request.sessionId, request.epoch], session === undefined ? [0, 0] : [7, 3]);
    });
  }
});

describe('fetch sessions: the session after an answer', () => {
  const wanted = [at('a', 0, 10n), at('b', 0, 5n)];
  test('the opening request answered with a session id: epoch 1, holding what was wanted', () => {
    const session = sessionAfter(undefined, sessionRequest(undefined, wanted), wanted, 42);
    assert.deepEqual(
      [session?.id, session?.epoch, [...(session?.partitions.keys() ?? [])]],
      [42, 1, ['0:a', '0:b']],
    );
  });
  test('each later answer moves the epoch on; after the largest int32 it starts at 1 again', () => {
    const after = (session: FetchSession) =>
      sessionAfter(session, sessionRequest(session, wanted), wanted, 42);
    assert.equal(after(holding(42, 5, wanted))?.epoch, 6);
    assert.equal(after(holding(42, 2 ** 31 - 1, wanted))?.epoch, 1);
  });
  test('a request that named and forgot nothing: the session holds the same partitions, not a copy', () => {
    const session = holding(42, 5, wanted);
    const after = sessionAfter(session, sessionRequest(session, wanted), wanted, 42);
    assert.equal(after?.partitions, session.partitions);
  });
  test('asked again for the very list it was last asked for: nothing named, nothing compared', () => {
    const session = sessionAfter(undefined, sessionRequest(undefined, wanted), wanted, 42)!;
    const request = sessionRequest(session, wanted);
    assert.deepEqual([request.partitions, [...request.forget], request.epoch], [[], [], 1]);
    assert.equal(sessionAfter(session, request, wanted, 42)?.partitions, session.partitions);
  });
  test('a request that named a partition: the session holds what was wanted', () => {
    const session = holding(42, 5, wanted);
    const moved = [at('a', 0, 12n), at('b', 0, 5n)];
    const after = sessionAfter(session, sessionRequest(session, moved), moved, 42);
    assert.deepEqual(
      [...(after?.partitions.values() ?? [])].map(({ topicKey, offset }) => `${topicKey}@${offset}`),
      ['a@12', 'b@5'],
    );
  });
  test('an answer without a session id (the broker keeps none): no session, the next request opens one', () => {
    assert.equal(sessionAfter(undefined, sessionRequest(undefined, wanted), wanted, 0), undefined);
  });
});
