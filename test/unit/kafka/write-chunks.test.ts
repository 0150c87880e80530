// How a write is split into produce requests: by size, and with compression `origin` also by the codec of
// each record's origin batch, so that every record leaves with the codec it arrived with; and split further
// when the destination refuses a request as too large.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RecordTooLarge } from '../../../src/kafka/errors.js';
import type { CompressionCodec, OriginBatch, RecordToWrite } from '../../../src/kafka/port.js';
import {
  chunksOfAtMost,
  RequestSizes,
  sendSplittingTooLarge,
  type WriteChunk,
  writeChunks,
} from '../../../src/kafka/write-chunks.js';

function record(name: string, compression?: CompressionCodec): RecordToWrite {
  return {
    key: Buffer.from(name),
    value: Buffer.alloc(100),
    headers: [],
    timestampMs: 0,
    ...(compression === undefined ? {} : { compression }),
  };
}

/** Each chunk as `codec:key,key`. */
function shapeOf(chunks: ReturnType<typeof writeChunks>): string[] {
  return chunks.map(({ codec, records }) => `${codec}:${records.map((r) => r.key?.toString()).join(',')}`);
}

describe('writeChunks', () => {
  const mixed = [
    record('a', 'zstd'),
    record('b', 'zstd'),
    record('c', 'lz4'),
    record('d'),
    record('e', 'none'),
    record('f', 'zstd'),
  ];

  test('origin: consecutive records of one codec share a request; a change of codec starts a new one', () => {
    assert.deepEqual(shapeOf(writeChunks(mixed, 1_000_000, 'origin')), [
      'zstd:a,b',
      'lz4:c',
      'none:d,e',
      'zstd:f',
    ]);
  });

  test('a named codec puts every record in requests of that codec, whatever the origin used', () => {
    assert.deepEqual(shapeOf(writeChunks(mixed, 1_000_000, 'gzip')), ['gzip:a,b,c,d,e,f']);
  });

  test('requests stay within the size limit within a run of one codec', () => {
    const sameCodec = ['a', 'b', 'c', 'd'].map((name) => record(name, 'snappy'));
    assert.deepEqual(shapeOf(writeChunks(sameCodec, 260, 'origin')), ['snappy:a,b', 'snappy:c,d']);
  });
});

describe('the sink splits a write into requests', () => {
  const sized = (valueBytes: number): RecordToWrite => ({
    key: null,
    value: Buffer.alloc(valueBytes),
    headers: [],
    timestampMs: 0,
  });

  test('keeps order and puts as many records as fit into each request', () => {
    const records = [sized(400), sized(400), sized(400), sized(100)];
    const chunks = chunksOfAtMost(records, 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.length),
      [2, 2],
    );
    assert.deepEqual(chunks.flat(), records);
  });

  test('sends a record larger than the limit on its own instead of dropping it', () => {
    const chunks = chunksOfAtMost([sized(10), sized(5000), sized(10)], 1000);
    assert.deepEqual(
      chunks.map((chunk) => chunk.map((r) => r.value!.length)),
      [[10], [5000], [10]],
    );
  });
});

