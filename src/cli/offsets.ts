// `georep offsets -c FILE --group G [--destination D] [--apply]`: the failover runbook's command. Shows, per
// mirrored partition, the group's committed offset on the origin (if the origin answers), the translated
// destination offset the daemon checkpointed on the destination, and the group's offset on the destination.
// It reads the checkpoints from the destination, so it works with the origin gone. --apply commits the
// translated offsets to the group on the destination (only forward, never while the group has members).
import { selectsName } from '../config/patterns.js';
import type { Config } from '../config/types.js';
import type { KafkaAdmin } from '../kafka/port.js';
import { checkpointsTopic, readCompactedTopic } from '../runtime/compacted-topic.js';
import type { CheckpointValue } from '../runtime/group-sync.js';
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
import { renderTable } from './status.js';

const help = `usage: georep offsets --config FILE --group GROUP [--destination CLUSTER] [--apply] [--json]

Shows where consumer group GROUP resumes on a destination after a failover: for every partition the
daemon translated, the group's committed offset on the origin (when the origin answers), the
translated destination offset (read from the checkpoints topic on the destination, so this works
with the origin down), and the group's committed offset on the destination now.

With --apply, commits the translated offsets to GROUP on the destination, partition by partition,
only where that moves the group forward. Refused while GROUP has active members on the destination:
stop its consumers there first.

options:
  -c, --config FILE         the daemon's geo-replication.yaml (required)
  -g, --group GROUP         the consumer group (required)
  -d, --destination NAME    the destination cluster (required when the group follows to several)
  --base-dir DIR            resolve relative paths in FILE against DIR (default: FILE's directory)
  --apply                   commit the translated offsets to the group on the destination
  --json                    print the offsets as JSON
  -h, --help                show this help

exit status:
  0  shown (and with --apply, committed)
  1  FILE is invalid, the destination cannot be read, it has no checkpoints for GROUP, or --apply
     was refused because GROUP has members on the destination
  2  usage error
`;

/** How long the origin may take to answer before the origin column is left empty. */
const ORIGIN_TIMEOUT_MS = 10_000;
const CHECKPOINT_READ_TIMEOUT_MS = 60_000;

interface PartitionRow {
  readonly topic: string;
  readonly originTopic: string;
  readonly partition: number;
  readonly originCommitted: string | null;
  readonly translated: string;
  readonly destinationCommitted: string | null;
  readonly translatedAtMs: number;
}

