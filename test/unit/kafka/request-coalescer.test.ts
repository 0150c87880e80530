import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConcurrencyLimit } from '../../../src/kafka/concurrency-limit.js';
import { RequestCoalescer } from '../../../src/kafka/request-coalescer.js';

/** A fake request kind: sends batches of names, records each batch, fails the names listed in `refused`. */
function recordingCoalescer(options: {
  maxBatchSize: number;
  maxInFlight: number;
  refused?: readonly string[];
  sendAlone?: boolean;
}) {
  const batches: string[][] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const coalescer = new RequestCoalescer<string, string>({
    maxBatchSize: options.maxBatchSize,
    maxInFlight: options.maxInFlight,
    windowMs: 1,
    send: async (names) => {
      batches.push([...names]);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      const refused = names.filter((name) => options.refused?.includes(name));
      if (refused.length > 0) throw new Error(`refused ${refused.join(',')}`);
      return names.map((name) => `answer for ${name}`);
    },
    sendAloneAfter: () => options.sendAlone ?? false,
  });
  return { coalescer, batches, mostInFlight: () => mostInFlight };
}

const names = (count: number) => Array.from({ length: count }, (_, index) => `t${index}`);

describe('RequestCoalescer', () => {
  const sizes = [
    { calls: 1, maxBatchSize: 100, maxInFlight: 4, batches: [1] },
    { calls: 250, maxBatchSize: 100, maxInFlight: 4, batches: [100, 100, 50] },
    // one batch at a time: the calls made while it is out go together in the next
    { calls: 250, maxBatchSize: 100, maxInFlight: 1, batches: [100, 100, 50] },
    { calls: 7, maxBatchSize: 3, maxInFlight: 2, batches: [3, 3, 1] },
  ];
  for (const { calls, maxBatchSize, maxInFlight, batches: expected } of sizes) {
    test(`${calls} calls at once, batches of at most ${maxBatchSize}, ${maxInFlight} in flight: batches of ${expected.join(', ')}`, async () => {
      const { coalescer, batches, mostInFlight } = recordingCoalescer({ maxBatchSize, maxInFlight });
      const answers = await Promise.all(names(calls).map((name) => coalescer.request(name)));
      assert.deepEqual(
        answers,
        names(calls).map((name) => `answer for ${name}`),
      );
      assert.deepEqual(
        batches.map((batch) => batch.length),
        expected,
      );
      assert.ok(mostInFlight() <= maxInFlight, `${mostInFlight()} batches were in flight`);
    });
  }

  test('calls made while a batch is out wait for it, then go out together', async () => {
    const { coalescer, batches } = recordingCoalescer({ maxBatchSize: 100, maxInFlight: 1 });
    const first = coalescer.request('a');
    await new Promise((resolve) => setTimeout(resolve, 2)); // 'a' is out now
    await Promise.all([first, coalescer.request('b'), coalescer.request('c')]);
    assert.deepEqual(batches, [['a'], ['b', 'c']]);
  });

  const failures = [
    {
      case: 'a whole batch fails (the cluster does not answer): every caller gets its error',
      refused: ['t1'],
      sendAlone: false,
      outcomes: ['refused t1', 'refused t1', 'refused t1'],
      batches: [['t0', 't1', 't2']],
    },
    {
      case: 'Kafka refused one input: each is sent alone and gets its own outcome',
      refused: ['t1'],
      sendAlone: true,
      outcomes: ['answer for t0', 'refused t1', 'answer for t2'],
      batches: [['t0', 't1', 't2'], ['t0'], ['t1'], ['t2']],
    },
  ];
  for (const { case: name, refused, sendAlone, outcomes, batches: expected } of failures) {
    test(name, async () => {
      const { coalescer, batches } = recordingCoalescer({
        maxBatchSize: 10,
        maxInFlight: 1,
        refused,
        sendAlone,
      });
      const settled = await Promise.allSettled(names(3).map((topic) => coalescer.request(topic)));
      assert.deepEqual(
        settled.map((result) =>
          result.status === 'fulfilled' ? result.value : (result.reason as Error).message,
        ),
        outcomes,
      );
      assert.deepEqual(batches, expected);
    });
  }

  test('a send answering the wrong number of outputs fails its callers instead of mixing answers up', async () => {
    const coalescer = new RequestCoalescer<string, string>({
      maxBatchSize: 10,
      maxInFlight: 1,
      windowMs: 1,
      send: async () => ['only one'],
    });
    const settled = await Promise.allSettled([coalescer.request('a'), coalescer.request('b')]);
    assert.deepEqual(
      settled.map((result) => result.status),
      ['rejected', 'rejected'],
    );
  });
});

describe('ConcurrencyLimit', () => {
  test('runs at most its limit at a time, and every action in the end', async () => {
    const limit = new ConcurrencyLimit(3);
    let running = 0;
    let mostRunning = 0;
    const results = await Promise.all(
      names(20).map((name) =>
        limit.run(async () => {
          running++;
          mostRunning = Math.max(mostRunning, running);
          await new Promise((resolve) => setTimeout(resolve, 1));
          running--;
          return name;
        }),
      ),
    );
    assert.deepEqual(results, names(20));
    assert.equal(mostRunning, 3);
  });

  test('a failed action frees its slot', async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(
      limit.run(() => Promise.reject(new Error('refused'))),
      /refused/,
    );
    assert.equal(await limit.run(async () => 'next'), 'next');
  });
});
