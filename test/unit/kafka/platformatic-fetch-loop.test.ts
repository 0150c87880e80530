// The fetch loop of the @platformatic/kafka source against a scripted fetcher: it never holds or asks for more
// bytes than its budget, one request per broker, pausing throws away what was fetched ahead (and the answer to
// a request in flight), fetches of markers only move the group's offset without a batch, and a broker that fails
// on the network or stays silent is reported at once and tried again for as long as it lasts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FetchLoop, type FetchLoopEvents } from '../../../src/kafka/platformatic/fetch-loop.js';
import type {
  FetchedPartition,
  FetchLayout,
  PartitionFetch,
  PartitionFetcher,
} from '../../../src/kafka/platformatic/partition-fetcher.js';
import type { ConsumedRecord } from '../../../src/kafka/port.js';

interface SentRequest {
  readonly broker: number;
  readonly partitions: readonly PartitionFetch[];
  readonly maxBytes: number;
  /** undefined: the fetcher's own. */
  readonly maxWaitMs: number | undefined;
  answer(fetched: FetchedPartition[]): Promise<void>;
  fail(error: Error): Promise<void>;
}

/**
 * A fetcher whose requests wait until the test answers them; partitions 0–1 on broker 1, 2–3 on broker 2, for
 * `topic`, `other` and `third` alike.
 */
function scriptedFetcher() {
  const brokers = new Map([
    [1, { host: '127.0.0.1', port: 9001 }],
    [2, { host: '127.0.0.1', port: 9002 }],
  ]);
  const layout = {
    leaders: new Map([
      ['topic', [1, 1, 2, 2]],
      ['other', [1, 1, 2, 2]],
      ['third', [1, 1, 2, 2]],
    ]),
    topicIds: new Map(),
    brokers,
  } as unknown as FetchLayout;
  const sent: SentRequest[] = [];
  const fetcher = {
    layout: async () => layout,
    fetch: (
      _layout: FetchLayout,
      broker: number,
      partitions: readonly PartitionFetch[],
      maxBytes: number,
      maxWaitMs?: number,
    ) =>
      new Promise<FetchedPartition[]>((resolve, reject) => {
        const settled = () => new Promise((done) => setImmediate(done)); // the loop takes the answer in
        sent.push({
          broker,
          partitions,
          maxBytes,
          maxWaitMs,
          answer: async (fetched) => {
            resolve(fetched);
            await settled();
          },
          fail: async (error) => {
            reject(error);
            await settled();
          },
        });
      }),
  } as unknown as PartitionFetcher;
  return { fetcher, layout, sent };
}

function read(
  partition: number,
  fetchOffset: bigint,
  count: number,
  bytes: number,
  nextOffset = fetchOffset + BigInt(count),
  topic = 'topic',
): FetchedPartition {
  const records = Array.from(
    { length: count },
    (_, index): ConsumedRecord => ({
      partition,
      offset: fetchOffset + BigInt(index),
      timestampMs: 0,
      timestampType: 'create-time',
      key: null,
      value: Buffer.from('v'),
      headers: [],
    }),
  );
  return {
    kind: 'read',
    topic,
    partition,
    fetchOffset,
    read: { records, nextOffset, bytes, receivedBytes: bytes },
    highWatermark: 100n,
    lastStableOffset: 100n,
  };
}

/** The answer reached the partition's last stable offset: nothing more to read there for now. */
function caughtUp(fetched: FetchedPartition): FetchedPartition {
  if (fetched.kind !== 'read') return fetched;
  const end = fetched.read.nextOffset;
  return { ...fetched, highWatermark: end, lastStableOffset: end };
}

