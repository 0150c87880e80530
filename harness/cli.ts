// `npm run kafka -- up | down | fetch`: local Kafka clusters for development and tests. See KAFKA_CLI_USAGE.
import '../src/cli/require-supported-node.js';
import { KAFKA_CLI_USAGE, type KafkaCliCommand, parseKafkaCliArgs, UsageError } from './cli-args.js';
import { readDetachedState, removeDetachedState, writeDetachedState } from './detached-state.js';
import { processHasMarker, stopJavaByPid } from './java-process.js';
import { ensureKafkaJars } from './kafka-jars.js';
import { type LocalKafkaRun, startClusters } from './kafka-local.js';

const STOP_GRACE_MS = 20_000;

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

function printClusters(run: LocalKafkaRun): void {
  say(`Kafka ${run.version}, ${run.clusters.length} cluster(s):`);
  for (const cluster of run.clusters) {
    say(`  ${cluster.name}  ${cluster.bootstrap}  (pid ${cluster.pid}, log ${cluster.serverLogFile})`);
  }
  say('To run the tests against them instead of clusters of their own:');
  say(
    `  ${run.clusters.map((cluster) => `GEOREP_TEST_BOOTSTRAP_${cluster.name.toUpperCase()}=${cluster.bootstrap}`).join(' ')} npm test`,
  );
}

async function up(command: Extract<KafkaCliCommand, { command: 'up' }>): Promise<number> {
  if (command.detach) {
    const earlier = await readDetachedState();
    if (earlier?.clusters.some((cluster) => processHasMarker(cluster.pid, cluster.marker))) {
      process.stderr.write(
        'Clusters from an earlier `up --detach` still run; stop them first: npm run kafka -- down\n',
      );
      return 1;
    }
  }

  // Ctrl-C during start-up aborts it (startClusters then stops whatever it started); afterwards it stops
  // the clusters. Further signals while stopping are ignored: the stop already ends in SIGKILL.
  const stopRequested = new AbortController();
  const onSignal = () => stopRequested.abort(new Error('stopped by a signal'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const run = await startClusters({
    count: command.clusters,
    version: command.version,
    signal: stopRequested.signal,
    outliveThisProcess: command.detach,
    onProgress: say,
  });
  printClusters(run);

  if (command.detach) {
    await writeDetachedState({
      runId: run.runId,
      version: run.version,
      clusters: run.clusters.map((cluster) => ({
        name: cluster.name,
        bootstrap: cluster.bootstrap,
        pid: cluster.pid!,
        marker: cluster.marker,
        serverLogFile: cluster.serverLogFile,
      })),
    });
    say('They keep running; stop them with: npm run kafka -- down');
    return 0;
  }

  say('Press Ctrl-C to stop them.');
  if (!stopRequested.signal.aborted) {
    await new Promise((resolve) => stopRequested.signal.addEventListener('abort', resolve, { once: true }));
  }
  say('Stopping…');
  await run.stopAll({ graceMs: STOP_GRACE_MS });
  say('Stopped.');
  return 0;
}

async function down(): Promise<number> {
  const state = await readDetachedState();
  if (!state) {
    say('No clusters started with `up --detach` to stop.');
    return 0;
  }
  const outcomes = await Promise.all(
    state.clusters.map((cluster) => stopJavaByPid(cluster.pid, cluster.marker, STOP_GRACE_MS)),
  );
  state.clusters.forEach((cluster, index) => {
    const outcome = outcomes[index];
    const what =
      outcome === 'stopped'
        ? 'stopped'
        : outcome === 'killed'
          ? `killed (still running ${STOP_GRACE_MS} ms after SIGTERM)`
          : 'was not running';
    say(`Kafka ${state.version} cluster ${cluster.name} (${cluster.bootstrap}, pid ${cluster.pid}): ${what}`);
  });
  await removeDetachedState();
  return 0;
}

async function fetch(command: Extract<KafkaCliCommand, { command: 'fetch' }>): Promise<number> {
  for (const version of command.versions) {
    const libsDir = await ensureKafkaJars(version, { onDownload: say });
    say(`Kafka ${version}: jars in ${libsDir}`);
  }
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let command: KafkaCliCommand;
  try {
    command = parseKafkaCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${KAFKA_CLI_USAGE}\n`);
    return 2;
  }
  switch (command.command) {
    case 'help':
      say(KAFKA_CLI_USAGE);
      return 0;
    case 'up':
      return up(command);
    case 'down':
      return down();
    case 'fetch':
      return fetch(command);
  }
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
