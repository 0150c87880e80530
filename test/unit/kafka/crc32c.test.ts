import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { crc32c } from '../../../src/kafka/crc32c.js';

// kafkajs's own byte-at-a-time implementation, the reference the fast one replaces.
const kafkajsCrc32c = createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (
  bytes: Buffer,
) => number;

const ascending = Buffer.from(Array.from({ length: 32 }, (_, index) => index));

describe('crc32c', () => {
  // RFC 3720 (iSCSI), appendix B.4: the CRC as a number (the RFC lists its bytes least significant first).
  const rfc3720Vectors: [name: string, bytes: Buffer, crc: number][] = [
    ['32 bytes of zeroes', Buffer.alloc(32, 0x00), 0x8a9136aa],
    ['32 bytes of ones', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['32 incrementing bytes', ascending, 0x46dd794e],
    ['32 decrementing bytes', Buffer.from(ascending).reverse(), 0x113fdb5c],
    [
      'an iSCSI read command PDU',
      Buffer.from(
        [
          '01c00000',
          '00000000',
          '00000000',
          '00000000',
          '14000000',
          '00000400',
          '00000014',
          '00000018',
          '28000000',
          '00000000',
          '02000000',
          '00000000',
        ].join(''),
        'hex',
      ),
      0xd9963a56,
    ],
  ];
  for (const [name, bytes, crc] of rfc3720Vectors) {
    test(`matches RFC 3720's vector for ${name}`, () => {
      assert.equal(crc32c(bytes), crc);
    });
  }

  test('matches the common check value and the empty input', () => {
    assert.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  test('agrees with kafkajs’s implementation at every length 0–100 and on large buffers', () => {
    const data = randomBytes(200_000);
    for (let length = 0; length <= 100; length++) {
      const bytes = data.subarray(0, length);
      assert.equal(crc32c(bytes), kafkajsCrc32c(bytes) >>> 0, `length ${length}`);
    }
    for (const length of [1023, 1024, 65_537, 200_000]) {
      const bytes = data.subarray(0, length);
      assert.equal(crc32c(bytes), kafkajsCrc32c(bytes) >>> 0, `length ${length}`);
    }
  });

  test('reads a view at any byte offset of its buffer', () => {
    const data = randomBytes(5000);
    for (let start = 0; start < 9; start++) {
      const view = data.subarray(start, start + 4001);
      assert.equal(crc32c(view), kafkajsCrc32c(Buffer.from(view)) >>> 0, `offset ${start}`);
    }
  });

  test('continues a checksum over data split in pieces', () => {
    const data = randomBytes(10_001);
    for (const split of [0, 1, 7, 8, 4096, 10_001]) {
      assert.equal(
        crc32c(data.subarray(split), crc32c(data.subarray(0, split))),
        crc32c(data),
        `split ${split}`,
      );
    }
  });
});
