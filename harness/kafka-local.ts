// Independent single-node KRaft Kafka clusters on loopback, started from the cached jars (no Docker).
//
//   const run = await startClusters({ count: 2, version: '4.1.2' });
//   run.clusters[0].bootstrap  // '127.0.0.1:13234'
//   await run.stopAll();
//
// Each cluster lives in .cache/kafka-runs/<run-id>/<name>/ of the repository: server.properties, data/ (the
// log dirs) and logs/ (server.log written by Kafka's logger, stdout.log for whatever the JVM prints itself).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { renderServerProperties, type SaslPlainListener, type SslListener } from './broker-config.js';
import { findFreePorts } from './free-ports.js';
import { hasExited, type JvmHeap, killJava, spawnJava, stopJava } from './java-process.js';
import { ensureKafkaJars } from './kafka-jars.js';
import { kafkaRunsDir, newRunId, pruneOldRuns } from './kafka-runs.js';
import { runKafkaTool } from './kafka-tools.js';
import { createTestPki, type TestPki } from './tls-certs.js';
import { type KafkaVersion, kafkaVersionFromEnv, kafkaVersionProfile } from './versions.js';
import { WanProxy, type WanShape } from './wan-proxy.js';

export const DEFAULT_BROKER_HEAP: JvmHeap = { initialMb: 256, maxMb: 512 };
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const DEFAULT_STOP_GRACE_MS = 20_000;
export interface StartClustersOptions {
  count: number;
  /** Default: GEOREP_KAFKA_VERSION, else the current release line. */
  version?: KafkaVersion;
  /** One name per cluster, used for folders and messages; default 'a', 'b', 'c', … */
  names?: readonly string[];
  heap?: JvmHeap;
  /** Broker properties that win over the harness's defaults (see broker-config.ts). */
  brokerProperties?: Readonly<Record<string, string>>;
  /**
   * Also open a SASL_PLAINTEXT listener (mechanism PLAIN) that accepts these users (name → password); each
   * cluster's `saslBootstrap` is its address.
   */
  saslPlainUsers?: Readonly<Record<string, string>>;
  /**
   * Deny by default (StandardAuthorizer): the SASL users may do only what ACLs allow; whoever connects to the
   * PLAINTEXT listener (the harness, the tests' tools) is a super user. Grant ACLs with the tools' Admin.
   */
  standardAuthorizer?: boolean;
  /**
   * Also reach each cluster through a WAN of this shape (a delaying proxy in this process, wan-proxy.ts): its
   * `wanBootstrap` is the proxy's address, which the broker advertises on a listener of its own, so clients
   * that bootstrap there stay behind the proxy. `bootstrap` stays direct. Cannot outlive this process.
   */
  wan?: WanShape;
  /**
   * Also open an SSL listener on each cluster, with certificates made for this run (the run's `pki`: one CA
   * signs every broker's certificate and a client certificate); each cluster's `sslBootstrap` is its address.
   */
  tls?: { readonly clientAuth: 'required' | 'none' };
  /** How long each cluster may take from launch to answering an admin request. */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
  /** Leave the brokers running after this process ends (the CLI's --detach); stop them with stopJavaByPid. */
  outliveThisProcess?: boolean;
  /** Progress messages for people (downloads, where the logs are). */
  onProgress?: (message: string) => void;
}

export interface StopOptions {
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
}

