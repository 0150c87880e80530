// How long GET /metrics takes to build its body for thousands of flows, without Kafka (issue 13: /metrics answers
// within 1 s at 10,000 topics). Fills one Metrics with the series that many copying flows of one replication hold
// (every per-flow metric, latency observations from every flow) and times exposition(), which is what the daemon's
// /metrics handler spends its time in. Run with `node_modules/.bin/tsx bench/metrics-exposition.ts --help`.
import { parseArgs } from 'node:util';
import { type FlowLabels, Metrics } from '../src/observability/metrics.js';
import { formatTable, optionsOrExitCode, positiveInteger, round, runBenchmark } from './report.js';

const USAGE = `Usage: tsx bench/metrics-exposition.ts [--flows 1000,10000] [--runs 7]

Times Metrics.exposition() (the /metrics body) for each number of flows: the median and the slowest of
--runs builds, after one warm-up build, the median CPU time (steadier than wall time on a busy machine),
and the body's size and number of series.`;

interface Options {
  readonly flowCounts: readonly number[];
  readonly runs: number;
}

function parseOptions(): Options | 'help' {
  const { values } = parseArgs({
    options: {
      flows: { type: 'string', default: '1000,10000' },
      runs: { type: 'string', default: '7' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  return {
    flowCounts: values.flows.split(',').map((count) => positiveInteger(count.trim(), '--flows')),
    runs: positiveInteger(values.runs, '--runs'),
  };
}

/** A Metrics holding what `flowCount` copying exactly-once flows of one replication leave in it. */
function filledMetrics(flowCount: number): Metrics {
  const metrics = new Metrics();
  for (let index = 0; index < flowCount; index += 1) {
    const labels: FlowLabels = {
      replication: 'scale',
      origin: 'origin',
      destination: 'destination',
      topic: `scale-topic-${String(index).padStart(5, '0')}`,
    };
    metrics.recordsMirrored.inc(labels, 100 + index);
    metrics.bytesMirrored.inc(labels, 10_000 + index);
    metrics.transactionsCommitted.inc(labels, 3);
    metrics.destinationBytesWritten.inc(labels, 4_000 + index);
    metrics.destinationBatchesWritten.inc({ ...labels, path: 'forwarded' }, 3);
    metrics.offsetLag.set(labels, index % 7);
    const latency = metrics.replicationLatency.hold(labels);
    latency.observeCopied(
      [4, 20, 300, 1_500, 12_000].map((ageMs) => ({ timestampMs: -ageMs })),
      0,
    );
  }
  return metrics;
}

interface Figures {
  readonly flows: number;
  readonly medianMs: number;
  readonly slowestMs: number;
  /** CPU time of the median build, user and system: steadier than wall time on a busy machine. */
  readonly medianCpuMs: number;
  readonly bodyBytes: number;
  readonly series: number;
}

async function measure(flowCount: number, runs: number): Promise<Figures> {
  const metrics = filledMetrics(flowCount);
  let { body } = await metrics.exposition();
  const durationsMs: number[] = [];
  const cpuMs: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const startedAt = performance.now();
    const cpuAtStart = process.cpuUsage();
    ({ body } = await metrics.exposition());
    const cpu = process.cpuUsage(cpuAtStart);
    durationsMs.push(performance.now() - startedAt);
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }
  durationsMs.sort((a, b) => a - b);
  cpuMs.sort((a, b) => a - b);
  return {
    flows: flowCount,
    medianMs: durationsMs[Math.floor(runs / 2)]!,
    slowestMs: durationsMs.at(-1)!,
    medianCpuMs: cpuMs[Math.floor(runs / 2)]!,
    bodyBytes: Buffer.byteLength(body),
    series: body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length,
  };
}

async function main(): Promise<number> {
  const options = optionsOrExitCode(parseOptions, USAGE);
  if (typeof options === 'number') return options;
  const rows: string[][] = [];
  for (const flowCount of options.flowCounts) {
    const figures = await measure(flowCount, options.runs);
    rows.push([
      String(figures.flows),
      `${round(figures.medianMs)} ms`,
      `${round(figures.slowestMs)} ms`,
      `${round(figures.medianCpuMs)} ms`,
      `${round(figures.bodyBytes / 1024 / 1024, 1)} MiB`,
      String(figures.series),
    ]);
  }
  process.stdout.write(
    `${formatTable(['flows', 'median', 'slowest', 'CPU (median)', 'body', 'series'], rows)}\n`,
  );
  process.stdout.write(`exposition() over ${options.runs} runs after a warm-up, Node ${process.version}\n`);
  return 0;
}

runBenchmark(main);
