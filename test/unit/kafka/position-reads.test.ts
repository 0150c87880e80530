// The start-position reads of a lane against a scripted consumer: topics asked for at about the same time go
// out in one OffsetFetch or one ListOffsets per timestamp, each caller gets its own topic's offsets, and a
// request failed by one unknown topic is asked again topic by topic, so that only that topic's caller fails.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { coalescedPositionReads } from '../../../src/kafka/platformatic/position-reads.js';

interface Call {
  readonly kind: 'committed' | 'listed';
  readonly topics: Record<string, number[]>;
  readonly timestamp?: bigint;
}

/** Offsets are 100 × partition + topic length (committed) or + 1000 × timestamp (listed); `missing` is unknown. */
function scriptedConsumer(missing = new Set<string>()) {
  const calls: Call[] = [];
  const unknown = (topics: string[]) => {
    const name = topics.find((topic) => missing.has(topic));
    if (name !== undefined)
      throw Object.assign(new Error(`Unknown topic ${name}.`), { code: 'PLT_KFK_USER' });
  };
  const consumer = {
    listCommittedOffsets: async ({ topics }: { topics: { topic: string; partitions: number[] }[] }) => {
      calls.push({
        kind: 'committed',
        topics: Object.fromEntries(topics.map(({ topic, partitions }) => [topic, partitions])),
      });
      unknown(topics.map(({ topic }) => topic));
      return new Map(
        topics.map(({ topic, partitions }) => {
          const offsets: bigint[] = [];
          for (const partition of partitions) offsets[partition] = BigInt(100 * partition + topic.length);
          return [topic, offsets];
        }),
      );
    },
    listOffsets: async (options: {
      topics: string[];
      partitions: Record<string, number[]>;
      timestamp: bigint;
    }) => {
      calls.push({ kind: 'listed', topics: options.partitions, timestamp: options.timestamp });
      unknown(options.topics);
      return new Map(
        options.topics.map((topic) => {
          const offsets: bigint[] = [];
          for (const partition of options.partitions[topic] ?? []) {
            offsets[partition] = BigInt(100 * partition) + 1000n * options.timestamp;
          }
          return [topic, offsets];
        }),
      );
    },
  } as unknown as Consumer;
  return { consumer, calls };
}

describe('the start-position reads of a lane', () => {
  test('topics asked for at about the same time go out in one OffsetFetch; each caller gets its own', async () => {
    const { consumer, calls } = scriptedConsumer();
    const reads = coalescedPositionReads(consumer);
    const [a, b, again] = await Promise.all([
      reads.committed('a', [0, 1]),
      reads.committed('bb', [0]),
      reads.committed('a', [2]),
    ]);
    assert.deepEqual(calls, [{ kind: 'committed', topics: { a: [0, 1, 2], bb: [0] } }]);
    assert.equal(a[1], 101n);
    assert.equal(b[0], 2n);
    assert.equal(again[2], 201n, 'the same topic asked twice: one entry, every partition asked');
  });

  test('ListOffsets go out together per timestamp', async () => {
    const { consumer, calls } = scriptedConsumer();
    const reads = coalescedPositionReads(consumer);
    const [earliest, latest, other] = await Promise.all([
      reads.listed('a', [0], ListOffsetTimestamps.EARLIEST),
      reads.listed('a', [1], ListOffsetTimestamps.LATEST),
      reads.listed('b', [0], ListOffsetTimestamps.EARLIEST),
    ]);
    assert.deepEqual(
      calls.map((call) => [call.timestamp, call.topics]),
      [
        [ListOffsetTimestamps.EARLIEST, { a: [0], b: [0] }],
        [ListOffsetTimestamps.LATEST, { a: [1] }],
      ],
    );
    assert.equal(earliest[0], 1000n * ListOffsetTimestamps.EARLIEST);
    assert.equal(latest[1], 100n + 1000n * ListOffsetTimestamps.LATEST);
    assert.equal(other[0], 1000n * ListOffsetTimestamps.EARLIEST);
  });

  test('a request failed by an unknown topic is asked again topic by topic: only that topic fails', async () => {
    const { consumer, calls } = scriptedConsumer(new Set(['gone']));
    const reads = coalescedPositionReads(consumer);
    const [kept, gone] = await Promise.allSettled([
      reads.committed('kept', [0]),
      reads.committed('gone', [0]),
    ]);
    assert.deepEqual(kept, { status: 'fulfilled', value: [4n] });
    assert.equal(gone.status, 'rejected');
    assert.match(String((gone as PromiseRejectedResult).reason), /Unknown topic gone/);
    assert.equal(calls.length, 3, 'the batch, then each topic alone');
  });
});