describe('origin batches forwarded as they came', () => {
  /** Records read from one origin batch of `codec`, each pointing to it, as record-batches.ts makes them. */
  function originBatch(names: string[], codec: CompressionCodec): RecordToWrite[] {
    const batch = { received: Buffer.from(names.join()), codec, records: [] as RecordToWrite[] };
    for (const name of names) batch.records.push({ ...record(name, codec), originBatch: batch });
    return batch.records;
  }
  /** Each chunk as `codec:key,key`, with `>` before a chunk that is forwarded. */
  const shape = (chunks: ReturnType<typeof writeChunks>) =>
    chunks.map((chunk, index) => `${chunk.forward === undefined ? '' : '>'}${shapeOf(chunks)[index]}`);

  test('a whole batch is a request of its own, forwarded; records around it are encoded', () => {
    const records = [record('a', 'zstd'), ...originBatch(['b', 'c'], 'zstd'), record('d', 'zstd')];
    assert.deepEqual(shape(writeChunks(records, 1000, 'origin')), ['zstd:a', '>zstd:b,c', 'zstd:d']);
    assert.deepEqual(shape(writeChunks(records, 1000, 'zstd')), ['zstd:a', '>zstd:b,c', 'zstd:d']);
  });

  test('a batch forwarded is not split by the size limit: it goes as the origin took it', () => {
    assert.deepEqual(shape(writeChunks(originBatch(['a', 'b', 'c'], 'lz4'), 130, 'origin')), ['>lz4:a,b,c']);
  });

  test('batches smaller than a quarter of a request are encoded together: fewer requests, one after another', () => {
    const small = [...originBatch(['a'], 'zstd'), ...originBatch(['b'], 'zstd')];
    // Each record is about 125 bytes: a quarter of 500 forwards each, a quarter of 504 does not.
    assert.deepEqual(shape(writeChunks(small, 500, 'origin')), ['>zstd:a', '>zstd:b']);
    assert.deepEqual(shape(writeChunks(small, 504, 'origin')), ['zstd:a,b']);
  });

  test('a sink that sends several requests at a time forwards batches down to the share it asks for', () => {
    const small = [...originBatch(['a'], 'zstd'), ...originBatch(['b'], 'zstd')];
    // An eighth of 1000 forwards each record of about 125 bytes, an eighth of 1008 does not.
    assert.deepEqual(shape(writeChunks(small, 1000, 'origin', { minForwardedShare: 1 / 8 })), [
      '>zstd:a',
      '>zstd:b',
    ]);
    assert.deepEqual(shape(writeChunks(small, 1008, 'origin', { minForwardedShare: 1 / 8 })), ['zstd:a,b']);
  });

  test('another codec than the batch has, part of a batch, or a record changed on the way: encoded', () => {
    const batch = originBatch(['a', 'b'], 'zstd');
    assert.deepEqual(shape(writeChunks(batch, 400, 'origin')), ['>zstd:a,b']);
    assert.deepEqual(shape(writeChunks(batch, 400, 'gzip')), ['gzip:a,b']);
    assert.deepEqual(shape(writeChunks(batch.slice(1), 400, 'origin')), ['zstd:b']);
    const withHeader = { ...batch[1]!, headers: [{ key: Buffer.from('georep-origin'), value: null }] };
    assert.deepEqual(shape(writeChunks([batch[0]!, withHeader], 400, 'origin')), ['zstd:a,b']);
  });
});

describe('slices for a bandwidth cap keep origin batches whole', () => {
  test('a slice boundary never runs through an origin batch that is all there; one larger than a slice goes alone', () => {
    const batch = { received: Buffer.alloc(0), codec: 'zstd' as const, records: [] as RecordToWrite[] };
    for (const name of ['b', 'c']) batch.records.push({ ...record(name, 'zstd'), originBatch: batch });
    const records = [record('a'), ...batch.records, record('d')];
    const keys = (slices: RecordToWrite[][]) =>
      slices.map((slice) => slice.map((r) => r.key?.toString()).join(''));
    assert.deepEqual(keys(chunksOfAtMost(records, 260)), ['ab', 'cd']);
    assert.deepEqual(keys(chunksOfAtMost(records, 260, true)), ['a', 'bc', 'd']);
    assert.deepEqual(keys(chunksOfAtMost(records, 200, true)), ['a', 'bc', 'd']);
    assert.deepEqual(keys(chunksOfAtMost(records.slice(2), 200, true)), ['c', 'd']);
  });
});

