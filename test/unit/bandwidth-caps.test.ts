// maxBytesPerSecond: a token bucket shared by a replication's flows, filled at the cap and emptied by what each
// batch took on the wire. On a simulated clock: the rate over a minute, the debt a large batch leaves, caps
// following the config without a restart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Metrics } from '../../src/observability/metrics.js';
import { BandwidthCaps, ByteRateLimiter, writeWithinCap } from '../../src/runtime/bandwidth-caps.js';
import { compiled } from './config/helpers.js';

function simulatedClock() {
  const clock = { nowMs: 0 };
  return { clock, nowMs: () => clock.nowMs };
}

describe('ByteRateLimiter', () => {
  test('flows sharing a cap write at the cap over a minute, within 5%', () => {
    const { clock, nowMs } = simulatedClock();
    const bytesPerSecond = 1_000_000;
    const limiter = new ByteRateLimiter(bytesPerSecond, nowMs);
    // Three flows with batches of different sizes, each write taking 5 ms on the wire.
    const flows = [64 * 1024, 200 * 1024, 512 * 1024].map((batchBytes) => ({ batchBytes, busyUntilMs: 0 }));
    let written = 0;
    for (; clock.nowMs < 60_000; clock.nowMs++) {
      for (const flow of flows) {
        if (flow.busyUntilMs > clock.nowMs || limiter.waitMs() > 0) continue;
        limiter.spend(flow.batchBytes);
        written += flow.batchBytes;
        flow.busyUntilMs = clock.nowMs + 5;
      }
    }
    const rate = written / 60;
    assert.ok(Math.abs(rate - bytesPerSecond) <= bytesPerSecond * 0.05, `${rate} bytes/s`);
    assert.equal(limiter.bytesWritten, written);
  });

  test('a batch larger than the cap leaves a debt that holds the next write back until it is paid', () => {
    const { clock, nowMs } = simulatedClock();
    const limiter = new ByteRateLimiter(100_000, nowMs);
    assert.equal(limiter.waitMs(), 0, 'a full bucket lets the first write go');
    limiter.spend(300_000); // 100,000 saved up, 200,000 owed
    assert.equal(limiter.waitMs(), 2000);
    clock.nowMs = 1500;
    assert.equal(limiter.waitMs(), 500);
    clock.nowMs = 2000;
    assert.equal(limiter.waitMs(), 0);
  });

  test('an idle replication saves up one second at the cap, no more', () => {
    const { clock, nowMs } = simulatedClock();
    const limiter = new ByteRateLimiter(100_000, nowMs);
    clock.nowMs = 3_600_000;
    limiter.spend(100_000);
    assert.equal(limiter.waitMs(), 0);
    limiter.spend(1);
    assert.ok(limiter.waitMs() > 0);
  });

  test('reserve waits out the debt, counts the time as throttled, and takes what it reserves', async () => {
    const limiter = new ByteRateLimiter(1_000_000, Date.now);
    limiter.spend(1_050_000);
    const startedAt = Date.now();
    await limiter.reserve(10_000, new AbortController().signal);
    assert.ok(Date.now() - startedAt >= 45);
    assert.ok(limiter.throttledMs >= 45);
    assert.equal(limiter.bytesWritten, 1_060_000);
    limiter.settle(10_000, 4_000);
    assert.equal(limiter.bytesWritten, 1_054_000, 'a compressed write gives back what it did not send');
  });

  test('flows waiting on one debt count the time each waited, as it passes', async () => {
    const limiter = new ByteRateLimiter(1_000_000, Date.now);
    limiter.spend(1_100_000); // 100 ms owed
    const startedAt = Date.now();
    await Promise.all([1, 2, 3].map(() => limiter.reserve(100_000, new AbortController().signal)));
    const elapsedMs = Date.now() - startedAt;
    // They go one after the other (100, 200 and 300 ms): 600 ms waited in all, never more than 3 × elapsed.
    assert.ok(elapsedMs >= 290, `${elapsedMs} ms`);
    assert.ok(limiter.throttledMs >= 590, `${limiter.throttledMs} ms throttled`);
    assert.ok(
      limiter.throttledMs <= 3 * elapsedMs + 3,
      `${limiter.throttledMs} ms throttled in ${elapsedMs} ms`,
    );
  });

  test('a long wait is counted as it passes, and a flow stopped while it waits counts only what it waited', async () => {
    const limiter = new ByteRateLimiter(1000, Date.now);
    limiter.spend(61_000); // a minute owed
    const stop = new AbortController();
    const startedAt = Date.now();
    const waiting = limiter.reserve(1000, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // Counted a step (up to a second) at a time, never ahead of the clock.
    const countedMs = limiter.throttledMs;
    const elapsedMs = Date.now() - startedAt;
    assert.ok(countedMs >= 990 && countedMs <= elapsedMs, `${countedMs} ms counted after ${elapsedMs} ms`);
    stop.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    const totalMs = Date.now() - startedAt;
    assert.ok(
      limiter.throttledMs >= 1190 && limiter.throttledMs <= totalMs,
      `${limiter.throttledMs} ms in all`,
    );
  });

  test('a cap raised or removed while flows wait lets them go within a second', async () => {
    const raised = new ByteRateLimiter(1000, Date.now);
    raised.spend(61_000);
    const removed = new ByteRateLimiter(1000, Date.now);
    removed.spend(61_000);
    const startedAt = Date.now();
    const waits = [raised, removed].map((limiter) => limiter.reserve(1000, new AbortController().signal));
    setTimeout(() => {
      raised.setRate(100_000_000);
      removed.retire();
    }, 20);
    await Promise.all(waits);
    // A minute owed each: without the change they would wait it out.
    assert.ok(Date.now() - startedAt < 5000, `${Date.now() - startedAt} ms`);
  });
});

describe('writeWithinCap', () => {
  const records = Array.from({ length: 10 }, (_, index) => ({
    partition: 0,
    offset: BigInt(100 + index * 2),
    timestampMs: 0,
    timestampType: 'create-time' as const,
    key: null,
    value: Buffer.alloc(200 * 1024),
    headers: [],
  }));
  const signal = new AbortController().signal;
  const signals = { signal, stopping: new AbortController().signal };

  test('under a cap, writes slices of about one request, each with the origin offset that follows it', async () => {
    const limiter = new ByteRateLimiter(1e12, Date.now);
    const writes: string[] = [];
    const written = await writeWithinCap(limiter, records, 200n, signals, async (slice, nextOffset) => {
      writes.push(`${slice[0]?.offset}..${slice.at(-1)?.offset} then ${nextOffset}`);
      return [{ firstOffset: 0n, recordCount: slice.length, batchBytes: 1000 }];
    });
    assert.deepEqual(writes, [
      '100..102 then 103',
      '104..106 then 107',
      '108..110 then 111',
      '112..114 then 115',
      '116..118 then 200',
    ]);
    assert.equal(written.length, 5);
    assert.equal(limiter.bytesWritten, 5000, 'the cap counts what went on the wire');
  });

  test('a write that fails gives back what it reserved: no debt for the other flows, no bytes counted', async () => {
    const cap = new ByteRateLimiter(100_000, Date.now);
    const refused = new Error('MESSAGE_TOO_LARGE');
    const firstSlice = records.slice(0, 2); // 400 KiB reserved: 4 s at the cap
    await assert.rejects(
      writeWithinCap(cap, firstSlice, 104n, signals, async () => {
        throw refused;
      }),
      refused,
    );
    assert.equal(cap.bytesWritten, 0);
    assert.equal(cap.waitMs(), 0, 'the next flow writes at once');
  });

  test('without a cap, or without records, one write', async () => {
    const writes: number[] = [];
    const write = async (slice: readonly unknown[]) => {
      writes.push(slice.length);
      return [];
    };
    await writeWithinCap(null, records, 200n, signals, write);
    await writeWithinCap(new ByteRateLimiter(1, Date.now), [], 200n, signals, write);
    assert.deepEqual(writes, [10, 0]);
  });

  test("a stop ends a wait before the batch's first slice, not one between slices already begun", async () => {
    const stop = new AbortController();
    const waiting = new ByteRateLimiter(1_000_000, Date.now);
    waiting.spend(1_100_000); // 100 ms owed before the first slice
    setTimeout(() => stop.abort(), 20);
    const writes: number[] = [];
    const write = async (slice: readonly unknown[]) => {
      writes.push(slice.length);
      return [];
    };
    await assert.rejects(writeWithinCap(waiting, records, 200n, { signal, stopping: stop.signal }, write), {
      name: 'AbortError',
    });
    assert.deepEqual(writes, [], 'nothing written: the batch is read again by the next run');
    // Two slices (800 KiB) go at once from a full bucket of 1 MB/s; the others wait for it, stop or not.
    const between = new ByteRateLimiter(1_000_000, Date.now);
    await writeWithinCap(between, records, 200n, { signal, stopping: AbortSignal.abort() }, write);
    assert.deepEqual(writes, [2, 2, 2, 2, 2], 'every slice written: none of them again by the next run');
  });
});

describe('BandwidthCaps', () => {
  const clusters = `
clusters:
  london: { bootstrap: ["lon:9092"] }
  dublin: { bootstrap: ["dub:9092"] }
`;
  const config = (cap: string) =>
    compiled(`${clusters}
replications:
  - name: capped
    origin: london
    destinations: [dublin]
    topics: { include: [orders] }
${cap}
  - name: free
    origin: london
    destinations: [dublin]
    topics: { include: [payments] }
`);

  test('a flow still waiting when its cap is removed does not bring the removed series back', async () => {
    const metrics = new Metrics();
    const caps = new BandwidthCaps(metrics, Date.now);
    caps.apply(config('    maxBytesPerSecond: 2048').replications);
    const limiter = caps.of('capped')!;
    limiter.spend(60_000); // half a minute owed
    const waiting = limiter.reserve(1000, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    caps.apply(config('').replications);
    await waiting;
    assert.doesNotMatch((await metrics.exposition()).body, /georep_replication_throttled_seconds_total\{/);
  });

  test('follow the config: a cap is set, changed in place with what its flows owe, and removed', async () => {
    const metrics = new Metrics();
    const caps = new BandwidthCaps(metrics, Date.now);
    caps.apply(config('    maxBytesPerSecond: 2048').replications);
    const limiter = caps.of('capped');
    assert.equal(limiter?.bytesPerSecond, 2048);
    assert.equal(caps.of('free'), null);
    limiter?.spend(10_000);
    caps.apply(config('    maxBytesPerSecond: 4096').replications);
    assert.equal(caps.of('capped'), limiter, 'the same bucket, so a flow waiting on it sees the change');
    assert.equal(limiter?.bytesPerSecond, 4096);
    assert.deepEqual(caps.statuses(), [
      { replication: 'capped', maxBytesPerSecond: 4096, bytesWritten: 10_000, throttledSeconds: 0 },
    ]);
    const exposition = (await metrics.exposition()).body;
    assert.match(exposition, /georep_replication_max_bytes_per_second\{replication="capped"\} 4096/);
    assert.match(
      exposition,
      /georep_replication_throttled_seconds_total\{replication="capped"\} 0\n/,
      'the series is there before any flow waited',
    );
    caps.apply(config('').replications);
    assert.equal(caps.of('capped'), null);
    assert.equal(limiter?.waitMs(), 0, 'a flow still holding the removed cap does not wait for it');
    const afterRemoval = (await metrics.exposition()).body;
    assert.doesNotMatch(afterRemoval, /georep_replication_max_bytes_per_second\{/);
    assert.doesNotMatch(afterRemoval, /georep_replication_throttled_seconds_total\{/);
  });
});