export const offsetsCommand: Command = {
  name: 'offsets',
  summary: "show (and --apply) a consumer group's translated offsets on a destination",
  help,
  async run(args: readonly string[], io: CommandIo): Promise<ExitCode> {
    const options = parseOptions(args);
    if (options.help) {
      io.stdout(help);
      return EXIT.ok;
    }
    const config = loadConfigOrReport(options.config, options.baseDir, io);
    if (config === null) return EXIT.failed;
    const following = config.replications.filter(
      (replication) =>
        selectsName(replication.groups, options.group) &&
        (options.destination === undefined || replication.destinations.includes(options.destination)),
    );
    const destinations = [...new Set(following.flatMap((replication) => replication.destinations))];
    const destinationName = options.destination ?? destinations[0];
    if (following.length === 0 || destinationName === undefined) {
      io.stderr(
        `georep offsets: no replication in ${options.config} follows group "${options.group}"` +
          `${options.destination === undefined ? '' : ` to ${options.destination}`} (see replications[].groups)\n`,
      );
      return EXIT.failed;
    }
    if (options.destination === undefined && destinations.length > 1) {
      throw new UsageError(
        `group "${options.group}" follows to ${destinations.join(', ')}: choose one with --destination`,
      );
    }
    const destinationConfig = config.clusters.get(destinationName);
    if (destinationConfig === undefined) throw new UsageError(`no cluster named "${destinationName}"`);
    const { PlatformaticCluster } = await loadKafkaClient();
    const destination = new PlatformaticCluster(destinationConfig);
    const destinationAdmin = destination.createAdmin();
    try {
      const checkpoints = await readCheckpoints(config, destinationName, options.group, io, async () =>
        readCompactedTopic(
          destination,
          destinationAdmin,
          checkpointsTopic(config.daemon.groupIdPrefix),
          config.daemon.groupIdPrefix,
          CHECKPOINT_READ_TIMEOUT_MS,
        ),
      );
      if (checkpoints === null) return EXIT.failed;
      const rows = await partitionRows(
        config,
        following[0]?.origin ?? '',
        options.group,
        checkpoints,
        destinationAdmin,
      );
      const [description] = await destinationAdmin.describeConsumerGroups([options.group]);
      const members = description?.memberCount ?? 0;
      let applied: { topic: string; partition: number; offset: string }[] | null = null;
      if (options.apply) {
        if (members > 0) {
          io.stderr(
            `georep offsets: refusing to --apply: group "${options.group}" has ${members} active member(s) on ` +
              `${destinationName}. Stop its consumers there, then run this again.\n`,
          );
          return EXIT.failed;
        }
        applied = await applyForward(destinationAdmin, options.group, rows);
      }
      if (options.json) {
        io.stdout(
          `${JSON.stringify(
            {
              group: options.group,
              destination: destinationName,
              destinationMembers: members,
              partitions: rows,
              applied,
            },
            null,
            2,
          )}\n`,
        );
      } else {
        io.stdout(renderRows(rows));
        io.stdout(`\ngroup "${options.group}" on ${destinationName}: ${members} active member(s)\n`);
        if (applied !== null) {
          io.stdout(
            applied.length === 0
              ? 'nothing to apply: the group is at or past every translated offset on the destination\n'
              : `applied: ${applied.map((entry) => `${entry.topic}[${entry.partition}]=${entry.offset}`).join(', ')}\n`,
          );
        }
      }
      return EXIT.ok;
    } catch (error) {
      io.stderr(
        `georep offsets: ${destinationName}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return EXIT.failed;
    } finally {
      await destinationAdmin.close().catch(() => undefined);
    }
  },
};

/** The group's checkpoints on the destination, by destination topic and partition; null (reported) when none. */
async function readCheckpoints(
  config: Config,
  destination: string,
  group: string,
  io: CommandIo,
  read: () => Promise<Map<string, Buffer>>,
): Promise<Map<string, { topic: string; partition: number; value: CheckpointValue }> | null> {
  const all = await read().catch((error: unknown) => {
    io.stderr(
      `georep offsets: cannot read ${checkpointsTopic(config.daemon.groupIdPrefix)} on ${destination}: ` +
        `${error instanceof Error ? error.message : String(error)}\n`,
    );
    return null;
  });
  if (all === null) return null;
  const mine = new Map<string, { topic: string; partition: number; value: CheckpointValue }>();
  for (const [keyText, valueBytes] of all) {
    const key = JSON.parse(keyText) as { group: string; topic: string; partition: number };
    if (key.group !== group) continue;
    mine.set(keyText, {
      topic: key.topic,
      partition: key.partition,
      value: JSON.parse(valueBytes.toString('utf8')) as CheckpointValue,
    });
  }
  if (mine.size === 0) {
    io.stderr(
      `georep offsets: ${destination} has no checkpoints for group "${group}" yet. Is the daemon running with ` +
        'this group selected by replications[].groups, and has the group committed offsets on the origin?\n',
    );
    return null;
  }
  return mine;
}

async function partitionRows(
  config: Config,
  originName: string,
  group: string,
  checkpoints: Map<string, { topic: string; partition: number; value: CheckpointValue }>,
  destinationAdmin: KafkaAdmin,
): Promise<PartitionRow[]> {
  const entries = [...checkpoints.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  const destinationTopics = [...new Set(entries.map((entry) => entry.topic))];
  const originTopics = [...new Set(entries.map((entry) => entry.value.originTopic))];
  const onDestination = await destinationAdmin.committedOffsets(group, destinationTopics);
  const onOrigin = await originCommitted(config, originName, group, originTopics);
  return entries.map((entry) => ({
    topic: entry.topic,
    originTopic: entry.value.originTopic,
    partition: entry.partition,
    originCommitted:
      onOrigin
        ?.find((c) => c.topic === entry.value.originTopic && c.partition === entry.partition)
        ?.offset?.toString() ?? null,
    translated: entry.value.destinationOffset,
    destinationCommitted:
      onDestination
        .find((c) => c.topic === entry.topic && c.partition === entry.partition)
        ?.offset?.toString() ?? null,
    translatedAtMs: entry.value.atMs,
  }));
}

/** The group's committed offsets on the origin, or null when the origin does not answer in time (it may be gone). */
async function originCommitted(config: Config, originName: string, group: string, topics: readonly string[]) {
  const cluster = config.clusters.get(originName);
  if (cluster === undefined) return null;
  const { PlatformaticCluster } = await loadKafkaClient();
  const admin = new PlatformaticCluster({ ...cluster, connectionTimeoutMs: ORIGIN_TIMEOUT_MS }).createAdmin();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      admin.committedOffsets(group, topics).catch(() => null),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), ORIGIN_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    void admin.close().catch(() => undefined);
  }
}

/** Commits each translated offset that is ahead of the group's offset on the destination; returns what it committed. */
async function applyForward(admin: KafkaAdmin, group: string, rows: readonly PartitionRow[]) {
  const forward = rows.filter(
    (row) => row.destinationCommitted === null || BigInt(row.translated) > BigInt(row.destinationCommitted),
  );
  for (const topic of new Set(forward.map((row) => row.topic))) {
    await admin.setCommittedOffsets(
      group,
      topic,
      forward
        .filter((row) => row.topic === topic)
        .map((row) => ({ partition: row.partition, offset: BigInt(row.translated) })),
    );
  }
  return forward.map((row) => ({ topic: row.topic, partition: row.partition, offset: row.translated }));
}

function renderRows(rows: readonly PartitionRow[]): string {
  return renderTable(
    ['TOPIC', 'PARTITION', 'ORIGIN COMMITTED', 'TRANSLATED', 'DESTINATION COMMITTED', 'TRANSLATED AT'],
    rows.map((row) => [
      row.topic,
      String(row.partition),
      row.originCommitted ?? '-',
      row.translated,
      row.destinationCommitted ?? '-',
      new Date(row.translatedAtMs).toISOString(),
    ]),
  );
}

function parseOptions(args: readonly string[]) {
  const { values, positionals } = parseCommandLine({
    args: [...args],
    options: {
      config: { type: 'string', short: 'c' },
      group: { type: 'string', short: 'g' },
      destination: { type: 'string', short: 'd' },
      'base-dir': { type: 'string' },
      apply: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { help: true as const, config: '', group: '', apply: false, json: false };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  if (values.group === undefined) throw new UsageError('--group GROUP is required');
  return {
    help: false as const,
    config: values.config,
    group: values.group,
    destination: values.destination,
    baseDir: values['base-dir'],
    apply: values.apply,
    json: values.json,
  };
}
