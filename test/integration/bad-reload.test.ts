// run-tests: alone (its canary must keep copying and /healthz answer within 500 ms).
// Hostile and careless reloads against a running daemon on real Kafka (issue 12): a 50 MB file, a
// password read from /dev/zero, a regular expression that backtracks catastrophically in JavaScript's
// engine, matched against a long topic name, and files of 10,000 replications, valid and invalid, whose
// load takes seconds of CPU. Each time a canary flow keeps copying, /healthz keeps answering (while a
// large file loads, every answer comes quickly), the process's peak memory stays under a stated bound, and
// an invalid file is refused with a short error that names file:line:col. The tests run in order against
// one daemon.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { LocalKafkaCluster } from '../../harness/kafka-local.js';
import type { GeorepProcess, GeorepStatus } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { sampleValue } from './support/metrics-text.js';
import {
  createTopic,
  type SequenceProducer,
  startSequenceProducer,
  topicRecordCount,
} from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const run = new TwoClusterRun('bad-reload', {
  names: ['origin', 'destination'],
  localOnly: 'needs two clusters the harness starts',
});

/**
 * Peak resident memory allowed to the daemon, whatever it is sent. It idles at ~150 MiB under tsx; on
 * main a 50 MB file took it past 2 GB, and /dev/zero grew it by 3.3 GB in 5 s.
 */
const MAX_PEAK_RSS_BYTES = 512 * 1024 * 1024;
/**
 * Peak resident memory allowed once files of 10,000 replications were loaded (the tests that load them run
 * last). Loading one takes some 300 MiB besides the daemon's own; after many such reloads the process
 * levels off near 0.95 GiB (in process, measured; as on main, with the loader on the event loop).
 */
const MAX_PEAK_RSS_AFTER_LARGE_FILES_BYTES = 1280 * 1024 * 1024;
/** Generous: the machine may be loaded. */
const WAIT_MS = 90_000;
const STEP_TIMEOUT_MS = 300_000;
/** How many more canary records must reach the destination after each bad reload. */
const CANARY_PROGRESS = 50;
/**
 * The longest /healthz may take to answer while a file of 10,000 replications loads. The daemon's event
 * loop is held up at most some 20-40 ms at a time (see docs/configuration-limits.md); the rest is room for
 * a busy 2-core machine. On main before the loader moved off the event loop, such a reload held it 2-5 s.
 */
const HEALTHZ_BOUND_MS = 500;
/** /healthz is asked this often while a large file loads. */
const HEALTHZ_POLL_MS = 20;
/** Replications besides the canary in the large files: 10,000 in all, the most one list may hold. */
const BULK_REPLICATIONS = 9_999;

let origin: LocalKafkaCluster;
let destination: LocalKafkaCluster;
let canaryProducer: SequenceProducer | null = null;
let georep: GeorepProcess;
const configFile = run.file('geo-replication.yaml');
const canaryTopic = uniqueTopicName('canary');

function renderConfig(options: { password?: string; extraReplications?: readonly string[] } = {}): string {
  const sasl =
    options.password === undefined
      ? ''
      : `, sasl: { mechanism: scram-sha-512, username: georep, password: "${options.password}" }`;
  return [
    'clusters:',
    `  origin: { bootstrap: [${origin.bootstrap}] }`,
    `  destination: { bootstrap: [${destination.bootstrap}]${sasl} }`,
    'replications:',
    `  - { name: canary, origin: origin, destinations: [destination], topics: { include: [${canaryTopic}] } }`,
    ...(options.extraReplications ?? []),
    'daemon:',
    '  discoveryIntervalMs: 1000',
    '',
  ].join('\n');
}

/** As Ansible does: write beside the file, rename over it. */
function save(text: string): void {
  run.saveByRename(configFile, text);
}

function canaryCopied(): Promise<number> {
  return topicRecordCount([destination.bootstrap], `origin.${canaryTopic}`);
}

/** Peak and current resident memory of the daemon, from /proc. */
function memoryOf(pid: number): { peakBytes: number; currentBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0);
  return { peakBytes: kib('VmHWM') * 1024, currentBytes: kib('VmRSS') * 1024 };
}

async function healthzAnswersWithinMs(): Promise<number> {
  const startedMs = performance.now();
  const response = await fetch(`http://${georep.httpAddress}/healthz`, {
    signal: AbortSignal.timeout(WAIT_MS),
  });
  assert.equal(response.status, 200);
  return performance.now() - startedMs;
}

/** Saves `text` and waits for the reload it causes; returns that reload's outcome. */
async function reload(text: string): Promise<NonNullable<GeorepStatus['lastReload']>> {
  const before = (await georep.status()).lastReload?.atMs ?? 0;
  save(text);
  const status = await georep.waitForStatus((status) => (status.lastReload?.atMs ?? 0) > before, {
    what: 'the reload',
    timeoutMs: WAIT_MS,
  });
  return status.lastReload!;
}

