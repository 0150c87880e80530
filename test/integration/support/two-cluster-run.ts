// The shared frame of a test file that runs georep between two clusters: the clusters (local ones from the
// harness, or the user's own from GEOREP_TEST_BOOTSTRAP_A/_B), a working directory for configs and daemon
// logs, georep daemons started with their logs kept there, and the clean-up that leaves nothing behind: no
// daemon, no producer, no local cluster, no topic on the user's clusters, no directory (unless a test failed
// or GEOREP_TEST_KEEP_LOGS is set: then the directory stays for the post-mortem, and its path is printed).
//
//   const run = new TwoClusterRun('bounded-memory');   // at the top of a file or describe(); see TwoClusterRunOptions
//   before(async (context) => { await run.start(context.signal); … run.origin … });
//   after(() => run.finish());
//   describe(run.label, { skip: run.skipReason }, () => { … await run.startGeorep({ configFile, name }) … });
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'node:test';
import type { LocalKafkaCluster } from '../../../harness/kafka-local.js';
import {
  type KafkaTestTarget,
  kafkaTestTarget,
  type TestClustersOptions,
} from '../../../harness/test-clusters.js';
import type { TestPki } from '../../../harness/tls-certs.js';
import { compareTopicCopy, type TopicCopyReport } from './copy-check.js';
import {
  caughtUp,
  GeorepProcess,
  type StartGeorepOptions,
  stopAllGeorepProcesses,
  writeMirrorConfig,
} from './georep-process.js';
import { deleteTopicsQuietly, endOffsets, type PartitionValues, readAllValues } from './sequence-records.js';

/** How long a daemon may take to copy what the origin holds, by default. */
export const CATCH_UP_TIMEOUT_MS = 120_000;

export type TwoClusterRunOptions = Omit<TestClustersOptions, 'clusters'>;

export class TwoClusterRun {
  readonly target: KafkaTestTarget;
  readonly workDir: string;
  #origin: string[] = [];
  #destination: string[] = [];
  #failed = false;
  readonly #topicsToDelete: { brokers: () => string[]; topics: readonly string[] }[] = [];
  readonly #stopAtEnd: (() => Promise<unknown> | undefined)[] = [];

  /** `name` names the working directory; `options` the clusters' names and what local clusters must offer. */
  constructor(name: string, options: TwoClusterRunOptions = {}) {
    this.target = kafkaTestTarget({ ...options, clusters: 2 });
    this.workDir = mkdtempSync(path.join(tmpdir(), `georep-${name}-`));
    // A failed test keeps the directory. `passed` is Node's (since 21.7), not yet in @types/node 22.
    afterEach((context) => {
      if ((context as { readonly passed?: boolean }).passed === false) this.#failed = true;
    });
  }

  /** Names what the tests run against, e.g. 'Kafka 4.1.2'. */
  get label(): string {
    return this.target.label;
  }

  /** Set when the clusters cannot serve the file (too few external ones, or a local-only file on external ones). */
  get skipReason(): string | undefined {
    return this.target.skipReason;
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.target.start(signal);
    const [origin, destination] = this.target.clusters();
    this.#origin = origin?.brokers ?? [];
    this.#destination = destination?.brokers ?? [];
  }

  /** Brokers of the first cluster (the origin of a one-way test). */
  get origin(): string[] {
    return this.#origin;
  }

  /** Brokers of the second cluster. */
  get destination(): string[] {
    return this.#destination;
  }

  /** The two clusters the harness started, to stop a broker or read its listeners; only for local-only files. */
  get local(): [LocalKafkaCluster, LocalKafkaCluster] {
    const [first, second] = this.target.clusters().map((cluster) => cluster.local);
    if (first === undefined || second === undefined) throw new Error(`${this.label}: no local clusters`);
    return [first, second];
  }

  /** The certificates of local clusters started with `local: { tls }`. */
  get pki(): TestPki {
    const pki = this.target.pki();
    if (pki === null) throw new Error(`${this.label}: the clusters have no TLS listener`);
    return pki;
  }

  /** A path in the working directory. */
  file(name: string): string {
    return path.join(this.workDir, name);
  }

