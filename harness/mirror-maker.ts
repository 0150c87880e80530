// MirrorMaker 2 in dedicated mode (org.apache.kafka.connect.mirror.MirrorMaker), run from the same cached
// jars as the brokers, to compare georep with it on the same clusters and data (bench/throughput.ts).
//
//   const mm2 = await startMirrorMaker({
//     workDir, targetClusters: ['b'],
//     properties: oneWayMirrorProperties({ source: { alias: 'a', bootstrap }, target: { alias: 'b', bootstrap: b2 }, topics: 'orders' }),
//   });
//   …                // records appear on b as `a.orders`
//   await mm2.stop();
//
// Like the brokers, the JVM carries -Dgeorep.harness=<marker> and is guarded by java-process.ts: it never
// outlives the Node process that started it.
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hasExited, type JvmHeap, spawnJava, stopJava } from './java-process.js';
import { ensureKafkaJars } from './kafka-jars.js';
import { type KafkaVersion, kafkaVersionFromEnv, kafkaVersionProfile } from './versions.js';

/** MirrorMaker buffers whole fetches and producer batches per task; 1 GiB is ample for one task. */
export const DEFAULT_MIRROR_MAKER_HEAP: JvmHeap = { initialMb: 256, maxMb: 1024 };
const DEFAULT_STOP_GRACE_MS = 20_000;

export interface MirrorMakerCluster {
  /** MirrorMaker's name for the cluster; the source alias becomes the prefix of replicated topic names. */
  readonly alias: string;
  readonly bootstrap: string;
}

export interface OneWayMirrorOptions {
  readonly source: MirrorMakerCluster;
  readonly target: MirrorMakerCluster;
  /** MirrorMaker's topic list: comma-separated names or Java regular expressions. */
  readonly topics: string;
  /** How often MirrorMaker looks for new source topics (its default, 600 s, is far too slow for a test). */
  readonly refreshTopicsIntervalSeconds?: number;
  /** Further properties that win over these. */
  readonly overrides?: Readonly<Record<string, string>>;
}

/**
 * mm2.properties for copying `topics` from source to target and nothing else: no reverse flow, no ACL or
 * topic-config sync, no heartbeats, checkpoints or group-offset sync (a one-way data benchmark), and every
 * internal topic with one replica (the harness's clusters have one broker each).
 */
export function oneWayMirrorProperties(options: OneWayMirrorOptions): Record<string, string> {
  const { source, target } = options;
  return {
    clusters: `${source.alias}, ${target.alias}`,
    [`${source.alias}.bootstrap.servers`]: source.bootstrap,
    [`${target.alias}.bootstrap.servers`]: target.bootstrap,
    [`${source.alias}->${target.alias}.enabled`]: 'true',
    [`${source.alias}->${target.alias}.topics`]: options.topics,
    [`${target.alias}->${source.alias}.enabled`]: 'false',
    'refresh.topics.interval.seconds': String(options.refreshTopicsIntervalSeconds ?? 1),
    'sync.topic.acls.enabled': 'false',
    'sync.topic.configs.enabled': 'false',
    'emit.heartbeats.enabled': 'false',
    'emit.checkpoints.enabled': 'false',
    'sync.group.offsets.enabled': 'false',
    'replication.factor': '1',
    'checkpoints.topic.replication.factor': '1',
    'heartbeats.topic.replication.factor': '1',
    'offset-syncs.topic.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'config.storage.replication.factor': '1',
    ...options.overrides,
  };
}

export function renderMirrorMakerProperties(properties: Readonly<Record<string, string>>): string {
  return `${Object.entries(properties)
    .map(([key, value]) => `${key} = ${value}`)
    .join('\n')}\n`;
}

export interface StartMirrorMakerOptions {
  /** Default: GEOREP_KAFKA_VERSION, else the current release line. */
  readonly version?: KafkaVersion;
  readonly properties: Readonly<Record<string, string>>;
  /** The clusters this MirrorMaker writes into (its `--clusters` argument). */
  readonly targetClusters: readonly string[];
  /** Gets mm2.properties and logs/ (server.log: MirrorMaker's INFO log; stdout.log: what the JVM prints). */
  readonly workDir: string;
  readonly heap?: JvmHeap;
  /** The CPUs it runs on (a taskset list); default: those of this process. */
  readonly cpus?: string;
  readonly signal?: AbortSignal;
}

export interface RunningMirrorMaker {
  readonly pid: number;
  readonly logFile: string;
  readonly running: boolean;
  /** SIGTERM (MirrorMaker commits and closes its tasks), SIGKILL after the grace time. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

let mirrorMakersStartedByThisProcess = 0;

/** Writes mm2.properties into workDir and launches MirrorMaker; returns once the JVM runs (not when it copies). */
export async function startMirrorMaker(options: StartMirrorMakerOptions): Promise<RunningMirrorMaker> {
  const version = options.version ?? kafkaVersionFromEnv();
  const profile = kafkaVersionProfile(version);
  const libsDir = await ensureKafkaJars(version, { signal: options.signal });
  options.signal?.throwIfAborted();
  const logsDir = path.join(options.workDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const propertiesFile = path.join(options.workDir, 'mm2.properties');
  await writeFile(propertiesFile, renderMirrorMakerProperties(options.properties));

  mirrorMakersStartedByThisProcess += 1;
  const output = openSync(path.join(logsDir, 'stdout.log'), 'a');
  let jvm: ChildProcess;
  try {
    jvm = spawnJava(
      {
        libsDir,
        mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker',
        args: [propertiesFile, '--clusters', ...options.targetClusters],
        heap: options.heap ?? DEFAULT_MIRROR_MAKER_HEAP,
        // The broker's log configuration: INFO and above into <kafka.logs.dir>/server.log.
        jvmOptions: [`-Dkafka.logs.dir=${logsDir}`, profile.logConfigOption(profile.brokerLogConfigFile)],
        marker: `mm2-p${process.pid}-${mirrorMakersStartedByThisProcess}`,
      },
      { output, ...(options.cpus === undefined ? {} : { cpus: options.cpus }) },
    );
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(output);
  }
  if (jvm.pid === undefined) throw new Error('could not start java for MirrorMaker 2 (is Java installed?)');
  const pid = jvm.pid;
  return {
    pid,
    logFile: path.join(logsDir, 'server.log'),
    get running() {
      return !hasExited(jvm);
    },
    async stop(stopOptions = {}) {
      await stopJava(jvm, stopOptions.graceMs ?? DEFAULT_STOP_GRACE_MS);
    },
  };
}
