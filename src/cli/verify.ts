// `georep verify -c FILE`: compares every flow's destination with its origin, partition by partition, so that
// a migration can be signed off (docs/verify.md). The flows are those `georep plan` computes from FILE and the
// origins' topic lists; the comparison is src/verify/. Read-only on both clusters: explicit partitions and
// offsets, no consumer group, nothing committed.
import type { Config } from '../config/types.js';
import { desiredFlows } from '../plan/desired-flows.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import type { CompareLimits } from '../verify/compare-partition.js';
import { type ClusterReaders, type PartitionReport, verifyFlow } from '../verify/verify-flows.js';
import { renderVerifyText, verifyExitCode, verifyToJson } from '../verify/verify-report.js';
import {
  type Command,
  type CommandIo,
  EXIT,
  type ExitCode,
  parseCommandLine,
  UsageError,
} from './command.js';
import { loadKafkaClient } from './kafka-client.js';
import { loadConfigOrReport } from './load-config.js';
import { listOrigins } from './plan.js';

const LIMITS: Omit<CompareLimits, 'sampleWindows'> = {
  maxBytesPerRead: 4 * 1024 * 1024,
  sampleWindowRecords: 1000,
};

const help = `usage: georep verify --config FILE [--replication NAME] [--topic TOPIC] [--sample N] [--json]

Compares each flow of FILE (the flows \`georep plan\` shows) partition by partition: the records of the
destination partition, in order, against the origin's records, in order (read_committed: aborted records
and transaction markers are not records). Keys, values and header parts are compared as bytes, headers in
order, and timestamps. Offsets are not compared: they may differ (a compacted origin, transactions).
The destination's range at the start of the check is what counts as copied; what the origin has beyond it
is "behind", with the lag in offsets. Safe while georep runs, and read-only on both clusters.

options:
  -c, --config FILE        the geo-replication.yaml whose flows to verify (required)
  --base-dir DIR           resolve relative paths in FILE against DIR (default: FILE's directory)
  -r, --replication NAME   only the flows of this replication
  -t, --topic TOPIC        only the flows of this topic (origin or destination name)
  --sample N               compare N evenly spread windows of ${LIMITS.sampleWindowRecords} records per partition instead of every
                           record; a window that differs makes that partition compared in full
  --json                   print the result as JSON
  -h, --help               show this help

exit status:
  0  every copied range matches the origin and nothing is behind
  1  a copied range differs, a partition could not be read, or FILE is invalid
  2  usage error
  3  every copied range matches, but some partition is behind
`;

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'compare destinations with their origins, partition by partition',
  help,
  async run(args: readonly string[], io: CommandIo): Promise<ExitCode> {
    const options = parseOptions(args);
    if (options.help) {
      io.stdout(help);
      return EXIT.ok;
    }
    const config = loadConfigOrReport(options.config, options.baseDir, io);
    if (config === null) return EXIT.failed;
    const names = config.replications.map((replication) => replication.name);
    if (options.replication !== undefined && !names.includes(options.replication)) {
      throw new UsageError(
        `--replication: no replication named "${options.replication}" in ${options.config} (it has: ${names.join(', ')})`,
      );
    }
    const { listings, failures } = await listOrigins(config);
    for (const failure of failures) io.stderr(`georep verify: cannot list the topics of ${failure}\n`);
    const flows = desiredFlows(config, listings).flows.filter(
      (flow) =>
        (options.replication === undefined || flow.replication === options.replication) &&
        (options.topic === undefined ||
          flow.originTopic === options.topic ||
          flow.destinationTopic === options.topic),
    );
    if (flows.length === 0) {
      io.stderr(`georep verify: no flow of ${options.config} matches${describeFilter(options)}\n`);
      return EXIT.failed;
    }
    const reports = await verifyFlows(config, flows, { ...LIMITS, sampleWindows: options.sample });
    io.stdout(
      options.json ? `${JSON.stringify(verifyToJson(reports), null, 2)}\n` : renderVerifyText(reports),
    );
    if (failures.length > 0) return EXIT.failed;
    return verifyExitCode(reports);
  },
};

/** One admin and one reader per cluster, shared by its flows; flows one after the other. */
async function verifyFlows(
  config: Config,
  flows: readonly FlowSpec[],
  limits: CompareLimits,
): Promise<PartitionReport[]> {
  const clusters = new Map<string, ClusterReaders>();
  const { PlatformaticCluster } = await loadKafkaClient();
  const readersOf = (name: string): ClusterReaders => {
    let readers = clusters.get(name);
    if (readers === undefined) {
      const kafka = new PlatformaticCluster(config.clusters.get(name)!);
      readers = { admin: kafka.createAdmin(), reader: kafka.createPartitionReader() };
      clusters.set(name, readers);
    }
    return readers;
  };
  try {
    const reports: PartitionReport[] = [];
    for (const flow of flows) {
      reports.push(...(await verifyFlow(flow, readersOf(flow.origin), readersOf(flow.destination), limits)));
    }
    return reports;
  } finally {
    for (const { admin, reader } of clusters.values()) {
      await admin.close().catch(() => undefined);
      await reader.close().catch(() => undefined);
    }
  }
}

function describeFilter(options: { replication?: string | undefined; topic?: string | undefined }): string {
  const parts = [
    options.replication === undefined ? null : `replication "${options.replication}"`,
    options.topic === undefined ? null : `topic "${options.topic}"`,
  ].filter((part) => part !== null);
  return parts.length === 0 ? ' (no origin topic is selected)' : ` ${parts.join(' and ')}`;
}

function parseOptions(args: readonly string[]) {
  const { values, positionals } = parseCommandLine({
    args: [...args],
    options: {
      config: { type: 'string', short: 'c' },
      'base-dir': { type: 'string' },
      replication: { type: 'string', short: 'r' },
      topic: { type: 'string', short: 't' },
      sample: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { help: true as const, config: '', json: false, sample: null };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  return {
    help: false as const,
    config: values.config,
    baseDir: values['base-dir'],
    replication: values.replication,
    topic: values.topic,
    sample: values.sample === undefined ? null : sampleWindows(values.sample),
    json: values.json,
  };
}

function sampleWindows(text: string): number {
  const windows = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(windows) || windows < 1) {
    throw new UsageError(`--sample: "${text.slice(0, 20)}" is not a whole number of windows (1 or more)`);
  }
  return windows;
}