export interface LocalKafkaCluster {
  readonly name: string;
  readonly version: KafkaVersion;
  /** host:port of the PLAINTEXT listener, what clients bootstrap to. */
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  /** host:port of the SASL_PLAINTEXT listener, when `saslPlainUsers` asked for one. */
  readonly saslBootstrap: string | null;
  /** host:port of the WAN proxy in front of the broker, when `wan` asked for one. */
  readonly wanBootstrap: string | null;
  /** The proxy itself, to read what it carried or change its delay and bandwidth; null without `wan`. */
  readonly wanProxy: WanProxy | null;
  /** host:port of the SSL listener, when `tls` asked for one. */
  readonly sslBootstrap: string | null;
  readonly clusterId: string;
  /** Folder with server.properties, data/ and logs/. */
  readonly clusterDir: string;
  readonly dataDir: string;
  /** Kafka's own log of this broker. */
  readonly serverLogFile: string;
  /** On the JVM's command line as -Dgeorep.harness=<marker>. */
  readonly marker: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Controlled shutdown (SIGTERM), SIGKILL after the grace time. */
  stop(options?: StopOptions): Promise<void>;
  /** SIGKILL, to simulate a crash. The data dir stays for restart(). */
  kill(): Promise<void>;
  /** Stops the broker if it runs, then starts it again on the same ports with the same data. */
  restart(options?: { signal?: AbortSignal }): Promise<void>;
}

export interface LocalKafkaRun {
  readonly runId: string;
  readonly runDir: string;
  readonly version: KafkaVersion;
  readonly clusters: readonly LocalKafkaCluster[];
  /** The run's CA, broker and client certificates, when `tls` asked for SSL listeners. */
  readonly pki: TestPki | null;
  stopAll(options?: StopOptions): Promise<void>;
}

/** A KRaft cluster id: 16 random bytes in base64url without padding, not starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function defaultClusterNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String.fromCharCode('a'.charCodeAt(0) + index));
}

async function lastLines(file: string, count: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no file)';
  }
}

/**
 * True when the broker answers an admin request, lists itself among the cluster's brokers, and can act as
 * a consumer group coordinator. Asking for one makes the broker create __consumer_offsets, so that the
 * first consumer of a test does not wait and retry while it appears.
 */
