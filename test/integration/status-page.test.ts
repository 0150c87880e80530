// The status page as a person sees it: a real headless Chromium (Debian's `chromium`) loads / from a daemon
// that mirrors on real Kafka, runs the page's script (which polls /status), and the test reads the rendered
// DOM: the replication and its flow running, a rejected reload with the file's line and column, then the
// flow red, in error with its reason, once the destination cluster is stopped. A screenshot of that last
// page is saved to .cache/status-page/status-page.png. A second part serves a synthetic /status of 10,000
// flows and checks that the page shows the summary and the problems while rendering a bounded number of rows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startHttpServer } from '../../src/observability/http-server.js';
import { commandMissing } from './support/commands.js';
import { GeorepProcess, writeMirrorConfig } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopics, type SequenceProducer, startSequenceProducer } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const runFile = promisify(execFile);
const chromiumMissing = commandMissing(
  'chromium',
  'apt-get install --no-install-recommends chromium; CI installs it',
);
const SCREENSHOT_FILE = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  '.cache',
  'status-page',
  'status-page.png',
);
const STEP_TIMEOUT_MS = 180_000;

/**
 * Loads `url` in headless Chromium and returns the DOM after the page's script ran: the virtual time budget
 * lets its timers (the /status polls) fire without waiting for them in real time. With `screenshotFile`,
 * a 1280×900 screenshot is saved there as well.
 */
