// What happens when an origin topic is deleted: its flow stops (the plan no longer has it), and then its
// destination copy is kept or deleted, as the replication says. The topic is remembered as deleted, so that
// when a topic of that name appears again it is reported as re-created: a new topic whose records are not a
// continuation of the copy (the flow itself tells it by the topic's id).
import { TopicNotFound } from '../kafka/errors.js';
import type { KafkaAdmin } from '../kafka/port.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { FlowSpec } from '../plan/flow-spec.js';
import { originTopicKey, recreatedOriginTopics } from '../plan/origin-topic-changes.js';

export interface DeletedOriginTopicsDependencies {
  /** The admin client of a cluster, or undefined when there is none. */
  readonly admin: (cluster: string) => KafkaAdmin | undefined;
  readonly metrics: Pick<Metrics, 'originTopicsDeleted' | 'originTopicsRecreated'>;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

export class DeletedOriginTopics {
  readonly #deps: DeletedOriginTopicsDependencies;
  /** Origin topics (originTopicKey) whose flows stopped because the topic was deleted, with when it was seen. */
  readonly #deletedAtMs = new Map<string, number>();

  constructor(deps: DeletedOriginTopicsDependencies) {
    this.#deps = deps;
  }

  /**
   * After the flow of an origin topic missing from its listing stopped: keep or delete its destination copy.
   * The origin is asked once more before anything is deleted, so that a listing that missed the topic never
   * costs a copy.
   */
  async onOriginTopicMissing(spec: FlowSpec): Promise<void> {
    const { logger, metrics } = this.#deps;
    const originAdmin = this.#deps.admin(spec.origin);
    const destinationAdmin = this.#deps.admin(spec.destination);
    if (originAdmin === undefined || destinationAdmin === undefined) return;
    try {
      await originAdmin.describeTopic(spec.originTopic);
      return; // still there: the flow stopped for another reason (its replication no longer selects it)
    } catch (error) {
      if (!(error instanceof TopicNotFound)) {
        logger.warn(
          { flow: spec.key, err: error },
          'origin topic missing from the listing but cannot be checked; its destination copy is kept',
        );
        return;
      }
    }
    this.#deletedAtMs.set(originTopicKey(spec), this.#deps.nowMs());
    const labels = { origin: spec.origin, topic: spec.originTopic };
    if (spec.onOriginTopicDeleted === 'keep') {
      metrics.originTopicsDeleted.inc({ ...labels, destination_copy: 'kept' });
      logger.warn(
        { flow: spec.key, onOriginTopicDeleted: 'keep' },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted: its flow stopped; the copy ` +
          `${spec.destinationTopic} on ${spec.destination} is kept`,
      );
      return;
    }
    try {
      await destinationAdmin.deleteTopic(spec.destinationTopic);
      metrics.originTopicsDeleted.inc({ ...labels, destination_copy: 'deleted' });
      logger.warn(
        { flow: spec.key, onOriginTopicDeleted: 'delete' },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted: its flow stopped and the copy ` +
          `${spec.destinationTopic} on ${spec.destination} was deleted too`,
      );
    } catch (error) {
      metrics.originTopicsDeleted.inc({ ...labels, destination_copy: 'delete-failed' });
      logger.error(
        { flow: spec.key, onOriginTopicDeleted: 'delete', err: error },
        `origin topic ${spec.originTopic} on ${spec.origin} was deleted, but deleting the copy ` +
          `${spec.destinationTopic} on ${spec.destination} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * Reports the flows about to start for an origin topic that was seen deleted: the topic was re-created. A
   * reported topic is no longer remembered as deleted.
   */
  reportRecreated(starting: readonly FlowSpec[]): void {
    for (const { flow, deletedAtMs } of recreatedOriginTopics(starting, this.#deletedAtMs)) {
      this.#deletedAtMs.delete(originTopicKey(flow));
      this.#deps.metrics.originTopicsRecreated.inc({ origin: flow.origin, topic: flow.originTopic });
      this.#deps.logger.warn(
        { origin: flow.origin, topic: flow.originTopic, deletedAt: new Date(deletedAtMs).toISOString() },
        `origin topic ${flow.originTopic} on ${flow.origin} was deleted and has been re-created: it is a new ` +
          'topic, whose records are not a continuation of the copy',
      );
    }
  }
}