async function readyForClients(bootstrap: string): Promise<boolean> {
  // Not the tools' patient client (kafka-client.ts): a probe fails fast and is asked again.
  const admin = new Admin({
    clientId: 'georep-harness-probe',
    bootstrapBrokers: [bootstrap],
    connectTimeout: 1_000,
    timeout: 3_000,
    retries: 0,
  });
  try {
    const { brokers } = await admin.metadata({ topics: [] });
    if (brokers.size === 0) return false;
    await admin.describeGroups({ groups: ['georep-harness-probe'] });
    return true;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}

interface ClusterSettings {
  name: string;
  version: KafkaVersion;
  port: number;
  controllerPort: number;
  saslPlain: SaslPlainListener | undefined;
  ssl: SslListener | undefined;
  standardAuthorizer: boolean;
  /** The broker's WAN listener port and the proxy in front of it. */
  wan: { port: number; proxy: WanProxy } | undefined;
  clusterDir: string;
  marker: string;
  heap: JvmHeap;
  brokerProperties: Readonly<Record<string, string>>;
  readyTimeoutMs: number;
  outliveThisProcess: boolean;
}

class Cluster implements LocalKafkaCluster {
  readonly clusterId = newClusterId();
  private jvm: ChildProcess | undefined;

  constructor(private readonly settings: ClusterSettings) {}

  get name(): string {
    return this.settings.name;
  }
  get version(): KafkaVersion {
    return this.settings.version;
  }
  get port(): number {
    return this.settings.port;
  }
  get controllerPort(): number {
    return this.settings.controllerPort;
  }
  get bootstrap(): string {
    return `127.0.0.1:${this.settings.port}`;
  }
  get saslBootstrap(): string | null {
    return this.settings.saslPlain === undefined ? null : `127.0.0.1:${this.settings.saslPlain.port}`;
  }
  get wanBootstrap(): string | null {
    return this.settings.wan?.proxy.address ?? null;
  }
  get wanProxy(): WanProxy | null {
    return this.settings.wan?.proxy ?? null;
  }
  get sslBootstrap(): string | null {
    return this.settings.ssl === undefined ? null : `127.0.0.1:${this.settings.ssl.port}`;
  }
  get clusterDir(): string {
    return this.settings.clusterDir;
  }
  get dataDir(): string {
    return path.join(this.settings.clusterDir, 'data');
  }
  get logsDir(): string {
    return path.join(this.settings.clusterDir, 'logs');
  }
  get serverLogFile(): string {
    return path.join(this.logsDir, 'server.log');
  }
  get stdoutLogFile(): string {
    return path.join(this.logsDir, 'stdout.log');
  }
  get configFile(): string {
    return path.join(this.settings.clusterDir, 'server.properties');
  }
  get marker(): string {
    return this.settings.marker;
  }
  get pid(): number | undefined {
    return this.jvm?.pid;
  }
  get running(): boolean {
    return this.jvm !== undefined && !hasExited(this.jvm);
  }

  /** Writes server.properties and formats the empty data dir (KRaft refuses to start on an unformatted one). */
  async format(signal: AbortSignal | undefined): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    await mkdir(this.logsDir, { recursive: true });
    const profile = kafkaVersionProfile(this.version);
    await writeFile(
      this.configFile,
      renderServerProperties({
        port: this.port,
        controllerPort: this.controllerPort,
        dataDir: this.dataDir,
        profile,
        overrides: this.settings.brokerProperties,
        ...(this.settings.saslPlain === undefined ? {} : { saslPlain: this.settings.saslPlain }),
        ...(this.settings.ssl === undefined ? {} : { ssl: this.settings.ssl }),
        standardAuthorizer: this.settings.standardAuthorizer,
        ...(this.settings.wan === undefined
          ? {}
          : { wan: { port: this.settings.wan.port, proxyPort: this.settings.wan.proxy.port } }),
      }),
    );
    // With controller.quorum.voters set, no --standalone: Kafka 4.1 rejects the two together.
    await runKafkaTool({
      version: this.version,
      tool: 'storage',
      args: ['format', '-t', this.clusterId, '-c', this.configFile],
      signal,
    });
  }

  async start(signal: AbortSignal | undefined): Promise<void> {
    if (this.running) throw new Error(`Kafka cluster ${this.name} is already running`);
    const profile = kafkaVersionProfile(this.version);
    const libsDir = await ensureKafkaJars(this.version, { signal });
    const output = openSync(this.stdoutLogFile, 'a');
    try {
      this.jvm = spawnJava(
        {
          libsDir,
          mainClass: 'kafka.Kafka',
          args: [this.configFile],
          heap: this.settings.heap,
          jvmOptions: [
            `-Dkafka.logs.dir=${this.logsDir}`,
            profile.logConfigOption(profile.brokerLogConfigFile),
          ],
          marker: this.marker,
        },
        { output, outliveThisProcess: this.settings.outliveThisProcess },
      );
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(output);
    }
    await this.waitUntilReady(signal);
  }

  private async waitUntilReady(signal: AbortSignal | undefined): Promise<void> {
    const jvm = this.jvm!;
    const deadline = Date.now() + this.settings.readyTimeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (hasExited(jvm)) {
        throw new Error(
          `Kafka ${this.version} cluster ${this.name} exited during start-up (code ${jvm.exitCode}, signal ${jvm.signalCode}).\n` +
            `--- ${this.serverLogFile} (last lines)\n${await lastLines(this.serverLogFile, 30)}\n` +
            `--- ${this.stdoutLogFile} (last lines)\n${await lastLines(this.stdoutLogFile, 30)}`,
        );
      }
      if (await readyForClients(this.bootstrap)) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `Kafka ${this.version} cluster ${this.name} did not answer on ${this.bootstrap} within ` +
            `${this.settings.readyTimeoutMs} ms; see ${this.serverLogFile}`,
        );
      }
      await sleep(250, undefined, { signal });
    }
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (this.jvm) await stopJava(this.jvm, options.graceMs ?? DEFAULT_STOP_GRACE_MS);
  }

  async kill(): Promise<void> {
    if (this.jvm) await killJava(this.jvm);
  }

  async restart(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.stop();
    await this.start(options.signal);
  }
}

