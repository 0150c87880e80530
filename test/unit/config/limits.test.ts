// Hostile and careless files: each is refused with one short error at the place that broke a limit,
// before the parser builds anything, and no message quotes more than a short part of a long value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { problems } from './helpers.js';

const CLUSTERS = `clusters:
  london: { bootstrap: [kafka-lon-1:9092] }
  paris: { bootstrap: [kafka-par-1:9092] }
`;

function replicationWith(topics: string): string {
  return `${CLUSTERS}replications:
  - origin: london
    destinations: [paris]
    topics: ${topics}
`;
}

const refused: { what: string; text: () => string; expected: string }[] = [
  {
    what: 'a file larger than 4 MiB',
    text: () => replicationWith(`{ include: [orders] }\n# ${'x'.repeat(4 * 1024 * 1024)}`),
    expected:
      '1:1: the file is 4,194,497 bytes long; a configuration file may have at most 4,194,304 (4 MiB)',
  },
  {
    what: 'one value longer than 256 KiB',
    text: () => replicationWith(`{ include: ["${'x'.repeat(300_000)}"] }`),
    expected: '7:25: this value is 300,002 characters long; at most 262,144 are allowed',
  },
  {
    what: 'lists nested 5,000 deep',
    text: () => `${CLUSTERS}replications: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
    expected:
      '4:78: the file nests lists and mappings more than 64 levels deep here; a configuration needs fewer than 10',
  },
  {
    what: 'block sequences nested 100 deep on one line',
    text: () => `${CLUSTERS}replications:\n  ${'- '.repeat(100)}x\n`,
    expected:
      '5:129: the file nests lists and mappings more than 64 levels deep here; a configuration needs fewer than 10',
  },
  {
    what: 'an include list of 10,001 entries',
    text: () => replicationWith(`\n      include:\n${'        - orders\n'.repeat(10_001)}`),
    expected:
      '9:9: this list or mapping has more than 10,000 entries, the most a configuration file may have in one place',
  },
  {
    what: 'a flow list of 10,001 entries',
    text: () => replicationWith(`{ include: [${'orders, '.repeat(10_001)}] }`),
    expected:
      '7:24: this list or mapping has more than 10,000 entries, the most a configuration file may have in one place',
  },
];

describe('limits checked before parsing', () => {
  for (const { what, text, expected } of refused) {
    test(`${what} is refused at the place that broke the limit`, () => {
      assert.deepEqual(problems(text()), [expected]);
    });
  }

  test('an error about a long pattern quotes only its first characters', () => {
    const lines = problems(replicationWith(`{ include: ["/${'a'.repeat(5_000)}/"] }`));
    assert.deepEqual(lines, [
      `7:25: replications[0].topics.include[0]: pattern "/${'a'.repeat(59)}"… (5002 characters) is 5002 characters long; at most 1000 are allowed`,
    ]);
  });
});

describe('messages about long values', () => {
  const long = 'x'.repeat(100_000);
  const cases: [string, string, string][] = [
    [
      'an unknown destination cluster',
      `${CLUSTERS}replications:\n  - { origin: london, destinations: [${long}], topics: { include: [orders] } }\n`,
      `5:38: replications[0].destinations[0]: "${'x'.repeat(60)}"… (100000 characters) is not a cluster defined under clusters (defined: london, paris)`,
    ],
    [
      'a value that is not one of those allowed',
      `${replicationWith('{ include: [orders] }')}    start: ${long}\n`,
      `8:12: replications[0].start: "${'x'.repeat(60)}"… (100000 characters) is not one of earliest, latest`,
    ],
  ];
  for (const [what, text, expected] of cases) {
    test(`${what} is quoted by its first 60 characters only`, () => {
      assert.deepEqual(problems(text), [expected]);
    });
  }
});

describe('YAML mistakes a new user makes', () => {
  const cases: [string, string, string][] = [
    [
      'an unquoted glob starting with * is an alias: say where, and to quote it',
      replicationWith('{ include: [orders, *.orders] }'),
      '7:33: YAML: "*.orders" is read as an alias of an anchor that does not exist; a value starting with * must be quoted: write "*.orders"',
    ],
    [
      'an unclosed [ is reported at the bracket, not on the next line',
      `${CLUSTERS}replications:\n  - origin: london\n    destinations: [paris\n    topics: { include: [orders] }\n`,
      '6:19: YAML: this "[" is never closed: end the list with "]" (lines that continue it must be indented more than its key)',
    ],
    [
      'an unclosed { at the end of the file is reported at the brace',
      `${CLUSTERS}replications:\n  - { origin: london, destinations: [paris]\n`,
      '5:5: YAML: this "{" is never closed: end the mapping with "}" (lines that continue it must be indented more than its key)',
    ],
  ];
  for (const [what, text, expected] of cases) {
    test(what, () => {
      assert.deepEqual(problems(text), [expected]);
    });
  }
});

describe('limits the schema states', () => {
  test('an include list of more than 1,000 patterns is refused at the list', () => {
    const patterns = Array.from({ length: 1_001 }, (_, i) => `t${i}`).join(', ');
    assert.deepEqual(problems(replicationWith(`{ include: [${patterns}] }`)), [
      '7:24: replications[0].topics.include: must list at most 1000 entries',
    ]);
  });
});
