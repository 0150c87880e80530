// Validation stays about linear in the size of the file: 10,000 replications, and chains of clusters
// whose number of paths doubles with every cluster or two. The bound is generous (the machine may be
// shared); the measured time is printed so that a slowdown shows before it fails.
import assert from 'node:assert/strict';
import { cpuUsage } from 'node:process';
import { test } from 'node:test';
import { type LoadResult, parseConfigText } from '../../../src/config/load.js';
import { fakeEnvironment } from './helpers.js';

const BOUND_MS = 20_000;

function timed(what: string, text: string): LoadResult {
  const startedCpu = cpuUsage();
  const startedMs = performance.now();
  const result = parseConfigText(text, 'geo.yaml', fakeEnvironment());
  const elapsedMs = performance.now() - startedMs;
  const cpuMs = cpuUsage(startedCpu).user / 1000;
  console.log(`${what}: validated in ${elapsedMs.toFixed(0)} ms (${cpuMs.toFixed(0)} ms of CPU)`);
  assert.ok(elapsedMs < BOUND_MS, `${what} took ${elapsedMs.toFixed(0)} ms`);
  return result;
}

function clusters(count: number): string {
  return Array.from({ length: count }, (_, i) => `  c${i}: { bootstrap: [kafka-${i}:9092] }\n`).join('');
}

/** Cluster i mirrors to i+1 and i+2, and back: Fibonacci-many paths and cycles. */
function chain(count: number, options: string): string {
  const lines: string[] = [];
  for (let i = 0; i + 1 < count; i++) {
    for (const [from, to] of [
      [i, i + 1],
      [i + 1, i],
      [i, i + 2],
      [i + 2, i],
    ] as const) {
      if (from < count && to < count)
        lines.push(`  - { origin: c${from}, destinations: [c${to}], ${options} }\n`);
    }
  }
  return `clusters:\n${clusters(count)}replications:\n${lines.join('')}`;
}

test('10,000 replications into one cluster validate in about linear time', () => {
  const replications = Array.from(
    { length: 10_000 },
    (_, i) =>
      `  - name: r${i}\n    origin: c0\n    destinations: [c1]\n    naming: identity\n    topics: { include: [orders-${i}, "payments-${i}.*", "/audit-${i}\\\\..*/"] }\n`,
  );
  const result = timed(
    '10,000 replications',
    `clusters:\n${clusters(2)}replications:\n${replications.join('')}`,
  );
  assert.equal(result.ok, true);
});

// Before the cycle search was bounded, 28 clusters took 8 s on a quiet machine, doubling every two more.
for (const count of [28, 36]) {
  test(`a chain of ${count} clusters mirroring both ways with prefix naming validates quickly`, () => {
    const result = timed(`${count}-cluster chain, prefix naming`, chain(count, 'topics: { include: ["*"] }'));
    assert.equal(result.ok, true);
  });
}

test('a chain of 28 clusters with identity naming is refused quickly, with a few loops shown', () => {
  const result = timed(
    '28-cluster chain, identity naming',
    chain(28, 'naming: identity, topics: { include: ["orders.*"] }'),
  );
  assert.equal(result.ok, false);
  const loops = result.ok ? [] : result.issues.filter((issue) => issue.code === 'REPLICATION_LOOP');
  assert.equal(loops.length, 10);
  assert.match(loops[0]!.message, /form the loop c0 → c1 → c0: records would be mirrored round it forever/);
});

test('a mesh whose loops are each safe but too many to check is refused, not accepted unchecked', () => {
  // Ten clusters, each mirroring its own literal topic to every other: no topic travels all the way
  // round any loop, and there are more than a million loops.
  const count = 10;
  const lines: string[] = [];
  for (let from = 0; from < count; from++) {
    for (let to = 0; to < count; to++) {
      if (from === to) continue;
      lines.push(
        `  - { origin: c${from}, destinations: [c${to}], naming: identity, topics: { include: [orders-${from}-${to}] } }\n`,
      );
    }
  }
  const result = timed('10-cluster mesh', `clusters:\n${clusters(count)}replications:\n${lines.join('')}`);
  const messages = result.ok
    ? []
    : result.issues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`);
  assert.deepEqual(messages, [
    '102:5: replications[89]: the 90 replications between clusters c0, c1, c2, c3, c4, c5, c6, c7, c8 and c9 form more than 10,000 loops, too many to show that none mirrors records round forever; use prefix naming, or identity naming with loopPrevention: header on every replication among them',
  ]);
});
