// PartitionReader on @platformatic/kafka: georep's own read_committed fetches (partition-fetcher.ts, decoded and
// filtered by record-batches.ts, so aborted records and markers are treated exactly as the mirror treats them),
// sent to each partition's leader at an explicit offset. The library's Consumer is only used for metadata and
// its Fetch API: it never joins a group (no JoinGroup, no OffsetCommit), so reading changes nothing on the
// cluster. One request at a time per call; the caller decides how much it holds.
import { ConnectionPool, Consumer } from '@platformatic/kafka';
import type { ClusterConfig } from '../../config/types.js';
import { OffsetOutOfRange } from '../errors.js';
import type { PartitionReader, PartitionReadResult } from '../port.js';
import { baseOptions } from './client-options.js';
import { unreadableBatch } from './fetch-answer.js';
import { toPortError } from './map-error.js';
import { type FetchLayout, leaderOf, PartitionFetcher } from './partition-fetcher.js';

/** How long the broker may hold a fetch that has nothing yet (a read at the end of a partition). */
const FETCH_MAX_WAIT_MS = 500;
/** Fetches of one read that may fail transiently (leader moving) before the read rejects. */
const FETCH_ATTEMPTS = 6;
const FETCH_RETRY_DELAY_MS = 500;

export class PlatformaticPartitionReader implements PartitionReader {
  readonly #config: ClusterConfig;
  readonly #consumer: Consumer;
  readonly #pool: ConnectionPool;
  readonly #fetchers = new Map<string, { fetcher: PartitionFetcher; layout: FetchLayout | null }>();

  constructor(config: ClusterConfig) {
    this.#config = config;
    const options = baseOptions(config, 'reader');
    // The id is required by the library's Consumer; no request ever names it (no group is joined).
    this.#consumer = new Consumer({ ...options, groupId: `${options.clientId}-never-joined` });
    this.#pool = new ConnectionPool(`${options.clientId}-fetch`, options);
  }

  async read(
    topic: string,
    partition: number,
    offset: bigint,
    maxBytes: number,
  ): Promise<PartitionReadResult> {
    try {
      return await this.#read(topic, partition, offset, maxBytes);
    } catch (error) {
      throw toPortError(error, this.#config.name, {
        operation: `read ${topic}[${partition}] at offset ${offset}`,
        topic,
      });
    }
  }

  async #read(topic: string, partition: number, offset: bigint, maxBytes: number) {
    let entry = this.#fetchers.get(topic);
    if (entry === undefined) {
      entry = {
        fetcher: new PartitionFetcher(this.#consumer, this.#pool, this.#config.name, FETCH_MAX_WAIT_MS),
        layout: null,
      };
      this.#fetchers.set(topic, entry);
    }
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < FETCH_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, FETCH_RETRY_DELAY_MS * attempt));
      entry.layout =
        entry.layout === null || attempt > 0
          ? await entry.fetcher.layout([topic], attempt > 0)
          : entry.layout;
      const leader = leaderOf(entry.layout, topic, partition);
      if (leader < 0) {
        lastError = new Error(`${topic}[${partition}] has no leader`);
        continue;
      }
      const [outcome] = await entry.fetcher.fetch(
        entry.layout,
        leader,
        [{ topic, partition, offset, maxBytes }],
        maxBytes,
      );
      if (outcome?.kind === 'read') {
        return { records: outcome.read.records, nextOffset: outcome.read.nextOffset };
      }
      if (outcome?.kind === 'unreadable') throw unreadableBatch(this.#config.name, outcome);
      if (outcome?.kind === 'out-of-range') {
        throw new OffsetOutOfRange(this.#config.name, {
          topic,
          partition,
          requestedOffset: offset,
          earliest: null,
          latest: null,
        });
      }
      lastError = outcome?.error ?? new Error(`no answer for ${topic}[${partition}]`);
    }
    throw lastError ?? new Error(`cannot read ${topic}[${partition}]`);
  }

  async close(): Promise<void> {
    await this.#consumer.close().catch(() => undefined);
    await this.#pool.close().catch(() => undefined);
  }
}
