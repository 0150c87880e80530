// What the runtime relies on from a RecordSource, as tests that run against every implementation of the
// port: the @platformatic/kafka adapter on real brokers (test/integration/kafka-port-source.test.ts) and the
// in-memory double (test/unit/kafka/in-memory-kafka.test.ts). A double that passes them can stand in for Kafka in the
// runtime's unit tests without hiding a difference that matters.
//
// Offsets are committed only after the handler resolved; sources in one group share partitions; truncation
// below the group's offset stops the source with OffsetOutOfRange and leaves the offset as it was; pause,
// stop with a grace time, and setting a group's offsets behave as port.ts says.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { GroupNotEmpty, OffsetOutOfRange } from '../../src/kafka/errors.js';
import type {
  BatchHandler,
  ConsumedBatch,
  KafkaAdmin,
  KafkaCluster,
  RecordSource,
  RecordToWrite,
  SourceEvent,
  StartPosition,
} from '../../src/kafka/port.js';

export interface PortContractSubject {
  readonly port: KafkaCluster;
  readonly admin: KafkaAdmin;
  /** Removes every record of partition 0 of `topic` below `beforeOffset`, as retention would. */
  truncate(topic: string, beforeOffset: number): Promise<void>;
  /** How long a test watches for something that must not happen (a delivery while paused, a rebalance). */
  readonly quietPeriodMs: number;
  /** Topics the contract created, for the subject's owner to delete. */
  readonly createdTopics: string[];
  /**
   * A session timeout the cluster accepts (the broker's group.min.session.timeout.ms or more), for the test of a
   * handler slower than it; absent where the subject has no sessions to lose (the in-memory double).
   */
  readonly shortSessionTimeoutMs?: number;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  signal: AbortSignal,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50, undefined, { signal });
  }
}

function records(count: number, label: string): RecordToWrite[] {
  return Array.from({ length: count }, (_, index) => ({
    key: Buffer.from(`${label}-${index}`),
    value: Buffer.from(`${label} value ${index}`),
    headers: [{ key: Buffer.from('label'), value: Buffer.from(label) }],
    timestampMs: 1_700_000_000_000 + index,
  }));
}

/** Runs a source and keeps what it delivered and reported, for tests to wait on and inspect. */
class SourceProbe {
  readonly batches: ConsumedBatch[] = [];
  readonly events: SourceEvent[] = [];
  /** Settles once run() settled; never rejects, so a test that expects a failure can await it at will. */
  readonly outcome: Promise<{ error: unknown } | { stopped: true }>;

  constructor(
    readonly source: RecordSource,
    handler: BatchHandler = async () => {},
  ) {
    const running = source.run(
      async (batch, signal) => {
        await handler(batch, signal);
        this.batches.push(batch);
      },
      (event) => this.events.push(event),
    );
    this.outcome = running.then(
      () => ({ stopped: true as const }),
      (error: unknown) => ({ error }),
    );
  }

  get offsets(): string[] {
    return this.batches.flatMap((batch) =>
      batch.records.map((record) => `${record.partition}@${record.offset}`),
    );
  }

  get recordCount(): number {
    return this.batches.reduce((count, batch) => count + batch.records.length, 0);
  }

  /** The partitions of the last assignment, or undefined before the first. */
  get assigned(): readonly number[] | undefined {
    const assignments = this.events.filter((event) => event.type === 'assigned');
    return assignments.at(-1)?.partitions;
  }
}

