// The shared frame of a test file that mirrors between two clusters: the clusters (local ones from the
// harness, or the user's own from GEOREP_TEST_BOOTSTRAP_A/_B), a working directory for configs and daemon
// logs, and the clean-up that leaves nothing behind: no daemon, no local cluster, no topic on the user's
// clusters, no directory.
//
//   const run = new TwoClusterRun('bounded-memory');
//   before(async (context) => { await run.start(context.signal); … run.origin … });
//   after(() => run.finish());
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kafkaTestTarget } from '../../../harness/test-clusters.js';
import { stopAllGeorepProcesses } from './georep-process.js';
import { deleteTopicsQuietly } from './sequence-records.js';

export class TwoClusterRun {
  readonly target = kafkaTestTarget({ clusters: 2 });
  readonly workDir: string;
  #origin: string[] = [];
  #destination: string[] = [];
  readonly #topicsToDelete: { brokers: () => string[]; topics: readonly string[] }[] = [];

  constructor(name: string) {
    this.workDir = mkdtempSync(path.join(tmpdir(), `georep-${name}-`));
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

  /** Topics the test makes (or georep makes for it), deleted at the end on clusters the harness did not start. */
  deleteAtEnd(side: 'origin' | 'destination', topics: readonly string[]): void {
    this.#topicsToDelete.push({
      brokers: () => (side === 'origin' ? this.#origin : this.#destination),
      topics,
    });
  }

  /** Daemons first (they would log errors while brokers go away), then topics, clusters and the directory. */
  async finish(): Promise<void> {
    await stopAllGeorepProcesses();
    const local = this.#origin.length > 0 && this.target.clusters()[0]?.local !== undefined;
    if (this.#origin.length > 0 && !local) {
      for (const { brokers, topics } of this.#topicsToDelete) await deleteTopicsQuietly(brokers(), topics);
    }
    await this.target.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