async function renderedPage(url: string, screenshotFile?: string): Promise<string> {
  const profileDir = mkdtempSync(path.join(tmpdir(), 'georep-chromium-'));
  const flags = [
    '--headless',
    '--disable-gpu',
    '--no-sandbox',
    '--hide-scrollbars',
    '--no-first-run',
    `--user-data-dir=${profileDir}`,
    '--window-size=1280,900',
    '--virtual-time-budget=10000',
  ];
  try {
    if (screenshotFile !== undefined) {
      mkdirSync(path.dirname(screenshotFile), { recursive: true });
      await runFile('chromium', [...flags, `--screenshot=${screenshotFile}`, url], { timeout: 90_000 });
    }
    const { stdout } = await runFile('chromium', [...flags, '--dump-dom', url], {
      timeout: 90_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}

/** What a person reads in a piece of HTML: tags dropped (blocks and cells end a word), entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/g, '')
    .replace(/<\/?(?:span|b|button)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The inner HTML of the element with this id. */
function section(dom: string, id: string): string {
  const match = new RegExp(
    `<(section|div)[^>]*id="${id}"[^>]*>([\\s\\S]*?)</\\1>\\s*(?=<(?:section|div|/main))`,
  ).exec(dom);
  assert.ok(match, `no element #${id} in the page`);
  return match[2] ?? '';
}

interface FlowRow {
  /** The row's colour: ok (green), bad (red), … */
  readonly tone: string;
  readonly state: string;
  /** What each cell says, by the table's column names. */
  readonly cells: Readonly<Record<string, string>>;
  readonly text: string;
}

/** The flow rows (<tr> with data-state) of the first table in `html` whose visible text contains `text`. */
function flowRows(html: string, text: string): FlowRow[] {
  const columns = [
    ...(/<thead>([\s\S]*?)<\/thead>/.exec(html)?.[1] ?? '').matchAll(/<th[^>]*>(.*?)<\/th>/g),
  ].map((match) => visibleText(match[1] ?? ''));
  return [...html.matchAll(/<tr class="row-(\w+)"[^>]*data-state="([^"]*)"[^>]*>([\s\S]*?)<\/tr>/g)]
    .map((match) => {
      const cells = [...(match[3] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
        visibleText(cell[1] ?? ''),
      );
      return {
        tone: match[1] ?? '',
        state: match[2] ?? '',
        cells: Object.fromEntries(columns.map((column, index) => [column, cells[index] ?? ''])),
        text: cells.join(' | '),
      };
    })
    .filter((row) => row.text.includes(text));
}

describe('the status page in Chromium, against a daemon on real Kafka', { skip: chromiumMissing }, () => {
  // Made in before(): a skipped suite leaves no working directory behind.
  let run: TwoClusterRun | undefined;
  const topic = uniqueTopicName('page');
  const replication = 'london-to-frankfurt';
  /** How the page writes the flow's key. */
  const flowName = `london/${topic} → frankfurt/london.${topic}`;
  let producer: SequenceProducer | null = null;
  let georep: GeorepProcess;
  let configFile: string;
  let pageUrl: string;

  before(async (context) => {
    run = new TwoClusterRun('status-page');
    await run.start(context.signal);
    await createTopics(run.origin, [{ topic, partitions: 2 }]);
    run.deleteAtEnd('origin', [topic]);
    run.deleteAtEnd('destination', [`london.${topic}`]);
    producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: 2,
      recordsPerSecond: 50,
    });
    configFile = writeMirrorConfig({
      dir: run.workDir,
      originBrokers: run.origin,
      destinationBrokers: run.destination,
      topics: [topic],
      originName: 'london',
      destinationName: 'frankfurt',
      replication: { name: replication },
    });
    georep = await GeorepProcess.start({ configFile, name: 'georep-page', logDir: run.workDir });
    pageUrl = `http://${georep.httpAddress}/`;
  });

  after(async () => {
    await producer?.stop().catch(() => undefined);
    await run?.finish();
  });

  test('the replication and its flow are listed as running, with the copy rate', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    await georep.waitForStatus((s) => s.flows[0]?.state === 'running' && s.flows[0].recordsPerSecond > 0, {
      what: 'the flow running and copying',
      timeoutMs: 90_000,
    });
    const dom = await renderedPage(pageUrl);
    assert.equal(visibleText(section(dom, 'summary')), '1 flow in 1 replication 1 running');
    assert.match(visibleText(section(dom, 'problems')), /No problems/);
    assert.match(visibleText(section(dom, 'reload')), /Last reload: .* valid, in force/);

    const replications = section(dom, 'replications');
    assert.match(
      replications,
      new RegExp(`<details class="replication" data-replication="${replication}" open`),
    );
    const [row, ...others] = flowRows(replications, flowName);
    assert.ok(row, `no row for ${flowName} in:\n${visibleText(replications)}`);
    assert.equal(others.length, 0);
    assert.equal(row.state, 'running');
    assert.equal(row.tone, 'ok', 'a running flow is green');
    assert.equal(row.cells.state, 'running');
    assert.equal(row.cells.reason, '');
    assert.match(row.cells['lag (records)'] ?? '', /^[\d,]+$/);
    assert.ok(Number(row.cells['records/s']) > 0, row.text);
    assert.match(row.cells['last copy'] ?? '', /^\d+ s ago$/);
    assert.match(visibleText(replications), /last \d+ (s|min): lag ≤ [\d,]+, rate ≤ [\d,]+\/s/);
    assert.match(replications, /<svg class="chart"[^>]*>.*<polyline /s);
  });

  test('a rejected reload is shown with the file, line and column of the error', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const goodText = readFileSync(configFile, 'utf8');
    writeFileSync(configFile, goodText.replace('destinations:', 'destinatons:'));
    georep.signal('SIGHUP');
    await georep.waitForStatus((s) => s.lastReload?.ok === false, {
      what: 'the reload rejected',
      timeoutMs: 30_000,
    });
    const reload = visibleText(section(await renderedPage(pageUrl), 'reload'));
    assert.match(reload, /rejected: the previous config stays in force/);
    assert.match(reload, /geo-replication\.yaml:\d+:\d+: replications\[0\]\.destinatons/);
  });

  test('the destination stops: the flow turns red, stalled, with its reason, on top of the page', {
    timeout: STEP_TIMEOUT_MS,
  }, async (context) => {
    const destination = run?.target.clusters()[1]?.local;
    if (destination === undefined) {
      context.skip('needs a destination cluster the harness started, to stop it');
      return;
    }
    await destination.kill();
    // A destination that does not answer makes the flow `stalled` within a second (docs/outages.md).
    await georep.waitForStatus((s) => s.flows[0]?.state === 'stalled', {
      what: 'the flow stalled',
      timeoutMs: 120_000,
    });
    const dom = await renderedPage(pageUrl, SCREENSHOT_FILE);
    assert.equal(visibleText(section(dom, 'summary')), '1 flow in 1 replication 1 stalled');

    const problems = section(dom, 'problems');
    assert.match(visibleText(problems), /Problems: 1 flow not copying/);
    const [problem] = flowRows(problems, flowName);
    assert.ok(problem, `the flow is not among the problems:\n${visibleText(problems)}`);
    assert.equal(problem.state, 'stalled');
    assert.equal(problem.tone, 'bad', 'a stalled flow is red');
    assert.equal(problem.cells.replication, replication);
    assert.match(problem.cells.reason ?? '', /^destination-unavailable: \S/);

    const [row] = flowRows(section(dom, 'replications'), flowName);
    assert.equal(row?.tone, 'bad');
    assert.equal(row?.cells.state, 'stalled');
    assert.match(row?.cells.reason ?? '', /^destination-unavailable: /);
    assert.ok(statSync(SCREENSHOT_FILE).size > 10_000, `a screenshot in ${SCREENSHOT_FILE}`);
  });
});

