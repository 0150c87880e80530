// The errors of the Kafka port. Every port method rejects with one of these (the adapter maps its client's
// errors), so the runtime decides retry-or-give-up from `retriable` and explains failures from the class,
// without knowing which client is behind the port. Messages never contain secrets.

/** Base of every error the port throws. Not thrown itself. */
export abstract class KafkaError extends Error {
  /** Whether trying again later can succeed without anyone changing anything. */
  abstract readonly retriable: boolean;
  /** Name of the cluster (from the config) the failed operation talked to. */
  readonly cluster: string;

  constructor(cluster: string, message: string, options?: { cause?: unknown }) {
    super(`${message} (cluster ${cluster})`, options);
    this.name = new.target.name;
    this.cluster = cluster;
  }
}

/**
 * Thrown when the cluster was unreachable or busy and the client gave up after its own retries: connection
 * refused or closed, request timeout, no leader yet, coordinator loading, a rebalance that did not settle.
 */
export class Retriable extends KafkaError {
  readonly retriable = true;
}

/**
 * Thrown by a transactional write whose producer no longer holds the partition: fenced by a newer claim
 * (another process took the partition over), its epoch or sequence unknown to the broker, the progress moved
 * on by another process, or the partition not claimed. Trying the same write again cannot help; claiming the
 * partition again can (and starting over from the progress that claim reads).
 */
export class ClaimLost extends Retriable {}

/**
 * Thrown when the cluster rejected georep's credentials (SASL). Trying again does not help until the config
 * changes.
 */
export class AuthenticationFailed extends KafkaError {
  readonly retriable = false;
}

/**
 * Thrown when TLS with a broker failed: its certificate is not signed by a CA georep trusts, does not name
 * the address georep connected to, has expired, or the broker refused georep's client certificate. The
 * client does not retry it; whoever runs the port decides, since a fix may come from either side (georep's
 * CA file, or the broker's certificate).
 */
export class TlsFailed extends KafkaError {
  readonly retriable = false;
  /** host:port of the broker, when the client named it. */
  readonly broker: string | null;
  /** Node's (or OpenSSL's) code of the failure, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  readonly code: string;

  constructor(
    cluster: string,
    message: string,
    details: { broker: string | null; code: string },
    options?: { cause?: unknown },
  ) {
    super(cluster, message, options);
    this.broker = details.broker;
    this.code = details.code;
  }
}

/**
 * Thrown when georep's principal lacks an ACL for what it tried (read or write a topic, use a group,
 * describe or create topics). Trying again does not help until someone grants it.
 */
export class AuthorizationFailed extends KafkaError {
  readonly retriable = false;
}

/** Thrown when a topic does not exist on the cluster (georep never creates topics implicitly). */
export class TopicNotFound extends KafkaError {
  readonly retriable = false;
  readonly topic: string;

  constructor(cluster: string, topic: string, options?: { cause?: unknown }) {
    super(cluster, `topic ${topic} does not exist`, options);
    this.topic = topic;
  }
}

/**
 * Thrown when a topic has another id than the one it had when georep checked it: it was deleted and created
 * again under the same name, and is a new topic. Its offsets are not the old topic's, and nothing read from or
 * written to it continues what was copied before; an operator decides (docs/recreated-topics.md).
 */
export class TopicRecreated extends KafkaError {
  readonly retriable = false;
  readonly topic: string;
  /** The id the topic had when georep checked it. */
  readonly expectedTopicId: string;
  /** The id it has now. */
  readonly topicId: string;

  constructor(
    cluster: string,
    details: { topic: string; expectedTopicId: string; topicId: string },
    options?: { cause?: unknown },
  ) {
    super(
      cluster,
      `topic ${details.topic} was deleted and re-created: its topic id is now ${details.topicId}, not ` +
        `${details.expectedTopicId}`,
      options,
    );
    this.topic = details.topic;
    this.expectedTopicId = details.expectedTopicId;
    this.topicId = details.topicId;
  }
}

/**
 * Thrown when records are written to a partition the topic does not have (its partition count is lower, even
 * after refreshing the client's view of the topic).
 */
export class PartitionNotFound extends KafkaError {
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;

