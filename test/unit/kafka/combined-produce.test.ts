// Batches of several partitions in one Produce request when a connection is busy (combined-produce.ts), over a
// connection that records what would be sent and answers as the test says: which batches travel together, and
// that each batch gets its own partition's answer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Connection, NetworkError, ResponseError } from '@platformatic/kafka';
import { CombinedProduce, type CombinedTarget } from '../../../src/kafka/platformatic/combined-produce.js';
import { kafkaErrorIds } from '../../../src/kafka/platformatic/map-error.js';
import { type ProduceResponse, produceRequestV9 } from '../../../src/kafka/platformatic/produce-request.js';

const TIMEOUT_MS = 30_000;

interface Sent {
  readonly payload: Buffer;
  readonly answer: (error: unknown, response?: ProduceResponse) => void;
}

function fakeConnection() {
  const sent: Sent[] = [];
  const connection = {
    host: 'destination-1',
    port: 9092,
    send(
      _apiKey: number,
      _apiVersion: number,
      createPayload: () => { buffer: Buffer },
      _parser: unknown,
      _requestTags: boolean,
      _responseTags: boolean,
      callback: (error: unknown, response?: ProduceResponse) => void,
    ) {
      sent.push({ payload: createPayload().buffer, answer: callback });
    },
  };
  return { connection: connection as unknown as Connection, sent };
}

const target = (topic: string, partition: number, transactionalId: string | null = null): CombinedTarget => ({
  topic,
  partition,
  transactionalId,
});
const batch = (text: string) => Buffer.from(text);

function request(transactionalId: string | null, entries: [CombinedTarget, Buffer][]): Buffer {
  return produceRequestV9(
    transactionalId,
    entries.map(([{ topic, partition }, each]) => ({ topic, partition, batch: each })),
    TIMEOUT_MS,
  ).buffer;
}

/** An answer storing every partition at `offset` plus its number, but for those given an error code. */
function answerFor(entries: CombinedTarget[], errorCodes: Record<string, number> = {}): ProduceResponse {
  const topics = [...new Set(entries.map((entry) => entry.topic))];
  return {
    responses: topics.map((name) => ({
      name,
      partitionResponses: entries
        .filter((entry) => entry.topic === name)
        .map(({ partition }) => {
          const errorCode = errorCodes[`${name}/${partition}`] ?? 0;
          return {
            index: partition,
            errorCode,
            baseOffset: errorCode === 0 ? 100n + BigInt(partition) : -1n,
            errorMessage: null,
            recordErrors: [],
          };
        }),
    })),
    throttleTimeMs: 0,
  };
}

/** Five requests out on `connection` (topic `filler`), so that what comes next waits. */
function fillConnection(
  combined: CombinedProduce,
  connection: Connection,
  transactionalId: string | null = null,
) {
  for (let partition = 0; partition < 5; partition++)
    void combined.send(connection, target('filler', partition, transactionalId), batch('filler'));
}