describe('the status page in Chromium at 10,000 flows', { skip: chromiumMissing }, () => {
  const FLOWS = 10_000;
  const nowMs = Date.now();
  /** Shaped like a daemon's /status (spec and partitions included, for the size), 3 replications, 40 errors. */
  const flows = Array.from({ length: FLOWS }, (_, index) => {
    const failed = index % 250 === 3;
    return {
      key: `london/topic-${index} -> frankfurt/london.topic-${index}`,
      replication: `replication-${index % 3}`,
      origin: 'london',
      originTopic: `topic-${index}`,
      destination: 'frankfurt',
      destinationTopic: `london.topic-${index}`,
      state: failed ? 'error' : 'running',
      sinceMs: nowMs - 60_000,
      error: failed
        ? { reason: 'destination-unavailable', message: 'connect ECONNREFUSED', retriable: true }
        : null,
      recordsMirrored: index * 100,
      bytesMirrored: index * 10_000,
      recordsPerSecond: index % 10,
      lastBatchAtMs: nowMs - 1_000,
      lag: index % 100,
      lagMeasuredAtMs: nowMs - 1_000,
      failedAttempts: failed ? 2 : 0,
      partitions: [0, 1, 2].map((partition) => ({
        partition,
        position: '1000',
        endOffset: '1010',
        lag: 10,
        endOffsetAtMs: nowMs,
      })),
      topicConfigSync: null,
      spec: { key: `london/topic-${index} -> frankfurt/london.topic-${index}`, partitions: 3, paused: false },
    };
  });
  const status = {
    configFile: '/etc/georep/geo-replication.yaml',
    httpAddress: null,
    ready: true,
    lastReload: { ok: true, atMs: nowMs - 5_000, messages: [] },
    flows,
    groupSyncs: [],
    rejected: [],
    originsNotListed: [],
  };
  let server: Awaited<ReturnType<typeof startHttpServer>>;

  before(async () => {
    server = await startHttpServer(
      { listen: '127.0.0.1:0', allowedHosts: [], webConfig: null },
      {
        notReadyReason: () => null,
        status: () => status,
        metrics: async () => ({ contentType: 'text/plain', body: '' }),
      },
    );
  });
  after(() => server?.close());

  test('summary and problems first; a bounded number of rows rendered, the rest one page or click away', {
    timeout: STEP_TIMEOUT_MS,
  }, async () => {
    const dom = await renderedPage(`http://${server.address}/`);
    assert.equal(
      visibleText(section(dom, 'summary')),
      '10,000 flows in 3 replications 40 error 9,960 running',
    );
    const problems = section(dom, 'problems');
    assert.match(visibleText(problems), /Problems: 40 flows not copying/);
    assert.equal(flowRows(problems, '').length, 20, 'one page of problems');
    assert.match(visibleText(problems), /rows page 1 of 2/);
    const replications = section(dom, 'replications');
    const rows = flowRows(replications, '');
    assert.equal(rows.length, 3 * 200, 'one page of 200 rows per replication');
    // replication-0 holds 14 of the 40 flows in error (every 250th flow, every 3rd to each replication).
    assert.deepEqual(
      rows.slice(0, 15).map((row) => row.state),
      [...Array.from({ length: 14 }, () => 'error'), 'running'],
      'problems on top of their replication',
    );
    assert.match(visibleText(replications), /rows page 1 of 17/);
  });

  test('a filter in the link shows only the flows that match', { timeout: STEP_TIMEOUT_MS }, async () => {
    const dom = await renderedPage(`http://${server.address}/?filter=state:error%20topic-7`);
    assert.match(dom, /<span id="shown"[^>]*>5 of 10,000 flows match<\/span>/);
    const rows = flowRows(section(dom, 'replications'), '');
    assert.deepEqual(
      rows.map((row) => row.cells['flow (origin → destination)']).sort(),
      [753, 7003, 7253, 7503, 7753].map((n) => `london/topic-${n} → frankfurt/london.topic-${n}`).sort(),
    );
  });
});