  /** Writes `text` to a file of the working directory; returns its path. */
  writeFile(name: string, text: string): string {
    const file = this.file(name);
    writeFileSync(file, text);
    return file;
  }

  /** As Ansible's template module and most editors save: write a temporary file beside it, rename it over. */
  saveByRename(file: string, text: string): void {
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.hrtime.bigint()}.tmp`);
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  }

  /** writeMirrorConfig from the first cluster to the second, in the working directory. */
  writeMirrorConfig(
    options: Omit<Parameters<typeof writeMirrorConfig>[0], 'dir' | 'originBrokers' | 'destinationBrokers'>,
  ): string {
    return writeMirrorConfig({
      ...options,
      dir: this.workDir,
      originBrokers: this.#origin,
      destinationBrokers: this.#destination,
    });
  }

  /** A georep daemon whose output is also kept in the working directory; finish() kills it if it still runs. */
  startGeorep(options: Omit<StartGeorepOptions, 'logDir'>): Promise<GeorepProcess> {
    return GeorepProcess.start({ ...options, logDir: this.workDir });
  }

  /**
   * Waits until `daemon`'s flow `flowKey` copied `topic` up to the origin's end offsets as they are now
   * (CATCH_UP_TIMEOUT_MS unless `timeoutMs` says otherwise).
   */
  async waitUntilCaughtUp(
    daemon: GeorepProcess,
    options: {
      readonly topic: string;
      readonly flowKey: string;
      readonly signal: AbortSignal;
      readonly timeoutMs?: number;
    },
  ): Promise<void> {
    const originEnds = await endOffsets(this.#origin, options.topic);
    await daemon.waitForStatus((status) => caughtUp([status], options.flowKey, originEnds), {
      what: `${options.flowKey} caught up with the origin (${[...originEnds.values()].join(', ')})`,
      timeoutMs: options.timeoutMs ?? CATCH_UP_TIMEOUT_MS,
      signal: options.signal,
    });
  }

  /**
   * Reads `topic` on the origin and its copy `destinationTopic` on the destination to their ends and compares
   * them (copy-check.ts). `describe` is what is kept of a record (readAllValues; default its value).
   */
  async readCopy(options: {
    readonly topic: string;
    readonly destinationTopic: string;
    readonly signal: AbortSignal;
    readonly describe?: Parameters<typeof readAllValues>[0]['describe'];
  }): Promise<{ origin: PartitionValues; destination: PartitionValues; report: TopicCopyReport }> {
    const { topic, destinationTopic, signal, describe } = options;
    const origin = await readAllValues({ brokers: this.#origin, topic, signal, describe });
    const destination = await readAllValues({
      brokers: this.#destination,
      topic: destinationTopic,
      signal,
      describe,
    });
    return { origin, destination, report: compareTopicCopy(origin, destination) };
  }

  /** Something to stop at the end, after the daemons and before the clusters (a producer); errors are ignored. */
  stopAtEnd(stop: () => Promise<unknown> | undefined): void {
    this.#stopAtEnd.push(stop);
  }

  /** Topics the test makes (or georep makes for it), deleted at the end on clusters the harness did not start. */
  deleteAtEnd(side: 'origin' | 'destination', topics: readonly string[]): void {
    this.#topicsToDelete.push({
      brokers: () => (side === 'origin' ? this.#origin : this.#destination),
      topics,
    });
  }

  /** Daemons first (they would log errors while brokers go away), then producers, topics, clusters, directory. */
  async finish(): Promise<void> {
    await stopAllGeorepProcesses();
    for (const stop of this.#stopAtEnd) await stop()?.catch(() => undefined);
    const local = this.#origin.length > 0 && this.target.clusters()[0]?.local !== undefined;
    if (this.#origin.length > 0 && !local) {
      for (const { brokers, topics } of this.#topicsToDelete) await deleteTopicsQuietly(brokers(), topics);
    }
    await this.target.stop();
    if (this.#failed || process.env.GEOREP_TEST_KEEP_LOGS) {
      process.stderr.write(`georep logs kept in ${this.workDir}\n`);
    } else {
      rmSync(this.workDir, { recursive: true, force: true });
    }
  }
}