/** The canary's records keep arriving, the daemon answers, and its memory stayed bounded. */
async function assertStillCopying(what: string, maxPeakRssBytes = MAX_PEAK_RSS_BYTES): Promise<void> {
  const startCount = await canaryCopied();
  const startedMs = Date.now();
  while ((await canaryCopied()) < startCount + CANARY_PROGRESS) {
    assert.ok(Date.now() - startedMs < WAIT_MS, `${what}: the canary stopped copying at ${startCount}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const healthzMs = await healthzAnswersWithinMs();
  const { peakBytes, currentBytes } = memoryOf(georep.pid);
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  console.log(
    `${what}: canary +${CANARY_PROGRESS} records in ${Date.now() - startedMs} ms, /healthz in ${healthzMs.toFixed(0)} ms, RSS ${mib(currentBytes)}, peak ${mib(peakBytes)}`,
  );
  assert.ok(peakBytes < maxPeakRssBytes, `${what}: peak RSS ${mib(peakBytes)}`);
}

/** Replications that match no topic (a glob and a regular expression each), as many as `count`. */
function bulkReplications(count: number, invalidAt: number | null = null): string[] {
  return Array.from(
    { length: count },
    (_, index) =>
      `  - { name: bulk-${index}, origin: ${index === invalidAt ? 'nowhere' : 'origin'}, destinations: [destination], topics: { include: ["bulk-${index}.*", "/audit-${index}-[a-z]+/"] } }`,
  );
}

interface ResponsivenessDuring {
  readonly healthzAnswers: number;
  readonly slowestHealthzMs: number;
  /** The daemon's own figure (prom-client's monitorEventLoopDelay histogram since the scrape before). */
  readonly maxEventLoopDelayMs: number;
  readonly canaryRecordsDuring: number;
}

/** Waits until the daemon finished `count` more reconciles (each lists the origin's topics and matches them). */
async function waitForReconciles(count: number): Promise<void> {
  const reconciles = async () => {
    const response = await fetch(`http://${georep.httpAddress}/metrics`, {
      signal: AbortSignal.timeout(WAIT_MS),
    });
    return sampleValue(await response.text(), 'georep_reconcile_duration_seconds_count') ?? 0;
  };
  const target = (await reconciles()) + count;
  const startedMs = Date.now();
  while ((await reconciles()) < target) {
    assert.ok(
      Date.now() - startedMs < WAIT_MS,
      `no ${count} reconciles in ${WAIT_MS} ms:\n${georep.tail(20)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function maxEventLoopDelayMs(): Promise<number> {
  const response = await fetch(`http://${georep.httpAddress}/metrics`, {
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return (sampleValue(await response.text(), 'nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000;
}

/**
 * Saves `text`, waits for the reload it causes and then for `settleMs` more (the reconcile that follows,
 * and discovery rounds on the new config), asking /healthz every HEALTHZ_POLL_MS all the while.
 */
async function reloadWatched(
  text: string,
  settleMs: number,
): Promise<{ outcome: NonNullable<GeorepStatus['lastReload']> } & ResponsivenessDuring> {
  const canaryBefore = await canaryCopied();
  await maxEventLoopDelayMs();
  let watching = true;
  const latenciesMs: number[] = [];
  const polling = (async () => {
    while (watching) {
      const startedMs = performance.now();
      latenciesMs.push(await healthzAnswersWithinMs());
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, HEALTHZ_POLL_MS - (performance.now() - startedMs))),
      );
    }
  })();
  try {
    const outcome = await reload(text);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return {
      outcome,
      healthzAnswers: latenciesMs.length,
      slowestHealthzMs: Math.max(...latenciesMs),
      maxEventLoopDelayMs: await maxEventLoopDelayMs(),
      canaryRecordsDuring: (await canaryCopied()) - canaryBefore,
    };
  } finally {
    watching = false;
    await polling;
  }
}

function report(what: string, during: ResponsivenessDuring): void {
  console.log(
    `${what}: ${during.healthzAnswers} /healthz answers, slowest ${during.slowestHealthzMs.toFixed(0)} ms; ` +
      `max event-loop delay ${during.maxEventLoopDelayMs.toFixed(0)} ms; canary +${during.canaryRecordsDuring} records meanwhile`,
  );
  assert.ok(
    during.slowestHealthzMs < HEALTHZ_BOUND_MS,
    `${what}: /healthz took ${during.slowestHealthzMs.toFixed(0)} ms to answer`,
  );
  assert.ok(during.canaryRecordsDuring > 0, `${what}: no canary record arrived`);
}