  constructor(cluster: string, topic: string, partition: number, options?: { cause?: unknown }) {
    super(cluster, `topic ${topic} has no partition ${partition}`, options);
    this.topic = topic;
    this.partition = partition;
  }
}

/**
 * Thrown (by a source's run()) when the group is due to read an offset the partition no longer has: retention
 * or deleteRecords removed records the mirror had not copied yet, or the topic was deleted and recreated.
 * The source stops instead of jumping to another offset, because any jump silently skips or repeats data;
 * someone must decide, and move the group's offsets with KafkaAdmin.setCommittedOffsets.
 */
export class OffsetOutOfRange extends KafkaError {
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;
  /** The offset the group was due to read. */
  readonly requestedOffset: bigint;
  /** The partition's offsets when the error was noticed, or null when they could not be fetched. */
  readonly earliest: bigint | null;
  readonly latest: bigint | null;

  constructor(
    cluster: string,
    details: {
      topic: string;
      partition: number;
      requestedOffset: bigint;
      earliest: bigint | null;
      latest: bigint | null;
    },
    options?: { cause?: unknown },
  ) {
    const range =
      details.earliest === null || details.latest === null
        ? 'its current range is unknown'
        : `it now holds offsets ${details.earliest} to ${details.latest}`;
    super(
      cluster,
      `partition ${details.partition} of topic ${details.topic} no longer has offset ${details.requestedOffset}: ${range}`,
      options,
    );
    this.topic = details.topic;
    this.partition = details.partition;
    this.requestedOffset = details.requestedOffset;
    this.earliest = details.earliest;
    this.latest = details.latest;
  }
}

/**
 * Thrown (by a source's run()) when a record batch of a partition cannot be read: a format other than v2, a
 * codec Kafka does not define, compressed bytes that do not decompress, records that do not parse. The flow of
 * that topic stops at the batch, and resumes from its committed offset when tried again; every other flow
 * goes on.
 */
export class UnreadableBatch extends KafkaError {
  readonly retriable = false;
  readonly topic: string;
  readonly partition: number;
  /** Where the partition's read stopped: the first offset not copied. */
  readonly offset: bigint;

  constructor(
    cluster: string,
    details: { topic: string; partition: number; offset: bigint },
    options: { cause: Error },
  ) {
    super(
      cluster,
      `partition ${details.partition} of topic ${details.topic} cannot be read from offset ${details.offset}: ${options.cause.message}`,
      options,
    );
    this.topic = details.topic;
    this.partition = details.partition;
    this.offset = details.offset;
  }
}

/**
 * Thrown when the cluster refused records as too large: a record (or the request holding it) is above the
 * topic's max.message.bytes or the broker's message.max.bytes.
 */
export class RecordTooLarge extends KafkaError {
  readonly retriable = false;
}

/** Thrown when offsets of a consumer group are to be set while the group has members. */
export class GroupNotEmpty extends KafkaError {
  readonly retriable = false;
  readonly groupId: string;

  constructor(cluster: string, groupId: string, options?: { cause?: unknown }) {
    super(cluster, `consumer group ${groupId} has active members`, options);
    this.groupId = groupId;
  }
}

/**
 * Thrown when the cluster rejected a request as invalid: an unknown or malformed topic config, a replication
 * factor above the broker count, fewer partitions than the topic has, a policy violation, a topic name
 * Kafka does not accept.
 */
export class InvalidRequest extends KafkaError {
  readonly retriable = false;
}

/**
 * Thrown when the client reported an error none of the other classes describe. `retriable` is what the client
 * itself judged; the message names the client's error.
 */
export class UnexpectedKafkaError extends KafkaError {
  readonly retriable: boolean;

  constructor(cluster: string, message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(cluster, message, options);
    this.retriable = retriable;
  }
}
