import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isNeverMirrored,
  isNeverMirroredGroup,
  matchesPattern,
  parsePattern,
  selectsName,
} from '../../../src/config/patterns.js';
import type { NamePattern, NameSelector } from '../../../src/config/types.js';

const position = { file: 'geo.yaml', line: 1, col: 1 };

function pattern(text: string): NamePattern {
  const parsed = parsePattern(text, 'topic', position);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.pattern;
}

function selector(include: string[], exclude: string[] = []): NameSelector {
  return { include: include.map(pattern), exclude: exclude.map(pattern) };
}

describe('writing a pattern', () => {
  test('a plain name is a literal, * or ? make a glob, slashes make a regular expression', () => {
    assert.deepEqual(pattern('orders'), { kind: 'literal', source: 'orders', position });
    assert.deepEqual(pattern('orders.*'), { kind: 'glob', source: 'orders.*', position });
    assert.deepEqual(pattern('audit-??'), { kind: 'glob', source: 'audit-??', position });
    assert.deepEqual(pattern('/^orders\\.(eu|us)$/'), {
      kind: 'regex',
      source: '^orders\\.(eu|us)$',
      flags: '',
      position,
    });
    assert.deepEqual(pattern('/orders/i'), { kind: 'regex', source: 'orders', flags: 'i', position });
  });

  const rejected: [string, string][] = [
    ['/orders.(eu/', 'regular expression "/orders.(eu/" does not compile: missing closing ) (RE2 syntax)'],
    ['/orders/g', 'regular expression "/orders/g" has flags "g"; only "i" is allowed'],
    [
      '/(orders)\\1/',
      'regular expression "/(orders)\\\\1/" uses lookaround or a backreference, which patterns do not support: they are matched in linear time (RE2 syntax)',
    ],
    [
      '/(?!test)orders/',
      'regular expression "/(?!test)orders/" uses lookaround or a backreference, which patterns do not support: they are matched in linear time (RE2 syntax)',
    ],
    [
      '/(?<=eu\\.)orders/',
      'regular expression "/(?<=eu\\\\.)orders/" uses lookaround or a backreference, which patterns do not support: they are matched in linear time (RE2 syntax)',
    ],
    ['/a{2000}/', 'regular expression "/a{2000}/" does not compile: invalid repeat count (RE2 syntax)'],
    [
      `/${'x'.repeat(1_000)}/`,
      `pattern "/${'x'.repeat(59)}"… (1002 characters) is 1002 characters long; at most 1000 are allowed`,
    ],
    ['/orders', '"/orders" starts a regular expression but has no closing slash: write /…/'],
    ['//', 'the regular expression "//" is empty'],
    [
      'orders/eu',
      "\"orders/eu\" is not a valid topic name: topic names use letters, digits, '.', '_' and '-' (for a regular expression write /…/)",
    ],
    [
      'orders eu*',
      "\"orders eu*\" is not a valid glob: topic names use letters, digits, '.', '_' and '-' (for a regular expression write /…/)",
    ],
  ];
  for (const [text, problem] of rejected) {
    test(`"${text}" is refused: ${problem}`, () => {
      assert.deepEqual(parsePattern(text, 'topic', position), { ok: false, problem });
    });
  }

  test('group patterns may use characters that topic names cannot', () => {
    assert.equal(parsePattern('billing team', 'group', position).ok, true);
    assert.equal(parsePattern('billing team', 'topic', position).ok, false);
  });
});

describe('matching a name', () => {
  const cases: [string, string, boolean][] = [
    ['orders', 'orders', true],
    ['orders', 'orders.eu', false],
    ['orders', 'Orders', false],
    ['orders.*', 'orders.eu', true],
    ['orders.*', 'orders.', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.eu.v2', true],
    ['*.internal', 'orders.internal', true],
    ['*.internal', 'orders.internal.v2', false],
    ['audit-??', 'audit-eu', true],
    ['audit-??', 'audit-eur', false],
    ['a.c', 'abc', false],
    ['o*s', 'orders', true],
    ['*', 'orders.eu', true],
    ['/orders\\.(eu|us)/', 'orders.eu', true],
    ['/orders\\.(eu|us)/', 'orders.eu.v2', false],
    ['/orders\\.(eu|us)/', 'old.orders.eu', false],
    ['/^orders\\.(eu|us)$/', 'orders.us', true],
    ['/orders|payments/', 'payments', true],
    ['/orders|payments/', 'orders.payments', false],
    ['/ORDERS/i', 'orders', true],
    ['/ORDERS/', 'orders', false],
  ];
  for (const [text, name, expected] of cases) {
    test(`${text} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      assert.equal(matchesPattern(pattern(text), name), expected);
    });
  }

  test('a regular expression that would backtrack catastrophically in JavaScript matches in linear time', () => {
    // /(a+)+$/ against 'aaa…a!' takes exponential time in JavaScript's engine: 2^30 steps for 30 a's.
    const name = `${'a'.repeat(248)}!`;
    const startedMs = performance.now();
    assert.equal(matchesPattern(pattern('/(a+)+$/'), name), false);
    assert.equal(matchesPattern(pattern('/(a|aa)+b/'), name), false);
    const elapsedMs = performance.now() - startedMs;
    assert.ok(elapsedMs < 1_000, `matching took ${elapsedMs} ms`);
  });

  test('a regular expression is anchored: it must match the whole name', () => {
    assert.equal(matchesPattern(pattern('/rders/'), 'orders'), false);
    assert.equal(matchesPattern(pattern('/.*rders/'), 'orders'), true);
  });
});

describe('selecting with include and exclude', () => {
  const orders = selector(['orders.*', 'payments'], ['*.internal', '/orders\\.test.*/']);

  test('a name matching an include and no exclude is selected', () => {
    assert.equal(selectsName(orders, 'orders.eu'), true);
    assert.equal(selectsName(orders, 'payments'), true);
  });

  test('excludes win over includes', () => {
    assert.equal(selectsName(orders, 'orders.internal'), false);
    assert.equal(selectsName(orders, 'orders.test-1'), false);
  });

  test('a name matching no include is not selected', () => {
    assert.equal(selectsName(orders, 'invoices'), false);
  });

  test('an empty include list selects nothing', () => {
    assert.equal(selectsName(selector([]), 'orders'), false);
  });
});

describe('names that are never mirrored', () => {
  const daemon = { groupIdPrefix: 'georep-dr' };

  test("Kafka's internal topics are never mirrored", () => {
    assert.equal(isNeverMirrored('__consumer_offsets', daemon), true);
    assert.equal(isNeverMirrored('__transaction_state', daemon), true);
    assert.equal(isNeverMirrored('__anything', daemon), true);
  });

  test("georep's own topics, under georep. or the group id prefix, are never mirrored", () => {
    assert.equal(isNeverMirrored('georep.checkpoints', daemon), true);
    assert.equal(isNeverMirrored('georep-dr.offset-syncs', daemon), true);
  });

  test('ordinary topics, also ones that merely resemble those, are mirrored', () => {
    assert.equal(isNeverMirrored('orders', daemon), false);
    assert.equal(isNeverMirrored('_orders', daemon), false);
    assert.equal(isNeverMirrored('georeport', daemon), false);
    assert.equal(isNeverMirrored('georep-dr-orders', daemon), false);
  });

  test("georep's own consumer groups never have their positions translated", () => {
    assert.equal(isNeverMirroredGroup('georep-dr-london-orders', daemon), true);
    assert.equal(isNeverMirroredGroup('billing', daemon), false);
  });
});