before(async (context) => {
  if (run.skipReason !== undefined) return;
  await run.start(context.signal);
  [origin, destination] = run.local;
  await createTopic([origin.bootstrap], canaryTopic, 2);
  canaryProducer = await startSequenceProducer({
    brokers: [origin.bootstrap],
    topic: canaryTopic,
    partitions: 2,
    recordsPerSecond: 50,
  });
  save(renderConfig());
  georep = await run.startGeorep({ configFile, name: 'georep-bad-reload' });
  await georep.waitForStatus((status) => status.flows.some((flow) => flow.state === 'running'), {
    what: 'the canary flow running',
    timeoutMs: WAIT_MS,
  });
});

run.stopAtEnd(() => canaryProducer?.stop());
after(() => run.finish());

describe(`${run.label}: a running daemon survives bad reloads`, { skip: run.skipReason }, () => {
  test('a 50 MB file is refused unread, at 1:1, and the canary keeps copying', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await assertStillCopying('before');
    const huge = renderConfig({
      extraReplications: [
        `  - { origin: origin, destinations: [destination], topics: { include: ["${'x'.repeat(50 * 1024 * 1024)}"] } }`,
      ],
    });
    const outcome = await reload(huge);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.messages, [
      `${configFile}:1:1: the file is ${Buffer.byteLength(huge).toLocaleString('en')} bytes long; a configuration file may have at most 4,194,304 (4 MiB)`,
    ]);
    await assertStillCopying('after a 50 MB file');
  });

  test('a password read from /dev/zero is refused at its line, without reading the device', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const text = renderConfig({ password: '${file:/dev/zero}' });
    const lines = text.split('\n');
    const line = lines.findIndex((written) => written.includes('${file:/dev/zero}'));
    const col = lines[line]!.indexOf('"${file:') + 1;
    const outcome = await reload(text);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.messages, [
      `${configFile}:${line + 1}:${col}: clusters.destination.sasl.password: \${file:/dev/zero}: cannot read /dev/zero: it is a device, not a regular file`,
    ]);
    await assertStillCopying('after ${file:/dev/zero}');
  });

  test('a pattern that backtracks catastrophically in JavaScript is matched in linear time against a long topic name', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    // With JavaScript's engine, /(a+)+b/ against 200 a's and no b takes about 2^200 steps.
    const longTopic = `${'a'.repeat(200)}-x`;
    await createTopic([origin.bootstrap], longTopic, 1);
    const outcome = await reload(
      renderConfig({
        extraReplications: [
          '  - { name: regex, origin: origin, destinations: [destination], topics: { include: ["/(a+)+b/"] } }',
        ],
      }),
    );
    assert.equal(outcome.ok, true, outcome.messages.join('\n'));
    // Discovery lists the origin's topics, the long one included, every second and matches them in the
    // reconcile that follows: wait until a few of those finished since the reload.
    await waitForReconciles(3);
    await assertStillCopying('after /(a+)+b/ met a long topic name');
  });

  test('a file of 10,000 replications loads while /healthz answers quickly and the canary copies, and back', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const large = await reloadWatched(
      renderConfig({ extraReplications: bulkReplications(BULK_REPLICATIONS) }),
      5_000,
    );
    assert.equal(large.outcome.ok, true, large.outcome.messages.join('\n'));
    report('reload into 10,000 replications', large);
    const back = await reloadWatched(renderConfig(), 3_000);
    assert.equal(back.outcome.ok, true, back.outcome.messages.join('\n'));
    report('reload back to one replication', back);
    await assertStillCopying('after 10,000 replications and back', MAX_PEAK_RSS_AFTER_LARGE_FILES_BYTES);
  });

  test('an invalid file of 10,000 replications is refused at its line and column, the last good config stays', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const invalidAt = 7_000;
    const text = renderConfig({ extraReplications: bulkReplications(BULK_REPLICATIONS, invalidAt) });
    const lines = text.split('\n');
    const line = lines.findIndex((written) => written.includes(`name: bulk-${invalidAt},`));
    const col = lines[line]!.indexOf('nowhere') + 1;
    const flowsBefore = (await georep.status()).flows.map((flow) => flow.key);
    const invalid = await reloadWatched(text, 2_000);
    assert.deepEqual(invalid.outcome, {
      ...invalid.outcome,
      ok: false,
      messages: [
        `${configFile}:${line + 1}:${col}: replications[${invalidAt + 1}].origin: "nowhere" is not a cluster defined under clusters (defined: origin, destination)`,
      ],
    });
    report('an invalid file of 10,000 replications', invalid);
    assert.deepEqual(
      (await georep.status()).flows.map((flow) => flow.key),
      flowsBefore,
    );
    await assertStillCopying(
      'after an invalid file of 10,000 replications',
      MAX_PEAK_RSS_AFTER_LARGE_FILES_BYTES,
    );
  });
});
