// examples/grafana/georep.json, the Grafana dashboard, is checked against what a running daemon exports: a
// daemon on real Kafka copies one at-least-once and one exactly-once replication and syncs a consumer group,
// so every family of georep metrics has series; then every query of the dashboard must name only metrics that
// /metrics lists, use only labels those metrics carry (or that Prometheus adds: job, instance), and parse as
// PromQL (promtool check rules, with Grafana's variables filled in). A family with no series yet (no error
// happened) shows no labels on /metrics: its labels are the ones src/observability/metrics.ts declares.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { runKafkaTool } from '../../harness/kafka-tools.js';
import { Metrics } from '../../src/observability/metrics.js';
import { commandMissing } from './support/commands.js';
import { GeorepProcess } from './support/georep-process.js';
import { uniqueTopicName } from './support/kafka-records.js';
import { createTopics, startSequenceProducer } from './support/sequence-records.js';
import { TwoClusterRun } from './support/two-cluster-run.js';

const runFile = promisify(execFile);
const dashboardFile = path.resolve(import.meta.dirname, '..', '..', 'examples', 'grafana', 'georep.json');
/** Labels Prometheus adds to every scraped series, and the bucket label of histograms. */
const SCRAPE_LABELS = new Set(['job', 'instance', 'le']);
/** PromQL keywords, which look like metric names to metricNames(). */
const PROMQL_WORDS = new Set([
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

interface DashboardQuery {
  readonly panel: string;
  readonly expr: string;
  readonly legendFormat: string;
}

interface Panel {
  readonly title: string;
  readonly targets?: readonly { expr: string; legendFormat?: string }[];
}

function dashboardQueries(): { queries: DashboardQuery[]; variables: { name: string; query: string }[] } {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; type: string; query: unknown }[] };
  };
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      expr: target.expr,
      legendFormat: target.legendFormat ?? '',
    })),
  );
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => ({ name: variable.name, query: (variable.query as { query: string }).query }));
  return { queries, variables };
}

/** Grafana's variables as Grafana fills them in before Prometheus sees the query. */
function withVariablesFilledIn(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replace(/\$(replication|job)\b/g, '.*');
}

/**
 * Metric names an expression reads: what is left of it without strings, by/without lists, label matchers and
 * ranges, less function calls and operators.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
    .map((match) => match[1]!)
    .filter((name) => !PROMQL_WORDS.has(name));
}

/** Label names an expression or legend uses: in selectors, in by/without lists, in {{label}} legends. */
function labelNames(expr: string, legendFormat: string): string[] {
  const labels: string[] = [];
  for (const [, list] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    labels.push(...list!.split(',').map((label) => label.trim()));
  }
  for (const [, selector] of expr.matchAll(/\{([^}]*)\}/g)) {
    labels.push(...[...selector!.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1]!));
  }
  labels.push(...[...legendFormat.matchAll(/\{\{\s*([a-z_]+)\s*\}\}/g)].map((match) => match[1]!));
  return labels.filter((label) => label !== '');
}

/** Exposition text → metric family → the label names its samples carry, or that georep declares for it. */
function exportedLabels(exposition: string): Map<string, Set<string>> {
  const families = new Map<string, Set<string>>();
  for (const [, name] of exposition.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) /gm)) {
    families.set(name!, new Set());
  }
  for (const [, sample, labels] of exposition.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/gm)) {
    const family = families.has(sample!) ? sample! : sample!.replace(/_(bucket|count|sum)$/, '');
    for (const [, label] of labels!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      families.get(family)?.add(label!);
  }
  for (const metric of new Metrics().registry.getMetricsAsArray()) {
    const declared = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    for (const label of declared) families.get(metric.name)?.add(label);
  }
  return families;
}

const run = new TwoClusterRun('grafana-dashboard');
const atLeastOnceTopic = uniqueTopicName('dashboard-alo');
const exactlyOnceTopic = uniqueTopicName('dashboard-eos');
const readerGroup = 'dashboard-readers';
let exposition = '';