function loopOver(
  partitions: readonly number[],
  events: Partial<FetchLoopEvents> = {},
  limits: { silentAfterMs?: number; bytesPerRoundTripSecond?: number } = {},
) {
  const { fetcher, layout, sent } = scriptedFetcher();
  const skipped: [number, bigint][] = [];
  const loop = new FetchLoop(
    fetcher,
    layout,
    {
      budget: {
        maxBytesPerFetch: 100,
        maxBytesPerPartition: 50,
        baseBytes: 200,
        bytesPerRoundTripSecond: limits.bytesPerRoundTripSecond ?? 0,
        nearRoundTripMs: 0,
        maxBytes: 400,
        firstHeldPerReceivedByte: 1,
      },
      fetchAttempts: 3,
      retryDelayMs: 1,
      heldBackWait: { minMs: 25, perHeldMs: 0.25, maxMs: 100 },
      silentAfterMs: limits.silentAfterMs ?? 60_000,
      minTransferBytesPerSecond: 10_000, // 100 bytes: 10 ms
    },
    {
      canFetch: () => true,
      onReady: () => {},
      onSkipped: (_topic, partition, offset) => skipped.push([partition, offset]),
      onStopped: (stopped) => assert.fail(`no partition stops here: ${stopped.kind}`),
      onFailure: (error) => assert.fail(String(error)),
      isTransient: () => true,
      onUnreachable: () => {},
      onAnswered: () => {},
      ...events,
    },
  );
  loop.assign('topic', partitions);
  for (const partition of partitions) loop.start('topic', partition, 0n);
  return { loop, sent, skipped };
}

const takeAll = (loop: FetchLoop) => [...loop.readyBatches(() => false)];