/** Defines the contract's tests in the calling describe; `subject` is read when each test runs. */
export function sourceContract(subject: () => PortContractSubject): void {
  const probes: SourceProbe[] = [];

  after(async () => {
    await Promise.all(probes.map((probe) => probe.source.stop({ inFlightGraceMs: 1000 })));
  });

  async function topicWith(prefix: string, partitionCount: number): Promise<string> {
    const name = uniqueName(prefix);
    await subject().admin.createTopic({
      name,
      partitionCount,
      replicationFactor: 1,
      // records here carry 2023 timestamps: time-based retention must not remove them mid-test
      configs: new Map([['retention.ms', '-1']]),
    });
    subject().createdTopics.push(name);
    return name;
  }

  async function write(topic: string, partition: number, batch: readonly RecordToWrite[]): Promise<void> {
    const sink = subject().port.createSink();
    await sink.write(topic, partition, batch);
    await sink.close();
  }

  function probe(
    topic: string,
    groupId: string,
    handler?: BatchHandler,
    startPosition: StartPosition = 'earliest',
  ): SourceProbe {
    const started = new SourceProbe(subject().port.createSource({ topic, groupId, startPosition }), handler);
    probes.push(started);
    return started;
  }

  async function committed(groupId: string, topic: string): Promise<(bigint | null)[]> {
    return (await subject().admin.committedOffsets(groupId, [topic])).map((entry) => entry.offset);
  }

  const truncate = (topic: string, beforeOffset: number) => subject().truncate(topic, beforeOffset);

  test('commits only after the handler resolved: a failing handler loses nothing', async (t) => {
    const topic = await topicWith('source-ack', 1);
    const groupId = uniqueName('group-ack');
    await write(topic, 0, records(10, 'first'));

    // The handler holds its batch while the test looks at the group, then fails like a destination that is down.
    const destinationDown = new Error('destination down');
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handed = false;
    const failing = probe(topic, groupId, async () => {
      handed = true;
      await held;
      throw destinationDown;
    });
    await eventually('the first batch in the handler', () => (handed ? true : undefined), t.signal);
    await sleep(subject().quietPeriodMs, undefined, { signal: t.signal });
    assert.deepEqual(
      await committed(groupId, topic),
      [null],
      'nothing committed while the handler holds the batch',
    );
    release();
    assert.deepEqual(
      await failing.outcome,
      { error: destinationDown },
      "run() rejects with the handler's error",
    );
    assert.deepEqual(await committed(groupId, topic), [null], 'nothing committed after the handler failed');

    // The next member of the group starts where nothing was acknowledged, and commits what it acknowledges.
    const second = probe(topic, groupId);
    await eventually('10 records', () => (second.recordCount >= 10 ? true : undefined), t.signal);
    assert.deepEqual(
      second.offsets,
      Array.from({ length: 10 }, (_, index) => `0@${index}`),
    );
    await eventually(
      'the commit of offset 10',
      () =>
        second.events.some((event) => event.type === 'committed' && event.offsets[0]?.offset === 10n)
          ? true
          : undefined,
      t.signal,
    );
    await second.source.stop();
    assert.deepEqual(await second.outcome, { stopped: true });
    assert.deepEqual(await committed(groupId, topic), [10n]);

    await write(topic, 0, records(5, 'second'));
    const third = probe(topic, groupId);
    await eventually('5 more records', () => (third.recordCount >= 5 ? true : undefined), t.signal);
    await third.source.stop();
    assert.deepEqual(third.offsets, ['0@10', '0@11', '0@12', '0@13', '0@14']);
  });

  test("two sources in one group share the topic's partitions through Kafka, each record once", async (t) => {
    const topic = await topicWith('source-group', 4);
    const groupId = uniqueName('group-shared');
    const first = probe(topic, groupId);
    await eventually(
      'the first member owns every partition',
      () => (first.assigned?.length === 4 ? true : undefined),
      t.signal,
    );
    const second = probe(topic, groupId);
    await eventually(
      'the partitions split between both members',
      () => {
        const [a, b] = [first.assigned ?? [], second.assigned ?? []];
        const union = [...a, ...b].sort();
        return a.length > 0 && b.length > 0 && union.join() === '0,1,2,3' ? true : undefined;
      },
      t.signal,
    );
    assert.deepEqual(await subject().admin.describeConsumerGroups([groupId]), [
      { groupId, state: 'stable', memberCount: 2 },
    ]);
    assert.ok(
      (await subject().admin.listConsumerGroups()).some(
        (group) => group.groupId === groupId && group.protocolType === 'consumer',
      ),
    );
    const eventsBeforeRecords = [first.events.length, second.events.length];
    const assignmentEvents = () =>
      [...first.events, ...second.events].filter((event) => event.type !== 'committed').length;
    const rebalancesBeforeRecords = assignmentEvents();

    for (const partition of [0, 1, 2, 3]) await write(topic, partition, records(10, `p${partition}`));
    await eventually(
      '40 records',
      () => (first.recordCount + second.recordCount >= 40 ? true : undefined),
      t.signal,
    );
    await sleep(subject().quietPeriodMs, undefined, { signal: t.signal });

    const delivered = [...first.offsets, ...second.offsets].sort();
    assert.equal(delivered.length, 40);
    assert.equal(new Set(delivered).size, 40, 'no record delivered twice');
    for (const member of [first, second]) {
      const partitions = new Set(member.batches.map((batch) => batch.partition));
      assert.ok([...partitions].every((partition) => member.assigned?.includes(partition)));
    }
    assert.equal(assignmentEvents(), rebalancesBeforeRecords, 'no rebalance while records flowed');
    assert.ok(eventsBeforeRecords.every((count) => count > 0));

    // When a member leaves, Kafka hands its partitions to the other at once.
    await first.source.stop();
    await eventually(
      'the remaining member owns every partition',
      () => (second.assigned?.length === 4 ? true : undefined),
      t.signal,
    );
    const deliveredBefore = second.recordCount;
    await write(topic, 0, records(1, 'after-leave'));
    await write(topic, 3, records(1, 'after-leave'));
    await eventually(
      'the records of the partitions the first member left',
      () => (second.recordCount >= deliveredBefore + 2 ? true : undefined),
      t.signal,
    );
    await second.source.stop();
    assert.deepEqual(await committed(groupId, topic), [11n, 10n, 10n, 11n]);
  });

  for (const startPosition of ['earliest', 'latest'] as const) {
    test(`reports truncation below the group's offset as OffsetOutOfRange and keeps the offset (start ${startPosition})`, async () => {
      const topic = await topicWith('source-truncated', 1);
      const groupId = uniqueName('group-truncated');
      await write(topic, 0, records(10, 'doomed'));
      await subject().admin.setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 3n }]);
      await truncate(topic, 8);

      const source = probe(topic, groupId, undefined, startPosition);
      const outcome = await source.outcome;
      assert.ok('error' in outcome && outcome.error instanceof OffsetOutOfRange, inspect(outcome));
      const error = outcome.error;
      assert.deepEqual(
        [error.topic, error.partition, error.requestedOffset, error.earliest, error.latest, error.retriable],
        [topic, 0, 3n, 8n, 10n, false],
      );
      assert.match(error.message, /no longer has offset 3: it now holds offsets 8 to 10/);
      assert.equal(source.recordCount, 0, 'nothing delivered from elsewhere');
      assert.deepEqual(await committed(groupId, topic), [3n], "the group's offset was not reset");
    });
  }

  test('pauses and resumes; retention overtaking a paused source stops it with OffsetOutOfRange', async (t) => {
    const topic = await topicWith('source-paused', 1);
    const groupId = uniqueName('group-paused');
    await write(topic, 0, records(5, 'before'));
    const source = probe(topic, groupId);
    await eventually('5 records', () => (source.recordCount >= 5 ? true : undefined), t.signal);

    source.source.pause();
    await write(topic, 0, records(3, 'while-paused'));
    await sleep(subject().quietPeriodMs, undefined, { signal: t.signal });
    assert.equal(source.recordCount, 5, 'nothing delivered while paused');
    source.source.resume();
    await eventually('3 more records', () => (source.recordCount >= 8 ? true : undefined), t.signal);
    // the commit follows the handler's return
    await eventually(
      'offset 8 committed',
      async () => ((await committed(groupId, topic))[0] === 8n ? true : undefined),
      t.signal,
    );

    source.source.pause();
    await write(topic, 0, records(10, 'overtaken'));
    await truncate(topic, 15);
    source.source.resume();
    const outcome = await source.outcome;
    assert.ok('error' in outcome && outcome.error instanceof OffsetOutOfRange);
    assert.deepEqual([outcome.error.requestedOffset, outcome.error.earliest], [8n, 15n]);
    assert.equal(source.recordCount, 8);
    assert.deepEqual(await committed(groupId, topic), [8n]);
  });

  test("refuses to move a group's offsets while it has members, and the group resumes where they were set", async (t) => {
    const topic = await topicWith('source-set-offsets', 1);
    const groupId = uniqueName('group-set');
    await write(topic, 0, records(10, 'set'));
    const member = probe(topic, groupId);
    await eventually('10 records', () => (member.recordCount >= 10 ? true : undefined), t.signal);
    await assert.rejects(
      subject().admin.setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 2n }]),
      GroupNotEmpty,
    );
    await member.source.stop();

    await subject().admin.setCommittedOffsets(groupId, topic, [{ partition: 0, offset: 7n }]);
    assert.deepEqual(await committed(groupId, topic), [7n]);
    const next = probe(topic, groupId);
    await eventually('3 records', () => (next.recordCount >= 3 ? true : undefined), t.signal);
    await next.source.stop();
    assert.deepEqual(next.offsets, ['0@7', '0@8', '0@9']);
  });

  test('a handler slower than the session timeout keeps the membership: no rebalance, nothing read twice', async (t) => {
    const sessionTimeoutMs = subject().shortSessionTimeoutMs;
    if (sessionTimeoutMs === undefined) {
      t.skip('not for this subject: no group sessions');
      return;
    }
    const topic = await topicWith('source-slow-handler', 1);
    const groupId = uniqueName('group-slow-handler');
    await write(topic, 0, records(3, 'slow'));
    let calls = 0;
    const slow = new SourceProbe(
      subject().port.createSource({ topic, groupId, startPosition: 'earliest', sessionTimeoutMs }),
      async () => {
        calls += 1;
        // A destination that takes twice the session timeout to acknowledge, like a busy host's.
        if (calls === 1) await sleep(2 * sessionTimeoutMs, undefined, { signal: t.signal });
      },
    );
    probes.push(slow);
    await eventually('3 records', () => (slow.recordCount >= 3 ? true : undefined), t.signal);
    await eventually(
      'offset 3 committed',
      async () => ((await committed(groupId, topic))[0] === 3n ? true : undefined),
      t.signal,
    );
    await write(topic, 0, records(2, 'after'));
    await eventually('2 more records', () => (slow.recordCount >= 5 ? true : undefined), t.signal);
    await slow.source.stop();
    assert.deepEqual(slow.offsets, ['0@0', '0@1', '0@2', '0@3', '0@4'], 'each record once');
    assert.deepEqual(
      slow.events.filter((event) => event.type !== 'committed'),
      [{ type: 'assigned', partitions: [0] }],
      'no rebalance: the member kept its partition',
    );
  });

  test('a stop right after run() ends the source cleanly and leaves the group without members', async () => {
    const topic = await topicWith('source-early-stop', 1);
    const groupId = uniqueName('group-early-stop');
    await write(topic, 0, records(3, 'early'));
    const early = probe(topic, groupId);
    await early.source.stop();
    assert.deepEqual(await early.outcome, { stopped: true });
    const [group] = await subject().admin.describeConsumerGroups([groupId]);
    assert.equal(group?.memberCount, 0);
  });

  test('a stop gives up on a handler stuck past the grace time, and commits nothing for it', async (t) => {
    const topic = await topicWith('source-stuck', 1);
    const groupId = uniqueName('group-stuck');
    await write(topic, 0, records(3, 'stuck'));
    let abortedSignal = false;
    let handed = false;
    const stuck = probe(topic, groupId, async (_batch, signal) => {
      handed = true;
      await new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => {
          abortedSignal = true;
          reject(new Error('gave up'));
        }),
      );
    });
    await eventually('the batch in the handler', () => (handed ? true : undefined), t.signal);
    const stopStarted = Date.now();
    await stuck.source.stop({ inFlightGraceMs: 500 });
    assert.ok(Date.now() - stopStarted < 30_000);
    assert.ok(abortedSignal, "the handler's signal was aborted");
    assert.deepEqual(await stuck.outcome, { stopped: true });
    assert.deepEqual(await committed(groupId, topic), [null]);
  });
}
