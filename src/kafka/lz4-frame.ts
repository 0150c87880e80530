// LZ4 compression into the frame that Kafka's Java client writes (KafkaLZ4BlockOutputStream): independent
// 64 KiB blocks, no checksums besides the header's. Decompression is lz4js's frame decoder.
//
// The block compressor is ours because lz4js's lets the last match of a block start closer than 12 bytes to
// its end, against the LZ4 block format; the reference decoder, which Java's lz4 uses, rejects such full
// blocks (`lz4 -d` refused 65 of 300 random frames of 64 KiB lz4js blocks). lz4js's own frame writer hides
// this behind 4 MiB blocks whose matches may reach into earlier blocks, which Kafka decodes one by one.

/** Magic number 0x184D2204, FLG 0x60 (version 01, independent blocks), BD 0x40 (64 KiB), header checksum. */
const FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
const BLOCK_BYTES = 64 * 1024;
/** Set in a block's size when the block is stored as it is, because compressing did not make it smaller. */
const UNCOMPRESSED_BLOCK_FLAG = 0x80000000;
const END_MARK = Buffer.alloc(4);

const MIN_MATCH = 4;
/** The last 5 bytes of a block are always literals. */
const LAST_LITERALS = 5;
/** The last match starts at least 12 bytes before the end of a block. */
const MATCH_FIND_LIMIT = 12;
const MAX_OFFSET = 65_535;
const HASH_BITS = 16;
/** After 2^6 positions without a match, the search steps further, so incompressible data passes quickly. */
const SKIP_TRIGGER = 6;

export function lz4CompressBound(inputBytes: number): number {
  return inputBytes + Math.floor(inputBytes / 255) + 16;
}

function read32(bytes: Uint8Array, index: number): number {
  return bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24);
}

function hashOf(sequence: number): number {
  return Math.imul(sequence, 2654435761) >>> (32 - HASH_BITS);
}

/** Writes the rest of a length that did not fit the token's 4 bits: 255s, then the remainder. */
function writeLengthTail(output: Uint8Array, position: number, remaining: number): number {
  let index = position;
  let rest = remaining;
  while (rest >= 255) {
    output[index++] = 255;
    rest -= 255;
  }
  output[index++] = rest;
  return index;
}

/** Writes one sequence: literals input[literalStart, matchStart), then a match; returns the new position. */
function writeSequence(
  output: Uint8Array,
  position: number,
  input: Uint8Array,
  literalStart: number,
  matchStart: number,
  matchOffset: number,
  matchLength: number,
): number {
  const literalLength = matchStart - literalStart;
  const tokenIndex = position;
  let index = position + 1;
  let token = 0;
  if (literalLength >= 15) {
    token = 0xf0;
    index = writeLengthTail(output, index, literalLength - 15);
  } else {
    token = literalLength << 4;
  }
  output.set(input.subarray(literalStart, matchStart), index);
  index += literalLength;
  output[index++] = matchOffset & 0xff;
  output[index++] = matchOffset >>> 8;
  const matchCode = matchLength - MIN_MATCH;
  if (matchCode >= 15) {
    token |= 0x0f;
    index = writeLengthTail(output, index, matchCode - 15);
  } else {
    token |= matchCode;
  }
  output[tokenIndex] = token;
  return index;
}

/**
 * Compresses one block on its own (no match reaches outside it) into `output`, which must hold
 * lz4CompressBound(input.length) bytes. Returns the compressed size.
 */
export function lz4CompressBlock(input: Uint8Array, output: Uint8Array): number {
  const end = input.length;
  let literalStart = 0;
  let position = 0;
  if (end > MATCH_FIND_LIMIT) {
    const lastMatchStart = end - MATCH_FIND_LIMIT;
    const matchEndLimit = end - LAST_LITERALS;
    const lastPositionOfHash = new Int32Array(1 << HASH_BITS).fill(-1);
    let index = 0;
    let misses = 0;
    while (index <= lastMatchStart) {
      const sequence = read32(input, index);
      const hash = hashOf(sequence);
      const candidate = lastPositionOfHash[hash]!;
      lastPositionOfHash[hash] = index;
      if (candidate >= 0 && index - candidate <= MAX_OFFSET && read32(input, candidate) === sequence) {
        let matchEnd = index + MIN_MATCH;
        let reference = candidate + MIN_MATCH;
        while (matchEnd < matchEndLimit && input[matchEnd] === input[reference]) {
          matchEnd++;
          reference++;
        }
        position = writeSequence(
          output,
          position,
          input,
          literalStart,
          index,
          index - candidate,
          matchEnd - index,
        );
        index = matchEnd;
        literalStart = index;
        misses = 0;
      } else {
        index += 1 + (misses++ >> SKIP_TRIGGER);
      }
    }
  }
  // The block ends with a token that has literals only.
  const literalLength = end - literalStart;
  if (literalLength >= 15) {
    output[position++] = 0xf0;
    position = writeLengthTail(output, position, literalLength - 15);
  } else {
    output[position++] = literalLength << 4;
  }
  output.set(input.subarray(literalStart, end), position);
  return position + literalLength;
}

/** One LZ4 frame holding `input`, as Kafka's Java producer writes it. */
export function lz4CompressFrame(input: Uint8Array): Buffer {
  const parts: Buffer[] = [FRAME_HEADER];
  const scratch = Buffer.allocUnsafe(lz4CompressBound(BLOCK_BYTES));
  for (let start = 0; start < input.length; start += BLOCK_BYTES) {
    const block = input.subarray(start, start + BLOCK_BYTES);
    const compressedBytes = lz4CompressBlock(block, scratch);
    const blockSize = Buffer.alloc(4);
    if (compressedBytes < block.length) {
      blockSize.writeUInt32LE(compressedBytes);
      // A copy: the scratch buffer is reused for the next block.
      parts.push(blockSize, Buffer.from(scratch.subarray(0, compressedBytes)));
    } else {
      blockSize.writeUInt32LE((block.length | UNCOMPRESSED_BLOCK_FLAG) >>> 0);
      parts.push(blockSize, Buffer.from(block.buffer, block.byteOffset, block.length));
    }
  }
  parts.push(END_MARK);
  return Buffer.concat(parts);
}
