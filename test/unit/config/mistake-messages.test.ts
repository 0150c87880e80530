// Common mistakes in a hand-edited file, each reported once, on the line that has it, with what to do.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { problems } from './helpers.js';

describe('indentation mistakes', () => {
  const file = (replication: string) => `clusters:
  london: { bootstrap: ["lon:9092"] }
  paris: { bootstrap: ["par:9092"] }
replications:
${replication}`;
  const cases: { name: string; replication: string; expected: string }[] = [
    {
      name: 'a key indented more than the one above: the line itself, not the value it joins',
      replication: `  - name: london-to-paris
      origin: london
    destinations: [paris]
    topics: { include: [orders] }
`,
      expected:
        "6:7: YAML: this line is indented more than the key above (6 spaces, not 4), so it reads as part of that key's value; a key of the same mapping starts at the same column (1 more YAML error after this one, maybe caused by it)",
    },
    {
      name: 'a key one space right of its siblings: the key, not column 1',
      replication: `  - origin: london
    destinations: [paris]
     topics: { include: [orders] }
`,
      expected:
        '7:6: YAML: this line is indented by 5 spaces, the column of no mapping or list above it: keys of one mapping start at the same column, as do the "-" of one list',
    },
    {
      name: 'a key one space left of its siblings',
      replication: `  - origin: london
    destinations: [paris]
   topics: { include: [orders] }
`,
      expected:
        '7:4: YAML: this line is indented by 3 spaces, the column of no mapping or list above it: keys of one mapping start at the same column, as do the "-" of one list',
    },
  ];
  for (const { name, replication, expected } of cases) {
    test(name, () => {
      assert.deepEqual(problems(file(replication)), [expected]);
    });
  }
});

/** A config whose one replication has `maxBytesPerSecond: <value>`, on line 8 column 24. */
const withCap = (value: string) => `clusters:
  london: { bootstrap: ["lon:9092"] }
  paris: { bootstrap: ["par:9092"] }
replications:
  - origin: london
    destinations: [paris]
    topics: { include: [orders] }
    maxBytesPerSecond: ${value}
`;

test('a fraction where a whole number belongs is one mistake, named with its value, not also out of range', () => {
  assert.deepEqual(problems(withCap('0.5')), [
    '8:24: replications[0].maxBytesPerSecond: must be a whole number or empty, not the fraction 0.5',
  ]);
});

test('a bandwidth cap beyond any link is out of range, not taken as no cap; the number is named as written', () => {
  assert.deepEqual(problems(withCap('1e300')), [
    '8:24: replications[0].maxBytesPerSecond: 1e300 is out of range: must be at most 1000000000000',
  ]);
  assert.deepEqual(problems(withCap('9007199254740993')), [
    '8:24: replications[0].maxBytesPerSecond: 9007199254740993 is out of range: must be at most 1000000000000',
  ]);
});

test('a YAML tag other than plain data is one error at the tag, not a warning and a wrong type', () => {
  assert.deepEqual(problems(withCap('!!float 20000')), [
    "8:24: YAML: the tag !!float is not used in georep's configuration: write the value without it",
  ]);
  assert.deepEqual(problems(withCap('!!binary aGVsbG8=')), [
    "8:24: YAML: the tag !!binary is not used in georep's configuration: write the value without it",
  ]);
  assert.deepEqual(
    problems(withCap('!!int "20000000"')),
    [],
    '!!int makes a number, as written without quotes',
  );
  assert.deepEqual(problems(withCap('!!int twenty')), ['8:24: YAML: the tag !!int does not fit its value']);
  assert.deepEqual(
    problems(withCap('1000').replace('topics: {', 'topics: !orders {')),
    ["7:13: YAML: the tag !orders is not used in georep's configuration: write the value without it"],
    'on a mapping too',
  );
});

test('a cap written with a unit, in quotes or too large for a number says what is wanted', () => {
  assert.deepEqual(problems(withCap('20MB')), [
    '8:24: replications[0].maxBytesPerSecond: must be a whole number or empty, not a string (bytes per second, e.g. 20000000 for 20 MB/s)',
  ]);
  assert.deepEqual(problems(withCap('"20000000"')), [
    '8:24: replications[0].maxBytesPerSecond: must be a whole number or empty, not a string (write it without quotes: 20000000)',
  ]);
  assert.deepEqual(problems(withCap('1e400')), [
    '8:24: replications[0].maxBytesPerSecond: must be a whole number or empty, not an infinite number',
  ]);
});
