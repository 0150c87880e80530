// Compressing the records of a batch the sink writes (record-batch.ts), with as little garbage as it can make.
// Why it matters: every buffer of this size is an ArrayBuffer outside V8's heap, and V8 starts a full
// mark-compact each time about 64 MiB more of them were allocated ("external memory pressure"). Copying a zstd
// topic of JSON, the sink allocated the records' bytes before compression (one 512 KiB buffer per request) and
// zlib's output buffer sized for the worst case (as large again): with the decompressed fetches, 2.8 GB for
// 1,000,000 events, a mark-compact every quarter of a second, and V8's helper threads busy with them for as many
// CPU seconds as compressing took. Now the records' bytes are written into scratch buffers used again and again,
// and zlib's output buffer is sized by what the codec made of the records before.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { compressionsAlgorithms } from '@platformatic/kafka';
import type { CompressionCodec } from '../port.js';

type Codec = Exclude<CompressionCodec, 'none'>;

/** Scratch buffers kept are this large: a write's request holds up to 512 KiB of records (write-chunks.ts). */
export const SCRATCH_BYTES = 1024 * 1024;
/** Records of at least this size get a whole scratch buffer, kept for another batch once compressed. */
const KEPT_SCRATCH_FROM_BYTES = SCRATCH_BYTES / 4;
/**
 * Scratch buffers kept for the next batches. A sink compresses up to two requests at once (the one being written
 * and the next, encodeAhead): enough for a few busy flows; a process with more allocates the others as before.
 */
const MAX_SPARE_SCRATCH_BUFFERS = 8;
const spareScratch: Buffer[] = [];

function takeScratch(bytes: number): Buffer {
  const spare = bytes <= SCRATCH_BYTES ? spareScratch.pop() : undefined;
  if (spare !== undefined) return spare;
  return Buffer.allocUnsafeSlow(
    bytes >= KEPT_SCRATCH_FROM_BYTES && bytes <= SCRATCH_BYTES ? SCRATCH_BYTES : bytes,
  );
}

function giveBackScratch(buffer: Buffer): void {
  if (buffer.length === SCRATCH_BYTES && spareScratch.length < MAX_SPARE_SCRATCH_BUFFERS) {
    spareScratch.push(buffer);
  }
}

/** zlib's default: a small batch (a stream of a few records) gets no larger buffer than that. */
const MIN_OUTPUT_BYTES = 16 * 1024;
/** zlib's output buffer is the expected size plus this share: a batch compressing a little worse fits too. */
const OUTPUT_HEADROOM = 1.25;
/**
 * What the last batch of each codec compressed to, as a share of its records' bytes; JSON starts the guess. One
 * share for all flows: a flow whose records compress unlike the last batch's gets a buffer too large or its
 * output in a few pieces, never wrong bytes.
 */
const lastCompressedShare: Record<'gzip' | 'zstd', number> = { gzip: 0.25, zstd: 0.25 };

/**
 * zlib's output buffer for compressing `plainBytes` that should take `compressedShare` of them (what the codec's
 * last batch took), not the worst case: zlib allocates it whole for every call. Output beyond it comes back in
 * further pieces, joined once; with zlib's default of 16 KiB, a 512 KiB batch of JSON came back in six, each a
 * hop from the thread pool to the event loop. At least an eighth of the records, so that a share learnt from
 * records that compress to nothing never means dozens of pieces.
 */
export function compressionOutputBytes(plainBytes: number, compressedShare: number): number {
  const worstCase = plainBytes + (plainBytes >> 7) + 1024;
  const expected = Math.ceil(plainBytes * compressedShare * OUTPUT_HEADROOM) + 1024;
  return Math.max(MIN_OUTPUT_BYTES, plainBytes >> 3, Math.min(worstCase, expected));
}

const gzip = promisify(zlib.gzip);
// Level 3, zstd's default, as Kafka's Java producer uses. Large batches are compressed on zlib's thread pool,
// so that a compressing sink keeps the event loop free (and, with more than one core, compresses in parallel).
const zstd = promisify(zlib.zstdCompress);
/**
 * Records up to this size are compressed on the event loop, in about half a millisecond for 128 KiB of JSON
 * with zstd (gzip takes a few times as long): a steady stream's batches are this small, and their trip to
 * zlib's thread pool and back took up to 33 ms at the 99th percentile on a busy machine (waiting for a thread
 * to run), the tail of the stream's latency. A copy's requests of up to 512 KiB still go to the pool.
 */
const COMPRESS_ON_EVENT_LOOP_MAX_BYTES = 128 * 1024;

async function compressWithZlib(codec: 'gzip' | 'zstd', plain: Buffer): Promise<Buffer> {
  const options = { chunkSize: compressionOutputBytes(plain.length, lastCompressedShare[codec]) };
  let compressed: Buffer;
  if (plain.length <= COMPRESS_ON_EVENT_LOOP_MAX_BYTES) {
    compressed = codec === 'gzip' ? zlib.gzipSync(plain, options) : zlib.zstdCompressSync(plain, options);
  } else {
    compressed = await (codec === 'gzip' ? gzip(plain, options) : zstd(plain, options));
  }
  lastCompressedShare[codec] = compressed.length / Math.max(1, plain.length);
  return compressed;
}

const COMPRESSORS: Record<Codec, (plain: Buffer) => Promise<Buffer>> = {
  gzip: (plain) => compressWithZlib('gzip', plain),
  zstd: (plain) => compressWithZlib('zstd', plain),
  // The library's WebAssembly codecs, synchronous.
  snappy: async (plain) => compressionsAlgorithms.snappy.compressSync(plain) as Buffer,
  lz4: async (plain) => compressionsAlgorithms.lz4.compressSync(plain) as Buffer,
};

/**
 * Compresses `plainBytes` of records with `codec`: `write` puts them into the buffer it is given (exactly
 * `plainBytes` long, a scratch buffer that is used again once the compressed bytes are back, so `write` must not
 * keep it).
 */
export async function compressRecords(
  codec: Codec,
  plainBytes: number,
  write: (plain: Buffer) => void,
): Promise<Buffer> {
  const scratch = takeScratch(plainBytes);
  try {
    const plain = scratch.subarray(0, plainBytes);
    write(plain);
    return await COMPRESSORS[codec](plain);
  } finally {
    // zlib reads its input until the call ends, and no longer: the buffer can be written again.
    giveBackScratch(scratch);
  }
}