describe('a request refused as too large', () => {
  // Each record is about 125 bytes as estimated; this destination takes requests of two records at most.
  const records = 'abcdefgh'.split('').map((name) => record(name, 'zstd'));
  function destination(maxRecords: number) {
    const attempts: string[] = [];
    const send = async (chunk: WriteChunk) => {
      const keys = chunk.records.map((each) => each.key?.toString()).join('');
      const refused = chunk.records.length > maxRecords;
      attempts.push(`${chunk.forward === undefined ? '' : '>'}${keys}${refused ? ' refused' : ''}`);
      if (refused) throw new RecordTooLarge('paris', 'MESSAGE_TOO_LARGE');
      return { firstOffset: 0n, recordCount: chunk.records.length };
    };
    return { attempts, send };
  }

  test('goes again in requests of half its size, in order, and the topic keeps to the smaller size', async () => {
    const sizes = new RequestSizes(512 * 1024);
    const { attempts, send } = destination(2);
    const written = await sendSplittingTooLarge('orders', { records, codec: 'zstd' }, 'origin', sizes, send);
    assert.deepEqual(attempts, ['abcdefgh refused', 'abcd refused', 'ab', 'cd', 'efgh refused', 'ef', 'gh']);
    assert.equal(written.length, 4);
    assert.equal(sizes.of('orders'), 250, 'later writes to the topic start at two records');
    assert.equal(sizes.of('payments'), 512 * 1024, 'other topics are left alone');
    sizes.forget('orders');
    assert.equal(sizes.of('orders'), 512 * 1024, 'a re-created topic starts over');
  });

  test('a size learnt from a refusal is kept for 10 minutes, then the default is tried again', () => {
    const clock = { nowMs: 0 };
    const sizes = new RequestSizes(512 * 1024, () => clock.nowMs);
    sizes.refused('orders', records);
    assert.equal(sizes.of('orders'), 500);
    clock.nowMs = 599_999;
    assert.equal(sizes.of('orders'), 500);
    clock.nowMs = 600_000;
    assert.equal(sizes.of('orders'), 512 * 1024, "the topic's max.message.bytes may have been raised since");
  });

  test('one record refused is refused for good, tried once', async () => {
    const { attempts, send } = destination(0);
    await assert.rejects(
      sendSplittingTooLarge(
        'orders',
        { records: records.slice(0, 1), codec: 'zstd' },
        'origin',
        new RequestSizes(1000),
        send,
      ),
      RecordTooLarge,
    );
    assert.deepEqual(attempts, ['a refused']);
  });

  test('a forwarded origin batch refused is encoded in requests of the topic size, then split as needed', async () => {
    const batch = { received: Buffer.alloc(300), codec: 'zstd' as const, records };
    const sizes = new RequestSizes(500);
    const { attempts, send } = destination(4);
    await sendSplittingTooLarge('orders', { records, codec: 'zstd', forward: batch }, 'origin', sizes, send);
    assert.deepEqual(attempts, ['>abcdefgh refused', 'abcd', 'efgh']);
    assert.equal(sizes.of('orders'), 500, 'a batch larger than a request says nothing of the topic limit');
  });

  test('after a forwarded batch was refused, as large a batch is encoded for 10 minutes, a smaller one still forwarded', () => {
    const clock = { nowMs: 0 };
    const sizes = new RequestSizes(512 * 1024, () => clock.nowMs);
    const originBatch = (bytes: number, keys: string) => {
      const batchRecords: RecordToWrite[] = [];
      const batch = { received: Buffer.alloc(bytes), codec: 'zstd' as const, records: batchRecords };
      for (const key of keys) {
        batchRecords.push({ ...record(key, 'zstd'), value: Buffer.alloc(40_000), originBatch: batch });
      }
      return batch;
    };
    const forwarded = (batch: OriginBatch) =>
      writeChunks(batch.records, sizes.of('orders'), 'origin', {
        maxForwardedBytes: sizes.forwardedAtMost('orders'),
      }).map((chunk) => chunk.forward !== undefined);
    const large = originBatch(60_000, 'abcd');
    const smaller = originBatch(20_000, 'efgh');
    assert.deepEqual(forwarded(large), [true]);
    sizes.refusedForwarded('orders', large.received.length);
    assert.deepEqual(forwarded(large), [false], 'refused once, the same size is not sent again as it came');
    assert.deepEqual(forwarded(smaller), [true]);
    assert.equal(sizes.forwardedAtMost('payments'), Number.POSITIVE_INFINITY, 'other topics are left alone');
    clock.nowMs = 600_000;
    assert.deepEqual(forwarded(large), [true], "the topic's max.message.bytes may have been raised since");
    sizes.refusedForwarded('orders', large.received.length);
    sizes.forget('orders');
    assert.deepEqual(forwarded(large), [true], 'a re-created topic starts over');
  });
});