before(async (context) => {
  const { signal } = context;
  await run.start(signal);
  const topics = [atLeastOnceTopic, exactlyOnceTopic];
  await createTopics(
    run.origin,
    topics.map((topic) => ({ topic, partitions: 2 })),
  );
  run.deleteAtEnd('origin', topics);
  run.deleteAtEnd(
    'destination',
    topics.map((topic) => `origin.${topic}`),
  );
  for (const topic of topics) {
    const producer = await startSequenceProducer({
      brokers: run.origin,
      topic,
      partitions: 2,
      recordsPerSecond: 1_000,
    });
    await producer.reached(200, signal);
    await producer.stop();
  }
  // A consumer group with committed positions, for the group sync to translate.
  await runKafkaTool({
    version: run.target.toolsVersion,
    tool: 'consumer-groups',
    args: [
      '--bootstrap-server',
      run.origin.join(','),
      ...['--group', readerGroup, '--topic', atLeastOnceTopic],
      ...['--reset-offsets', '--to-latest', '--execute'],
    ],
    signal,
  });
  const configFile = path.join(run.workDir, 'geo-replication.yaml');
  writeFileSync(
    configFile,
    `clusters:
  origin: { bootstrap: ${JSON.stringify(run.origin)} }
  destination: { bootstrap: ${JSON.stringify(run.destination)} }
replications:
  - name: at-least-once
    origin: origin
    destinations: [destination]
    topics: { include: [${JSON.stringify(atLeastOnceTopic)}] }
    groups: { include: [${JSON.stringify(readerGroup)}] }
  - name: exactly-once
    origin: origin
    destinations: [destination]
    topics: { include: [${JSON.stringify(exactlyOnceTopic)}] }
    delivery: exactly-once
daemon:
  groupSyncIntervalMs: 1000
`,
  );
  const daemon = await GeorepProcess.start({ configFile, name: 'georep-dashboard', logDir: run.workDir });
  // Every family has series once both flows copied and the group was translated.
  const deadlineMs = Date.now() + 90_000;
  for (;;) {
    exposition = await (await fetch(`http://${daemon.httpAddress}/metrics`)).text();
    const ready = [
      'georep_records_mirrored_total{replication="at-least-once"',
      'georep_transactions_committed_total{replication="exactly-once"',
      'georep_group_sync_last_success_timestamp_seconds{',
      'georep_group_translated_partitions{',
    ].every((sample) => exposition.includes(sample));
    if (ready) break;
    if (Date.now() > deadlineMs) assert.fail(`not every metric family has series:\n${exposition}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
});

after(() => run.finish());

describe(`${run.target.label}: the Grafana dashboard in examples/grafana`, () => {
  const { queries, variables } = dashboardQueries();

  test('every query reads only metrics a running daemon exports, with labels they carry', () => {
    const exported = exportedLabels(exposition);
    const problems: string[] = [];
    const used = new Set<string>();
    for (const query of queries) {
      const metrics = metricNames(query.expr).map((name) =>
        exported.has(name) ? name : name.replace(/_(bucket|count|sum)$/, ''),
      );
      const carried = new Set(SCRAPE_LABELS);
      for (const metric of metrics) {
        used.add(metric);
        const labels = exported.get(metric);
        if (labels === undefined) problems.push(`${query.panel}: ${metric} is not exported`);
        else for (const label of labels) carried.add(label);
      }
      for (const label of labelNames(query.expr, query.legendFormat)) {
        if (!carried.has(label))
          problems.push(`${query.panel}: no metric of "${query.expr}" carries ${label}`);
      }
    }
    for (const variable of variables) {
      const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.query) ?? [];
      if (metric !== undefined) used.add(metric);
      if (metric === undefined || label === undefined) problems.push(`$${variable.name}: ${variable.query}`);
      else if (!exported.has(metric)) problems.push(`$${variable.name}: ${metric} is not exported`);
      else if (!SCRAPE_LABELS.has(label) && !exported.get(metric)!.has(label))
        problems.push(`$${variable.name}: ${metric} has no label ${label}`);
    }
    assert.deepEqual(problems, []);
    // The dashboard shows every georep metric family (the build info through the $job variable).
    const georepFamilies = [...exported.keys()].filter((name) => name.startsWith('georep_'));
    const unused = georepFamilies.filter((name) => !used.has(name));
    assert.deepEqual(unused, [], 'georep metrics the dashboard does not show');
  });

  test('every query is PromQL that promtool parses', {
    skip: commandMissing('promtool', 'see .ci/run'),
  }, async () => {
    const rules = [
      'groups:',
      '  - name: dashboard',
      '    rules:',
      ...queries.map(
        (query, index) =>
          `      - record: dashboard:query_${index}\n        expr: ${JSON.stringify(withVariablesFilledIn(query.expr))}`,
      ),
      '',
    ].join('\n');
    const rulesFile = path.join(run.workDir, 'dashboard-queries.yml');
    writeFileSync(rulesFile, rules);
    const result = await runFile('promtool', ['check', 'rules', rulesFile]).catch(
      (error: { stdout: string; stderr: string }) => assert.fail(`${error.stdout}${error.stderr}\n${rules}`),
    );
    assert.match(result.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });
});