describe('the platformatic source fetch loop', () => {
  test("a partition whose batch cannot be read is reported stopped; the answer's other partitions are taken in and handed on", async () => {
    const stopped: unknown[] = [];
    let readyCalls = 0;
    const { loop, sent } = loopOver([0, 1, 2], {
      onStopped: (partition) => stopped.push(partition),
      onReady: () => {
        readyCalls += 1;
      },
    });
    loop.pump();
    const unreadable: FetchedPartition = {
      kind: 'unreadable',
      topic: 'topic',
      partition: 1,
      fetchOffset: 0n,
      error: new Error('the record batch of offsets 0 to 4 has an unknown codec id 6'),
    };
    await sent[0]!.answer([read(0, 0n, 5, 40), unreadable]);
    assert.deepEqual(stopped, [unreadable]);
    assert.equal(readyCalls, 1, 'the batch of partition 0 is announced');
    assert.deepEqual(
      takeAll(loop).map((ready) => ready.batch.partition),
      [0],
    );
    await sent[1]!.answer([read(2, 0n, 5, 40)]);
    assert.deepEqual(
      takeAll(loop).map((ready) => ready.batch.partition),
      [2],
      'the other broker goes on',
    );
    assert.equal(stopped.length, 1, 'reported once');
  });

  test('one request per broker, covering its partitions, each at most its share', () => {
    const { loop, sent } = loopOver([0, 1, 2, 3]);
    loop.pump();
    assert.deepEqual(
      sent.map((request) => [request.broker, request.partitions.map((entry) => entry.partition).sort()]),
      [
        [1, [0, 1]],
        [2, [2, 3]],
      ],
    );
    assert.ok(sent.every((request) => request.partitions.every((entry) => entry.maxBytes === 50)));
    loop.pump();
    assert.equal(sent.length, 2, 'no second request to a broker while one is in flight');
  });

  test('asks for no more bytes than the budget leaves, and for nothing until the handler releases some', async () => {
    const { loop, sent } = loopOver([0, 1, 2, 3]);
    loop.pump();
    assert.deepEqual(
      sent.map((request) => request.maxBytes),
      [100, 100],
      'a fetch each: the whole budget of 200 is reserved',
    );
    await sent[0]!.answer([read(0, 0n, 5, 60), read(1, 0n, 5, 40)]);
    await sent[1]!.answer([read(2, 0n, 5, 60)]);
    assert.equal(sent.length, 2, 'partition 3 waits: 160 bytes held leave less than its share of 50');
    assert.deepEqual(
      takeAll(loop).map((ready) => ready.batch.partition),
      [0, 1, 2],
    );
    loop.pump();
    assert.equal(sent.length, 2, 'batches in the handler still count');
    loop.release(60);
    loop.pump();
    assert.deepEqual(
      sent.slice(2).map((request) => [request.broker, request.maxBytes]),
      [[1, 100]],
      'the room released (200 - 100 held) goes to the first broker; the second waits for more',
    );
  });

  test("in a lane of two share groups, one group's batches held in the handler do not keep the other's from being fetched", async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.setGroup('topic', 'capped');
    loop.assign('other', [0]);
    loop.start('other', 0, 0n);
    loop.setGroup('other', 'open');
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 5, 100), read(1, 0n, 5, 100)]);
    takeAll(loop); // in the handler, waiting for the cap: the whole budget of 200
    loop.pump();
    assert.deepEqual(
      sent
        .slice(1)
        .map((request) => [request.broker, request.partitions.map((entry) => entry.topic), request.maxBytes]),
      [[1, ['other'], 100]],
      "the open group holds nothing of its share (half the budget): its partition is fetched, the capped group's not",
    );
    await sent[1]!.answer([read(0, 0n, 5, 100, 5n, 'other')]);
    loop.pump();
    assert.equal(sent.length, 2, 'both groups hold their share or more: nothing more until some is released');
    loop.release(100, 'capped');
    loop.release(100, 'capped');
    loop.pump();
    assert.equal(sent.length, 3, 'room again in the budget as a whole');
  });

  test("a share group's request is its own, sized to its room: another group's crumbs of room do not shrink or stop it", async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.setGroup('topic', 'capped');
    for (const [topic, group] of [
      ['other', 'slow'],
      ['third', 'open'],
    ] as const) {
      loop.assign(topic, [0]);
      loop.start(topic, 0, 0n);
      loop.setGroup(topic, group);
    }
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 5, 100), read(1, 0n, 5, 100)]);
    takeAll(loop); // the whole budget of 200, in the handler
    loop.pump();
    // A share is 200 / 3 groups: the first of the two groups with all of theirs left asks alone.
    assert.deepEqual(
      sent.slice(1).map((request) => [request.partitions.map((entry) => entry.topic), request.maxBytes]),
      [[['other'], 66]],
    );
    await sent[1]!.answer([read(0, 0n, 5, 60, 5n, 'other')]);
    takeAll(loop);
    loop.pump();
    assert.deepEqual(
      sent.slice(2).map((request) => [request.partitions.map((entry) => entry.topic), request.maxBytes]),
      [[['third'], 66]],
      'the slow group has 6 bytes of its share left, too few for a request; the open group asks for all of its own',
    );
  });

  test("a share group's requests in flight count in its share: it is not given its whole room at each broker", async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.setGroup('topic', 'capped');
    loop.assign('other', [0, 2]);
    for (const partition of [0, 2]) loop.start('other', partition, 0n);
    loop.setGroup('other', 'open');
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 5, 100), read(1, 0n, 5, 100)]);
    await sent[1]!.answer([]);
    takeAll(loop);
    loop.pump();
    assert.deepEqual(
      sent.slice(2).map((request) => [request.broker, request.partitions.map((entry) => entry.partition)]),
      [[1, [0]]],
      "the open group's share of 100 is asked for at broker 1; broker 2 waits for what that brings",
    );
  });

  test('across a long round trip more is fetched ahead: the budget grows by the round trip of fetches answered at once', async () => {
    // 10,000 bytes per second of round trip: 30 ms and more make the budget its maximum, 400.
    const { loop, sent } = loopOver([0, 1], {}, { bytesPerRoundTripSecond: 10_000 });
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 5, 50), read(1, 0n, 5, 50)]);
    takeAll(loop);
    loop.pump();
    assert.deepEqual(
      sent[1]?.partitions.map((entry) => entry.offset),
      [5n, 5n],
      'records were left below the last stable offset: the broker answers at once',
    );
    await sleep(40);
    await sent[1]!.answer([read(0, 5n, 5, 50), read(1, 5n, 5, 50)]);
    takeAll(loop);
    loop.pump();
    assert.equal(
      sent[2]?.maxBytes,
      100,
      'with 200 bytes in the handler, a budget of 200 would leave no room; a round trip of 40 ms leaves 200',
    );
  });

  test('a partition behind is not fetched while a batch of it waits for the handler; the next fetch starts past it', async () => {
    const { loop, sent } = loopOver([0]);
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 3, 10)]);
    loop.pump();
    assert.equal(
      sent.length,
      1,
      'records wait below the last stable offset: reading ahead only holds memory',
    );
    assert.equal(takeAll(loop)[0]?.batch.nextOffset, 3n);
    loop.pump();
    assert.deepEqual(sent[1]?.partitions, [{ topic: 'topic', partition: 0, offset: 3n, maxBytes: 50 }]);
  });

  test('the next request leaves before the turn in which the batches just handed out are handled, and asks for them', async () => {
    let handing: FetchLoop | undefined;
    const sentWhenHandled: number[] = [];
    const { loop, sent } = loopOver([0], {
      onReady: () => {
        takeAll(handing!); // as the handlers' dispatch does; their work starts in the next turn
        setImmediate(() => sentWhenHandled.push(sent.length));
      },
    });
    handing = loop;
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 3, 10)]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sentWhenHandled, [2], 'the second request was out when handling started');
    assert.deepEqual(sent[1]?.partitions, [{ topic: 'topic', partition: 0, offset: 3n, maxBytes: 50 }]);
  });

  test("a request that leaves out a partition whose batch waits for the handler waits at the broker only briefly: that partition's next records wait for its answer", async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.pump();
    assert.equal(sent[0]?.maxWaitMs, undefined, "nothing left out: the fetcher's own max wait");
    await sent[0]!.answer([read(0, 0n, 3, 10)]);
    assert.deepEqual(
      sent[1]?.partitions.map((entry) => entry.partition),
      [1],
      'partition 0 is behind and its batch waits: left out',
    );
    assert.equal(sent[1]?.maxWaitMs, 25);
    takeAll(loop);
    await sent[1]!.answer([]);
    assert.deepEqual(sent[2]?.partitions.map((entry) => entry.partition).sort(), [0, 1]);
    assert.equal(sent[2]?.maxWaitMs, undefined, 'none left out again');
  });

  test('the longer a batch waits for the handler (held by a bandwidth cap), the longer the requests leaving its partition out wait', async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 3, 10)]);
    assert.equal(sent[1]?.maxWaitMs, 25, 'just held back: a short wait');
    await sleep(200);
    await sent[1]!.answer([]);
    assert.ok((sent[2]?.maxWaitMs ?? 0) >= 50, `held 200 ms: a quarter of it, not ${sent[2]?.maxWaitMs} ms`);
    await sleep(250);
    await sent[2]!.answer([]);
    assert.equal(sent[3]?.maxWaitMs, undefined, "held 450 ms: the fetcher's own max wait (100 ms here)");
    takeAll(loop);
    await sent[3]!.answer([]);
    assert.deepEqual(sent[4]?.partitions.map((entry) => entry.partition).sort(), [0, 1]);
  });

  test('a partition that caught up is fetched on while one batch of it waits for the handler, not while two do; batches come in order', async () => {
    const { loop, sent } = loopOver([0]);
    loop.pump();
    await sent[0]!.answer([caughtUp(read(0, 0n, 3, 10))]);
    assert.deepEqual(
      sent[1]?.partitions,
      [{ topic: 'topic', partition: 0, offset: 3n, maxBytes: 50 }],
      'in the next request to its broker, without waiting for its batch to be taken',
    );
    await sent[1]!.answer([caughtUp(read(0, 3n, 2, 10))]);
    loop.pump();
    assert.equal(sent.length, 2, 'no fetch while two batches of the partition wait for the handler');
    const busy = new Set<number>();
    const takeOne = () => [...loop.readyBatches((_topic, partition) => busy.has(partition))];
    const first = takeOne();
    assert.deepEqual(
      first.map((ready) => ready.batch.nextOffset),
      [3n],
      'one batch of a partition at a time, the oldest',
    );
    busy.add(0);
    assert.deepEqual(takeOne(), [], 'none while the partition is in the handler');
    loop.pump();
    assert.equal(sent[2]?.partitions[0]?.offset, 5n, 'one batch waiting again: fetched on');
    busy.delete(0);
    assert.deepEqual(
      takeOne().map((ready) => ready.batch.nextOffset),
      [5n],
    );
  });

  test('markers fetched past a batch still waiting move its offset to commit, so they are never committed before its records', async () => {
    const { loop, sent, skipped } = loopOver([0]);
    loop.pump();
    await sent[0]!.answer([caughtUp(read(0, 0n, 3, 10))]);
    await sent[1]!.answer([caughtUp(read(0, 3n, 0, 0, 5n))]);
    assert.deepEqual(skipped, [], 'nothing committed past a batch not yet written');
    assert.deepEqual(
      takeAll(loop).map((ready) => [ready.batch.records.length, ready.batch.nextOffset]),
      [[3, 5n]],
    );
    assert.equal(sent[2]?.partitions[0]?.offset, 5n);
  });

  test('a rewind throws away what was fetched ahead and the answer in flight; fetching starts past the last batch taken', async () => {
    const { loop, sent } = loopOver([0]);
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 3, 10)]);
    assert.equal(takeAll(loop).length, 1, 'handed on up to offset 3');
    loop.pump();
    await sent[1]!.answer([caughtUp(read(0, 3n, 2, 10))]);
    assert.equal(sent[2]?.partitions[0]?.offset, 5n, 'in flight past the batch fetched ahead');
    loop.rewind();
    assert.deepEqual(takeAll(loop), [], 'nothing fetched ahead is handed on after a rewind');
    await sent[2]!.answer([read(0, 5n, 2, 10)]);
    assert.deepEqual(takeAll(loop), [], 'the answer to a request sent before the rewind is ignored');
    assert.deepEqual(sent[3]?.partitions, [{ topic: 'topic', partition: 0, offset: 3n, maxBytes: 50 }]);
  });

  test("the answers tell each partition's end; one that leaves a partition out (nothing moved) keeps its end fresh", async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.pump();
    assert.deepEqual(loop.fetchedEnds('topic'), [], 'nothing is known before an answer');
    await sent[0]!.answer([caughtUp(read(0, 0n, 5, 10)), caughtUp(read(1, 0n, 3, 10))]);
    const ends = () =>
      loop.fetchedEnds('topic').map(({ partition, lastStableOffset }) => [partition, lastStableOffset]);
    assert.deepEqual(ends(), [
      [0, 5n],
      [1, 3n],
    ]);
    takeAll(loop);
    loop.pump();
    await sleep(100);
    // The broker's incremental fetch session leaves out the partitions whose offsets did not move.
    await sent[1]!.answer([]);
    assert.deepEqual(ends(), [
      [0, 5n],
      [1, 3n],
    ]);
    assert.ok(
      loop.fetchedEnds('topic').every(({ ageMs }) => ageMs < 100),
      'as of the last answer, not the one that told them',
    );
    loop.assign('topic', []);
    assert.deepEqual(loop.fetchedEnds('topic'), [], 'a partition let go is not known');
  });

  test('a partition answered with an error, or whose fetched data was thrown away meanwhile, has no end known', async () => {
    const { loop, sent } = loopOver([0, 1]);
    loop.pump();
    await sent[0]!.answer([caughtUp(read(0, 0n, 5, 10)), caughtUp(read(1, 0n, 3, 10))]);
    takeAll(loop);
    loop.pump();
    await sent[1]!.answer([
      { kind: 'retry', topic: 'topic', partition: 0, error: new Error('NOT_LEADER_OR_FOLLOWER') },
    ]);
    assert.deepEqual(
      loop.fetchedEnds('topic').map(({ partition }) => partition),
      [1],
    );
    await waitFor(() => sent.length === 3);
    loop.rewind();
    await sent[2]!.answer([]);
    assert.deepEqual(loop.fetchedEnds('topic'), [], 'its answer may have told a new end, ignored');
  });

  test('a fetch of markers or aborted records only is no batch, but moves the offset past them', async () => {
    const { loop, sent, skipped } = loopOver([0]);
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 0, 0, 4n)]);
    assert.deepEqual(takeAll(loop), []);
    assert.deepEqual(skipped, [[0, 4n]]);
    loop.pump();
    assert.equal(sent[1]?.partitions[0]?.offset, 4n);
  });

  test('a fetch that fails on the network is reported with its broker and tried again, however often', async () => {
    const unreachable: string[] = [];
    const { loop, sent } = loopOver([0], { onUnreachable: (detail) => unreachable.push(detail) });
    loop.pump();
    // More failures in a row than fetchAttempts (3): a cluster that is down does not end the source.
    for (let attempt = 0; attempt < 5; attempt++) {
      await sent.at(-1)!.fail(networkError('connect ECONNREFUSED 127.0.0.1:9001'));
      await waitFor(() => sent.length === attempt + 2);
    }
    assert.equal(unreachable.length, 5);
    assert.equal(
      unreachable[0],
      'fetch from broker 1 (127.0.0.1:9001) failed: connect ECONNREFUSED 127.0.0.1:9001',
    );
    loop.stop();
  });

  test('a fetch without an answer for silentAfterMs is reported, and the next answer says the broker answers', async () => {
    const unreachable: string[] = [];
    let answered = 0;
    const { loop, sent } = loopOver(
      [0],
      { onUnreachable: (detail) => unreachable.push(detail), onAnswered: () => answered++ },
      { silentAfterMs: 20 },
    );
    loop.pump();
    await waitFor(() => unreachable.length > 0);
    assert.deepEqual(unreachable, ['no fetch response from broker 1 (127.0.0.1:9001) for 0.0 s']); // 20 + 10 ms
    assert.equal(answered, 0);
    await sent[0]!.answer([read(0, 0n, 1, 10)]);
    assert.equal(answered, 1);
    assert.equal(unreachable.length, 1, 'an answered fetch is not reported later');
    loop.stop();
  });
});