/**
 * Formats and starts `count` independent single-node KRaft clusters in parallel, each on free loopback ports
 * (PLAINTEXT and CONTROLLER, plus one per SASL or SSL listener asked for), and resolves once every one
 * answers admin requests and coordinates consumer groups. If any fails to start, all are stopped and the
 * error names the failing cluster with the end of its log.
 */
export async function startClusters(options: StartClustersOptions): Promise<LocalKafkaRun> {
  const version = options.version ?? kafkaVersionFromEnv();
  const names = options.names ?? defaultClusterNames(options.count);
  if (names.length !== options.count) throw new Error(`${options.count} clusters but ${names.length} names`);
  for (const name of names) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`cluster name "${name}": use a-z, 0-9 and '-'`);
  }
  await ensureKafkaJars(version, { signal: options.signal, onDownload: options.onProgress });

  const runId = newRunId(version);
  const runDir = path.join(kafkaRunsDir, runId);
  await pruneOldRuns(runId);
  if (options.wan !== undefined && options.outliveThisProcess === true) {
    throw new Error('a WAN proxy runs in this process, so clusters behind one cannot outlive it');
  }
  const pki = options.tls === undefined ? null : await createTestPki(path.join(runDir, 'tls'));
  const portsPerCluster =
    2 +
    (options.saslPlainUsers === undefined ? 0 : 1) +
    (pki === null ? 0 : 1) +
    (options.wan === undefined ? 0 : 1);
  const ports = await findFreePorts(options.count * portsPerCluster);
  const clusterPorts = names.map((_, index) =>
    ports.slice(index * portsPerCluster, (index + 1) * portsPerCluster),
  );
  // Each cluster's WAN listener takes its last port, which the proxy in front of it forwards to.
  const wanPort = (index: number) => clusterPorts[index]![portsPerCluster - 1]!;
  const proxies =
    options.wan === undefined
      ? undefined
      : await Promise.all(
          names.map((_, index) =>
            WanProxy.start({ target: { host: '127.0.0.1', port: wanPort(index) }, shape: options.wan! }),
          ),
        );
  const clusters = names.map((name, index) => {
    const available = [...clusterPorts[index]!];
    const nextPort = () => available.shift()!;
    return new Cluster({
      name,
      version,
      port: nextPort(),
      controllerPort: nextPort(),
      saslPlain:
        options.saslPlainUsers === undefined
          ? undefined
          : { port: nextPort(), users: options.saslPlainUsers },
      ssl:
        pki === null
          ? undefined
          : {
              port: nextPort(),
              keyStoreFile: pki.brokerKeyStoreFile,
              trustStoreFile: pki.ca.certFile,
              clientAuth: options.tls!.clientAuth,
            },
      standardAuthorizer: options.standardAuthorizer ?? false,
      wan: proxies === undefined ? undefined : { port: wanPort(index), proxy: proxies[index]! },
      clusterDir: path.join(runDir, name),
      marker: `${runId}-${name}`,
      heap: options.heap ?? DEFAULT_BROKER_HEAP,
      brokerProperties: options.brokerProperties ?? {},
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      outliveThisProcess: options.outliveThisProcess ?? false,
    });
  });
  const stopAll = async (stopOptions?: StopOptions) => {
    await Promise.all(clusters.map((cluster) => cluster.stop(stopOptions)));
    await Promise.all((proxies ?? []).map((proxy) => proxy.close()));
  };

  const started = await Promise.allSettled(
    clusters.map(async (cluster) => {
      await cluster.format(options.signal);
      await cluster.start(options.signal);
    }),
  );
  const failures = started.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) {
    await stopAll();
    throw failures[0];
  }
  options.onProgress?.(`Kafka ${version} run ${runId}: logs and data in ${runDir}`);
  return { runId, runDir, version, clusters, pki, stopAll };
}
