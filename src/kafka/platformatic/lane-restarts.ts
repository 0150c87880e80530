// Where a lane topic's partitions start reading (lane-reader.ts), each time the reader (re)starts them: at attach,
// when this member's slots change, on resume, when the topic grew. Once the topic's batches in handlers finished
// and were committed, each partition starts at resumePositionOf (exactly-once), else the lane group's committed
// offset, else the flow's old group's (previousGroupId: an upgrade from one group per flow, read once per
// attachment), else startPosition.
import { debuglog } from 'node:util';
import type { ClusterConfig } from '../../config/types.js';
import type { KafkaError } from '../errors.js';
import type { BatchHandler, LaneSourceOptions, SourceEvent, SourceListener } from '../port.js';
import { SharedAttempt } from '../shared-attempt.js';
import { PlatformaticAdmin } from './admin.js';
import type { CommitQueue } from './commit-queue.js';
import type { FetchLoop } from './fetch-loop.js';
import type { LaneHandlers } from './lane-handlers.js';
import type { PositionReads } from './position-reads.js';
import { ResumePositionFailed, startPositions } from './start-positions.js';

/**
 * Each step of attaching a flow and (re)starting its partitions, for a partition that stays at its start
 * (NODE_DEBUG=georep-lane): the last step logged for its topic is the one it waits on.
 */
export const trace = debuglog('georep-lane');

/** One flow attached to the lane: its topic, its handler and how its run() ends. */
export interface LaneAttachment {
  readonly options: LaneSourceOptions;
  readonly handler: BatchHandler;
  readonly listener: SourceListener;
  /** Aborted when the flow gives up on its batches in hand. */
  readonly signal: AbortSignal;
  /** Gives up on the flow's batches in hand (aborts `signal`): they are not committed. */
  abort(): void;
  /** Ends the flow's run() with `error`; the reader has let the topic go. */
  fail(error: unknown): void;
}

/** A topic attached to the lane reader, as its restarts see it. */
export interface AttachedTopic {
  readonly attachment: LaneAttachment;
  partitionCount: number;
  /** Partitions read here now (in this member's slots), ascending. */
  held: readonly number[];
  paused: boolean;
  /** Raised at every restart of the topic's partitions: positions looked up for an earlier one are dropped. */
  restarts: number;
  /** The committed offsets of the flow's old group (options.previousGroupId), read once per attachment. */
  readonly previousOffsets: SharedAttempt<ReadonlyMap<number, bigint>>;
}

export interface LaneRestartsDependencies {
  readonly config: ClusterConfig;
  readonly groupId: string;
  /** Through the lane's membership: start positions are the lane group's committed offsets. */
  readonly positions: PositionReads;
  readonly loop: Pick<FetchLoop, 'assign' | 'start' | 'pump'>;
  readonly handlers: Pick<LaneHandlers, 'settled'>;
  readonly commits: Pick<CommitQueue, 'flush'>;
  /** The topic's attachment now: a restart of one detached or restarted since is dropped. */
  attachedNow(topic: string): AttachedTopic | undefined;
  /** Ends the topic's flow with `error`; the other flows go on. */
  fail(topic: string, error: unknown): void;
  portError(error: unknown, topic: string): KafkaError;
  /** Shown in the trace: a restart may end after the lane closed. */
  closed(): boolean;
}

export class LaneRestarts {
  readonly #deps: LaneRestartsDependencies;
  /** Reads the old groups of flows upgraded from one group per flow; made when first needed. */
  #admin: PlatformaticAdmin | undefined;

  constructor(deps: LaneRestartsDependencies) {
    this.#deps = deps;
  }

  /** What an attachment of the lane starts with: nothing held, nothing read of its old group yet. */
  attached(attachment: LaneAttachment, partitionCount: number): AttachedTopic {
    return {
      attachment,
      partitionCount,
      held: [],
      paused: false,
      restarts: 0,
      previousOffsets: new SharedAttempt(() => this.#previousOffsets(attachment.options)),
    };
  }

  /**
   * (Re)starts the topic's partitions `held` (those in this member's slots), told to its flow as `assigned`:
   * once its batches in handlers finished and were committed, each from its position; the topic fails when a
   * position cannot be read. Nothing starts once the topic was restarted again, detached or paused meanwhile.
   */
  restart(topic: string, attached: AttachedTopic, held: readonly number[]): void {
    const { groupId, loop, handlers, commits, closed } = this.#deps;
    const restart = ++attached.restarts;
    attached.held = held;
    loop.assign(topic, []);
    emit(attached.attachment, { type: 'assigned', partitions: held });
    const current = () => this.#deps.attachedNow(topic) === attached && attached.restarts === restart;
    const step = (what: string) =>
      trace('%s %s restart %d of [%s]: %s', groupId, topic, restart, held.join(), what);
    void (async () => {
      step('waiting for its batches in handlers');
      await handlers.settled(topic);
      step('waiting for the commits to flush');
      await commits.flush();
      if (!current() || attached.paused || held.length === 0) {
        step(`not started (current ${current()}, paused ${attached.paused}, closed ${closed()})`);
        return;
      }
      step('looking up the start positions');
      const positions = await startPositions(this.#deps.positions, held, {
        ...attached.attachment.options,
        previousOffsets: () => attached.previousOffsets.get(),
      });
      if (!current()) {
        step('positions dropped: restarted or detached since');
        return;
      }
      loop.assign(topic, held);
      for (const [partition, position] of positions) loop.start(topic, partition, position);
      const started = [...positions].map(([partition, offset]) => `${partition}:${offset}`);
      step(`started at ${started.join()} (closed ${closed()})`);
      loop.pump();
    })().catch((error: unknown) =>
      this.#deps.fail(
        topic,
        error instanceof ResumePositionFailed ? error.cause : this.#deps.portError(error, topic),
      ),
    );
  }

  async close(): Promise<void> {
    await this.#admin?.close().catch(() => undefined);
  }

  /** The committed offsets of the flow's old group (its offsets do not move: it has no members); none without one. */
  async #previousOffsets(options: LaneSourceOptions): Promise<ReadonlyMap<number, bigint>> {
    const { topic, previousGroupId } = options;
    if (previousGroupId === undefined) return new Map();
    this.#admin ??= new PlatformaticAdmin(this.#deps.config);
    const offsets = await this.#admin.committedOffsets(previousGroupId, [topic]);
    return new Map(
      offsets.flatMap(({ partition, offset }) => (offset === null ? [] : [[partition, offset]])),
    );
  }
}

/** Tells the attachment's flow `event`; a listener's bug must not break the lane. */
export function emit(attachment: LaneAttachment, event: SourceEvent): void {
  try {
    attachment.listener(event);
  } catch {
    // a listener's bug must not break the lane
  }
}