describe('the fetch loop over several topics', () => {
  test('one request per broker covers the partitions of every topic it leads; batches carry their topic', async () => {
    const { loop, sent } = loopOver([0, 2]);
    loop.assign('other', [1]);
    loop.start('other', 1, 5n);
    loop.pump();
    assert.deepEqual(
      sent.map((request) => [
        request.broker,
        request.partitions.map((entry) => `${entry.topic}[${entry.partition}]@${entry.offset}`).sort(),
      ]),
      [
        [1, ['other[1]@5', 'topic[0]@0']],
        [2, ['topic[2]@0']],
      ],
    );
    await sent[0]!.answer([read(0, 0n, 2, 10), read(1, 5n, 1, 10, 6n, 'other')]);
    assert.deepEqual(
      takeAll(loop).map(({ batch }) => `${batch.topic}[${batch.partition}]..${batch.nextOffset}`),
      ['topic[0]..2', 'other[1]..6'],
    );
  });

  test("assigning one topic's partitions throws away only that topic's batches fetched ahead", async () => {
    const { loop, sent } = loopOver([0]);
    loop.assign('other', [0]);
    loop.start('other', 0, 0n);
    loop.pump();
    await sent[0]!.answer([read(0, 0n, 2, 10), read(0, 0n, 3, 10, 3n, 'other')]);
    loop.assign('other', []);
    assert.deepEqual(
      takeAll(loop).map(({ batch }) => batch.topic),
      ['topic'],
    );
    assert.equal(loop.has('other', 0), false);
    assert.equal(loop.has('topic', 0), true);
  });
});

