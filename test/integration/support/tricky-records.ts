// Records that a mirror must carry over unchanged, and that clients tend to change: null and empty keys and
// values, headers in order with repeated keys, null and non-UTF-8 values, timestamps from 1970 and out of order.
import type { RecordHeader, RecordToWrite } from '../../../src/kafka/port.js';

/** Topics holding TRICKY_RECORDS need this config: time-based retention would delete records from 1970. */
export const KEEP_FOREVER = ['retention.ms', '-1'] as const;

export const header = (key: string | Buffer, value: string | Buffer | null): RecordHeader => ({
  key: typeof key === 'string' ? Buffer.from(key) : key,
  value: typeof value === 'string' ? Buffer.from(value) : value,
});

/** Everything a record can be that a mirror must not change. */
export const TRICKY_RECORDS: readonly RecordToWrite[] = [
  { key: null, value: Buffer.from('no key, no headers'), headers: [], timestampMs: 1_700_000_000_000 },
  {
    key: Buffer.from('tombstone'),
    value: null,
    headers: [header('deleted-by', 'retention-job')],
    timestampMs: 1_700_000_000_001,
  },
  {
    key: Buffer.alloc(0),
    value: Buffer.alloc(0),
    headers: [header('', Buffer.alloc(0)), header('empty', Buffer.alloc(0))],
    timestampMs: 0,
  },
  {
    key: Buffer.from([0xff, 0xfe, 0x00, 0x80]),
    value: Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x00, 0xf0, 0x28, 0x8c, 0xbc]),
    headers: [
      header('trace', 'first'),
      header('b', null),
      header('a', Buffer.from([0xff, 0x00])),
      header('trace', 'second'),
      header('2', 'integer-like keys stay where they are'),
      header('1', null),
      header('trace', null),
      header('ключ-🔑', 'utf-8 key'),
      header('__proto__', 'just a name'),
    ],
    timestampMs: 1000,
  },
  {
    key: Buffer.from('k'),
    value: Buffer.from('earlier than the record before'),
    headers: [],
    timestampMs: 999,
  },
];