describe('Produce requests combining several partitions', () => {
  test('while fewer than five requests are out, each batch goes at once, and gets its own offset', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    const targets = [target('orders', 0), target('payments', 4), target('orders', 1)];
    const offsets = targets.map((each, index) => combined.send(connection, each, batch(`b${index}`)));
    assert.deepEqual(
      sent.map((each) => each.payload),
      targets.map((each, index) => request(null, [[each, batch(`b${index}`)]])),
    );
    for (const [index, each] of targets.entries()) sent[index]!.answer(null, answerFor([each]));
    assert.deepEqual(await Promise.all(offsets), [100n, 104n, 101n]);
  });

  test('with five requests out, the batches that come meanwhile leave together when one is answered', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    fillConnection(combined, connection);
    const late = [target('orders', 5), target('payments', 0), target('orders', 6)];
    const lateOffsets = late.map((each) => combined.send(connection, each, batch('late')));
    assert.equal(sent.length, 5);
    sent[2]!.answer(null, answerFor([target('filler', 2)]));
    assert.equal(sent.length, 6);
    assert.deepEqual(
      sent[5]!.payload,
      request(
        null,
        late.map((each) => [each, batch('late')]),
      ),
    );
    sent[5]!.answer(null, answerFor(late));
    assert.deepEqual(await Promise.all(lateOffsets), [105n, 100n, 106n]);
  });

  test("a connection's progress: the bytes of its requests out, and when the broker last answered one", async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    const fillers = Array.from({ length: 5 }, (_, partition) =>
      combined.send(connection, target('filler', partition), batch('filler')),
    );
    void combined.send(connection, target('orders', 0), batch('late'));
    assert.deepEqual(
      combined.progress(connection),
      { lastAnswerAtMs: null, bytesOut: 30 },
      'five fillers out',
    );
    const beforeMs = Date.now();
    sent[0]!.answer(null, answerFor([target('filler', 0)]));
    const { lastAnswerAtMs, bytesOut } = combined.progress(connection);
    assert.equal(bytesOut, 28, "four fillers and the batch that took the answered one's place");
    assert.ok(lastAnswerAtMs !== null && lastAnswerAtMs >= beforeMs);
    sent[1]!.answer(new NetworkError('Connection closed'));
    await assert.rejects(fillers[1]!, NetworkError);
    assert.equal(combined.progress(connection).lastAnswerAtMs, lastAnswerAtMs, 'a failure is no answer');
  });

  test('a partition refused fails alone; the others of its request are stored', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    fillConnection(combined, connection);
    const targets = [target('orders', 0), target('orders', 1)];
    const [first, second] = targets.map((each) => combined.send(connection, each, batch('b')));
    sent[0]!.answer(null, answerFor([target('filler', 0)]));
    const response = answerFor(targets, { 'orders/1': 10 });
    // The library reports an answer with errors as a ResponseError holding the whole answer.
    sent[5]!.answer(
      new ResponseError(0, 9, { '/responses/0/partition_responses/1': [10, null] }, response),
      undefined,
    );
    assert.equal(await first, 100n);
    await assert.rejects(second!, (error: unknown) => kafkaErrorIds(error).has('MESSAGE_TOO_LARGE'));
  });

  test('a failed connection fails every batch of the request', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    fillConnection(combined, connection);
    const writes = [target('orders', 0), target('orders', 1)].map((each) =>
      combined.send(connection, each, batch('b')),
    );
    sent[0]!.answer(null, answerFor([target('filler', 0)]));
    sent[5]!.answer(new NetworkError('Connection closed'));
    for (const write of writes) await assert.rejects(write, NetworkError);
  });

  test("a partition's second batch waits for the next request", async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    fillConnection(combined, connection);
    const writes = [
      combined.send(connection, target('orders', 0), batch('first')),
      combined.send(connection, target('orders', 0), batch('second')),
      combined.send(connection, target('orders', 1), batch('other')),
    ];
    sent[0]!.answer(null, answerFor([target('filler', 0)]));
    sent[1]!.answer(null, answerFor([target('filler', 1)]));
    assert.deepEqual(
      sent.slice(5).map((each) => each.payload),
      [
        request(null, [[target('orders', 0), batch('first')]]),
        request(null, [
          [target('orders', 0), batch('second')],
          [target('orders', 1), batch('other')],
        ]),
      ],
    );
    sent[5]!.answer(null, answerFor([target('orders', 0)]));
    sent[6]!.answer(null, answerFor([target('orders', 0), target('orders', 1)]));
    assert.deepEqual(await Promise.all(writes), [100n, 100n, 101n]);
  });

  test('transactional ids share the five places; their batches never share a request', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    fillConnection(combined, connection, 'georep.a');
    void combined.send(connection, target('orders', 0, 'georep.a'), batch('a'));
    void combined.send(connection, target('orders', 1, 'georep.b'), batch('b'));
    void combined.send(connection, target('orders', 2, 'georep.a'), batch('c'));
    assert.equal(sent.length, 5);
    sent[0]!.answer(null, answerFor([target('filler', 0)]));
    sent[1]!.answer(null, answerFor([target('filler', 1)]));
    assert.deepEqual(
      sent.slice(5).map((each) => each.payload),
      [
        request('georep.a', [
          [target('orders', 0), batch('a')],
          [target('orders', 2), batch('c')],
        ]),
        request('georep.b', [[target('orders', 1), batch('b')]]),
      ],
    );
  });

  test('batches waiting go in requests of at most 1 MiB; a larger batch goes alone', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    fillConnection(combined, connection);
    const sizes = [400, 400, 400, 1500, 100].map((kib) => Buffer.alloc(kib * 1024));
    sizes.forEach((each, partition) => void combined.send(connection, target('orders', partition), each));
    for (let answered = 0; answered < 3; answered++)
      sent[answered]!.answer(null, answerFor([target('filler', answered)]));
    assert.deepEqual(
      sent.slice(5).map((each) => each.payload),
      [
        request(null, [
          [target('orders', 0), sizes[0]!],
          [target('orders', 1), sizes[1]!],
        ]),
        request(null, [[target('orders', 2), sizes[2]!]]),
        request(null, [[target('orders', 3), sizes[3]!]]),
      ],
    );
    sent[3]!.answer(null, answerFor([target('filler', 3)]));
    assert.deepEqual(sent[8]!.payload, request(null, [[target('orders', 4), sizes[4]!]]));
  });

  test('a request that cannot be built fails its batches alone; the next ones still go', async () => {
    const { connection, sent } = fakeConnection();
    const combined = new CombinedProduce('destination', TIMEOUT_MS, () => undefined);
    // A partition number out of the protocol's range cannot be written into the request.
    const refused = combined.send(connection, target('orders', 2 ** 40), batch('b'));
    await assert.rejects(refused, RangeError);
    const next = combined.send(connection, target('orders', 1), batch('b'));
    sent[0]!.answer(null, answerFor([target('orders', 1)]));
    assert.equal(await next, 101n);
  });

  test('a throttle time in any answer is passed on', async () => {
    const { connection, sent } = fakeConnection();
    const throttles: number[] = [];
    const combined = new CombinedProduce('destination', TIMEOUT_MS, (_, ms) => throttles.push(ms));
    const write = combined.send(connection, target('orders', 0), batch('b'));
    sent[0]!.answer(null, { ...answerFor([target('orders', 0)]), throttleTimeMs: 250 });
    await write;
    assert.deepEqual(throttles, [250]);
  });
});
