// A flow's RecordSource as an attachment to its lane's shared reader (lane-reader.ts). The lanes of a cluster are
// kept here, one reader per lane group, made when its first flow attaches and closed (leaving the group) when
// its last one detaches.
import type { ClusterConfig } from '../../config/types.js';
import type {
  BatchHandler,
  FetchedEndOffset,
  LaneRecordSource,
  LaneSourceOptions,
  SourceListener,
} from '../port.js';
import { LaneReader } from './lane-reader.js';

/** The lane readers of one cluster, by lane group id. */
export class LaneReaders {
  readonly #config: ClusterConfig;
  readonly #readers = new Map<string, LaneReader>();

  constructor(config: ClusterConfig) {
    this.#config = config;
  }

  source(options: LaneSourceOptions): LaneRecordSource {
    return new LaneSource(this, options);
  }

  /** How many lane readers (consumer group memberships) this cluster holds now. */
  get size(): number {
    return this.#readers.size;
  }

  readerFor(options: LaneSourceOptions): LaneReader {
    let reader = this.#readers.get(options.laneGroupId);
    if (reader === undefined) {
      reader = new LaneReader(this.#config, {
        groupId: options.laneGroupId,
        ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
      });
      this.#readers.set(options.laneGroupId, reader);
    }
    return reader;
  }

  /**
   * Closes the reader once no flow is attached to it any more. Every caller waits for the same close: a flow that
   * failed released its reader already, and its stop() must still return only once the group was left.
   */
  async release(groupId: string, reader: LaneReader): Promise<void> {
    if (reader.attachedCount > 0) return;
    if (this.#readers.get(groupId) === reader) this.#readers.delete(groupId);
    await reader.close();
  }
}

class LaneSource implements LaneRecordSource {
  readonly #lanes: LaneReaders;
  readonly #options: LaneSourceOptions;
  readonly #abort = new AbortController();
  #reader: LaneReader | undefined;
  /** Settles once the topic is attached (or could not be). */
  #attached: Promise<void> = Promise.resolve();
  #settle: { resolve(): void; reject(error: unknown): void } | undefined;
  #stopping: Promise<void> | undefined;
  #paused = false;

  constructor(lanes: LaneReaders, options: LaneSourceOptions) {
    this.#lanes = lanes;
    this.#options = options;
  }

  run(handler: BatchHandler, listener: SourceListener = () => {}): Promise<void> {
    if (this.#reader !== undefined) return Promise.reject(new Error('run() can be called once per source'));
    const reader = this.#lanes.readerFor(this.#options);
    this.#reader = reader;
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#attached = reader
      .attach({
        options: this.#options,
        handler,
        listener,
        signal: this.#abort.signal,
        abort: () => this.#abort.abort(),
        fail: (error) => this.#end(error),
      })
      .then(() => {
        if (this.#paused) reader.pause(this.#options.topic);
        if (this.#stopping !== undefined) void this.#detach(0);
      })
      .catch((error: unknown) => {
        this.#end(error);
        // A flow stopped while it attached ended run() already: the reader it held is let go here.
        void this.#lanes.release(this.#options.laneGroupId, reader);
      });
    return done;
  }

  async partitionsAdded(): Promise<void> {
    await this.#attached;
    await this.#reader?.partitionsAdded(this.#options.topic);
  }

  fetchedEndOffsets(): readonly FetchedEndOffset[] {
    return this.#reader?.fetchedEndOffsets(this.#options.topic) ?? [];
  }

  pause(): void {
    this.#paused = true;
    this.#reader?.pause(this.#options.topic);
  }

  resume(): void {
    this.#paused = false;
    this.#reader?.resume(this.#options.topic);
  }

  stop(options: { readonly inFlightGraceMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#detach(options.inFlightGraceMs ?? Number.POSITIVE_INFINITY);
    return this.#stopping;
  }

  async #detach(graceMs: number): Promise<void> {
    const reader = this.#reader;
    try {
      reader?.cancelAttach(this.#options.topic);
      if (reader !== undefined) await reader.detach(this.#options.topic, graceMs);
    } finally {
      this.#end(null);
      if (reader !== undefined) await this.#lanes.release(this.#options.laneGroupId, reader);
    }
  }

  /**
   * Settles run(): resolved for null, rejected with `error` otherwise; the first outcome wins. A flow that failed
   * gives up its batches in handlers (their signal is aborted): a handler retrying a write would otherwise go on
   * for as long as it failed, with nothing to commit it for, and the flow restarted in its place waits for the
   * topic's handlers to settle before it starts its partitions again (they are read again from there).
   */
  #end(error: unknown): void {
    const settle = this.#settle;
    this.#settle = undefined;
    if (settle === undefined) return;
    if (error === null) settle.resolve();
    else {
      this.#abort.abort();
      settle.reject(error);
      const reader = this.#reader;
      if (reader !== undefined) void this.#lanes.release(this.#options.laneGroupId, reader);
    }
  }
}