function networkError(message: string): Error {
  return Object.assign(new Error(message), { code: 'PLT_KFK_NETWORK' });
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; !condition(); tries++) {
    if (tries > 500) assert.fail('waited in vain');
    await new Promise((done) => setTimeout(done, 2));
  }
}

describe('the fetch loop loading its layout', () => {
  test('a topic without a known leader has its own layout loaded; the other topics fetch meanwhile', () => {
    let stopped = false;
    const { loop, sent } = loopOver([0, 1, 2, 3], { canFetch: () => !stopped });
    loop.assign('unknown', [0]);
    loop.start('unknown', 0, 0n);
    loop.pump();
    assert.deepEqual(
      sent.map((request) => [request.broker, request.partitions.map(({ topic }) => topic)]),
      [
        [1, ['topic', 'topic']],
        [2, ['topic', 'topic']],
      ],
    );
    // 'unknown' never gets a leader: its layout would be asked for again and again
    stopped = true;
    loop.stop();
  });

  test('a topic started as a layout without it arrives gets its layout loaded and is fetched', async () => {
    // As the fetcher's: one layout, each load adding the topics asked for, one partition each, on broker 1.
    const brokers = new Map([[1, { host: '127.0.0.1', port: 9001 }]]);
    const layout = { leaders: new Map<string, number[]>(), topicIds: new Map(), brokers };
    const layoutsAsked: { topics: readonly string[]; loaded: Promise<FetchLayout> }[] = [];
    const sent: PartitionFetch[][] = [];
    const fetcher = {
      layout: (topics: readonly string[]) => {
        const loaded = Promise.resolve().then(() => {
          for (const topic of topics) layout.leaders.set(topic, [1]);
          return layout as FetchLayout;
        });
        layoutsAsked.push({ topics, loaded });
        return loaded;
      },
      // Each fetch is answered with nothing, a moment later: the loop asks again.
      fetch: (_layout: FetchLayout, _broker: number, partitions: readonly PartitionFetch[]) => {
        sent.push([...partitions]);
        return new Promise<FetchedPartition[]>((answer) => setImmediate(() => answer([])));
      },
    } as unknown as PartitionFetcher;
    let done = false;
    const loop = new FetchLoop(
      fetcher,
      undefined,
      {
        budget: {
          maxBytesPerFetch: 100,
          maxBytesPerPartition: 50,
          baseBytes: 200,
          bytesPerRoundTripSecond: 0,
          nearRoundTripMs: 0,
          maxBytes: 400,
          firstHeldPerReceivedByte: 1,
        },
        fetchAttempts: 3,
        retryDelayMs: 1,
        heldBackWait: { minMs: 25, perHeldMs: 0.25, maxMs: 100 },
        silentAfterMs: 60_000,
        minTransferBytesPerSecond: 10_000,
      },
      {
        canFetch: () => !done,
        onReady: () => {},
        onSkipped: () => {},
        onStopped: (stopped) => assert.fail(`no partition stops here: ${stopped.kind}`),
        onFailure: (error) => assert.fail(String(error)),
        isTransient: () => true,
        onUnreachable: () => {},
        onAnswered: () => {},
      },
    );
    loop.assign('topic', [0]);
    loop.start('topic', 0, 0n);
    loop.pump();
    assert.deepEqual(
      layoutsAsked.map(({ topics }) => topics),
      [['topic']],
    );
    // The second topic starts just after the loop took in the layout of the first, before it was done loading
    // (as two flows of a lane attached at once do): the loop finds no leader for it and loads its layout alone.
    void layoutsAsked[0]!.loaded.then(() => {
      loop.assign('other', [0]);
      loop.start('other', 0, 0n);
      loop.pump();
    });
    const fetchesOther = (partitions: readonly PartitionFetch[]) =>
      partitions.some(({ topic }) => topic === 'other');
    await waitFor(() => sent.some(fetchesOther));
    done = true;
    assert.deepEqual(
      layoutsAsked.map(({ topics }) => topics),
      [['topic'], ['other']],
    );
  });
});
