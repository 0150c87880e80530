// The command line of `npm run kafka -- …`, parsed into a plain value (no side effects, unit-tested).
import { parseArgs } from 'node:util';
import { KAFKA_VERSIONS, type KafkaVersion, kafkaVersionFromEnv, parseKafkaVersion } from './versions.js';

export const KAFKA_CLI_USAGE = `usage: npm run kafka -- <command> [options]

Runs single-node Apache Kafka clusters (KRaft, no ZooKeeper) on 127.0.0.1 from jars that Maven fetches
once into \${XDG_CACHE_HOME:-~/.cache}/georep/kafka/<version>/libs. Needs Java 17 and Maven.

commands:
  up [--clusters N] [--version V] [--detach]
        start N independent clusters (default 2) and print their bootstrap addresses.
        In the foreground until Ctrl-C, which stops them; with --detach, return at once and
        leave them running until \`npm run kafka -- down\`.
  down  stop the clusters that \`up --detach\` started (SIGTERM, then SIGKILL after 20 s).
  fetch [--version V | --all]
        only download the jars (e.g. to warm a CI cache).

options:
  --version V   Kafka version: ${KAFKA_VERSIONS.join(', ')} (default: $GEOREP_KAFKA_VERSION, else ${kafkaVersionFromEnv({})})
  -h, --help    show this text

exit codes: 0 done, 1 failed, 2 usage error`;

export type KafkaCliCommand =
  | { command: 'help' }
  | { command: 'up'; clusters: number; version: KafkaVersion; detach: boolean }
  | { command: 'down' }
  | { command: 'fetch'; versions: KafkaVersion[] };

/** Thrown for a command line that cannot be understood; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const MAX_CLUSTERS = 8;

export function parseKafkaCliArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): KafkaCliCommand {
  let parsed: ReturnType<typeof parseWithNode>;
  try {
    parsed = parseWithNode(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);

  const version = (): KafkaVersion => {
    try {
      return values.version === undefined
        ? kafkaVersionFromEnv(env)
        : parseKafkaVersion(values.version, '--version');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const rejectOptions = (...names: Array<keyof typeof values>) => {
    for (const name of names) {
      if (values[name] !== undefined) throw new UsageError(`--${name} does not apply to "${command}"`);
    }
  };

  switch (command) {
    case 'up': {
      rejectOptions('all');
      const clusters = values.clusters === undefined ? 2 : Number(values.clusters);
      if (!Number.isInteger(clusters) || clusters < 1 || clusters > MAX_CLUSTERS) {
        throw new UsageError(`--clusters must be a whole number from 1 to ${MAX_CLUSTERS}`);
      }
      return { command: 'up', clusters, version: version(), detach: values.detach ?? false };
    }
    case 'down':
      rejectOptions('clusters', 'version', 'detach', 'all');
      return { command: 'down' };
    case 'fetch':
      rejectOptions('clusters', 'detach');
      if (values.all && values.version !== undefined)
        throw new UsageError('give --version or --all, not both');
      return { command: 'fetch', versions: values.all ? [...KAFKA_VERSIONS] : [version()] };
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function parseWithNode(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      clusters: { type: 'string' },
      version: { type: 'string' },
      detach: { type: 'boolean' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
