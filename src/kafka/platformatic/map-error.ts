// Turns whatever @platformatic/kafka threw into one of the port's errors. The library wraps errors: a
// ResponseError (an AggregateError) holds one ProtocolError per failed topic/partition, and other errors carry
// a `cause`; the whole tree is searched for the Kafka error id (`apiId`) or the library's error code.

import {
  AUTHENTICATION_ERROR_IDS,
  INVALID_REQUEST_ERROR_IDS,
  TLS_FAILURE_CODE,
  TOO_LARGE_ERROR_IDS,
  TOPIC_MISSING_ERROR_IDS,
} from '../error-ids.js';
import {
  AuthenticationFailed,
  AuthorizationFailed,
  GroupNotEmpty,
  InvalidRequest,
  KafkaError,
  RecordTooLarge,
  Retriable,
  TlsFailed,
  TopicNotFound,
  UnexpectedKafkaError,
} from '../errors.js';

export interface ErrorContext {
  /** What georep was doing, for the message: e.g. `create topic orders`. */
  readonly operation: string;
  readonly topic?: string;
  readonly groupId?: string;
  /** The transactional id of the request, named when Kafka refuses it. */
  readonly transactionalId?: string;
}

type AclResource = 'topic' | 'group' | 'transactionalId' | 'cluster';
/** Kafka's authorization error ids, by the kind of resource whose ACL is missing. */
const AUTHORIZATION_RESOURCES = new Map<string, AclResource | null>([
  ['TOPIC_AUTHORIZATION_FAILED', 'topic'],
  ['GROUP_AUTHORIZATION_FAILED', 'group'],
  ['CLUSTER_AUTHORIZATION_FAILED', 'cluster'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'transactionalId'],
  ['DELEGATION_TOKEN_AUTHORIZATION_FAILED', null],
]);
/**
 * The ACL operation the broker checks on each kind of resource for the requests georep sends (Kafka's
 * KafkaApis/AuthHelper), so that a refusal says what to grant. Read and Write imply Describe, AlterConfigs
 * implies DescribeConfigs.
 */
const ACL_OPERATIONS_BY_API: Readonly<Record<string, Partial<Record<AclResource, string>>>> = {
  Produce: { topic: 'Write', transactionalId: 'Write' },
  Fetch: { topic: 'Read' },
  ListOffsets: { topic: 'Describe' },
  Metadata: { topic: 'Describe' },
  OffsetCommit: { group: 'Read', topic: 'Read' },
  OffsetFetch: { group: 'Describe', topic: 'Describe' },
  FindCoordinator: { group: 'Describe', transactionalId: 'Describe' },
  JoinGroup: { group: 'Read' },
  Heartbeat: { group: 'Read' },
  LeaveGroup: { group: 'Read' },
  SyncGroup: { group: 'Read' },
  DescribeGroups: { group: 'Describe' },
  ListGroups: { cluster: 'Describe' },
  CreateTopics: { topic: 'Create', cluster: 'Create' },
  DeleteTopics: { topic: 'Delete' },
  DeleteRecords: { topic: 'Delete' },
  InitProducerId: { transactionalId: 'Write', cluster: 'IdempotentWrite' },
  AddPartitionsToTxn: { transactionalId: 'Write', topic: 'Write' },
  AddOffsetsToTxn: { transactionalId: 'Write', group: 'Read' },
  EndTxn: { transactionalId: 'Write' },
  TxnOffsetCommit: { transactionalId: 'Write', group: 'Read', topic: 'Read' },
  DescribeConfigs: { topic: 'DescribeConfigs' },
  CreatePartitions: { topic: 'Alter' },
  DeleteGroups: { group: 'Delete' },
  IncrementalAlterConfigs: { topic: 'AlterConfigs' },
  OffsetDelete: { group: 'Delete', topic: 'Read' },
};
/** How the library's ResponseError names the request that failed. */
const LIBRARY_API_NAME = /while executing API (\w+)\(v\d+\)/;
/** Library error codes that mean "the cluster could not be reached or did not answer in time". */
const TRANSIENT_CODES = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);
const AUTHENTICATION_CODE = 'PLT_KFK_AUTHENTICATION';
const MAX_ERRORS_SEARCHED = 64;

interface ErrorLike {
  message?: unknown;
  serverErrorMessage?: unknown;
  code?: unknown;
  apiId?: unknown;
  canRetry?: unknown;
  cause?: unknown;
  errors?: unknown;
  /** OpenSSL's words for its error, which Node sets beside a message of OpenSSL's raw error line. */
  reason?: unknown;
}

/** The error and everything it wraps (causes and aggregated errors), outermost first. */
export function errorTree(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && found.length < MAX_ERRORS_SEARCHED) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null || found.includes(current)) continue;
    const link = current as ErrorLike;
    found.push(link);
    if (link.cause !== undefined) pending.push(link.cause);
    if (Array.isArray(link.errors)) pending.push(...link.errors);
  }
  return found;
}

/** The request failed on the network (refused, reset, closed) or got no answer in time. */
export function failedOnNetwork(error: unknown): boolean {
  return errorTree(error).some((link) => TRANSIENT_CODES.has(link.code as string));
}

/** The deepest message of the error's tree (`connect ECONNREFUSED 127.0.0.1:9092`), for an operator. */
export function innermostMessage(error: unknown): string {
  return String(errorTree(error).at(-1)?.message ?? 'unknown error');
}

/** The decoded response a library ResponseError in the error's tree carries (what the broker did answer). */
export function responseOf(error: unknown): Record<string, unknown> | undefined {
  const withResponse = errorTree(error).find(
    (link) => link.code === 'PLT_KFK_RESPONSE' && (link as { response?: unknown }).response !== undefined,
  );
  return (withResponse as { response?: Record<string, unknown> } | undefined)?.response;
}

/** The Kafka error ids (`UNKNOWN_TOPIC_OR_PARTITION`, …) anywhere in the error's tree. */
export function kafkaErrorIds(error: unknown): Set<string> {
  return new Set(
    errorTree(error)
      .map((link) => link.apiId)
      .filter((id): id is string => typeof id === 'string'),
  );
}

/**
 * The library's own error when its metadata lookup (done inside listOffsets, deleteRecords, …) finds no such
 * topic: it replaces Kafka's UNKNOWN_TOPIC_OR_PARTITION with a UserError that keeps only this message.
 */
const LIBRARY_UNKNOWN_TOPIC = /^Unknown topic /;

/** True when Kafka answered that a topic does not exist, anywhere in the error's tree. */
export function reportsTopicMissing(error: unknown): boolean {
  return (
    [...kafkaErrorIds(error)].some((id) => TOPIC_MISSING_ERROR_IDS.has(id)) ||
    errorTree(error).some(
      (link) => link.code === 'PLT_KFK_USER' && LIBRARY_UNKNOWN_TOPIC.test(String(link.message)),
    )
  );
}

/**
 * The message of the innermost error that says most: a Kafka error id with the broker's own text (which names
 * the config, the count, …) or else the library's text for that id; otherwise the deepest message.
 */
function describe(tree: ErrorLike[]): string {
  const protocol = tree.find((link) => typeof link.apiId === 'string');
  if (protocol !== undefined) {
    const serverText = typeof protocol.serverErrorMessage === 'string' ? protocol.serverErrorMessage : '';
    return `${String(protocol.apiId)}: ${serverText === '' ? String(protocol.message) : serverText}`;
  }
  return String(tree.at(-1)?.message ?? 'unknown error');
}

/** The request the broker refused, when the library's error names it. */
function failedApi(tree: ErrorLike[]): string | undefined {
  for (const link of tree) {
    const match = LIBRARY_API_NAME.exec(String(link.message));
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * Names the resource whose ACL is missing and, when the request is known, the operation to grant: e.g.
 * `GROUP_AUTHORIZATION_FAILED: no ACL allows Read on group g (JoinGroup)`.
 */
function describeAuthorization(id: string, tree: ErrorLike[], context: ErrorContext): string {
  const resource = AUTHORIZATION_RESOURCES.get(id) ?? null;
  const api = failedApi(tree);
  const operation =
    resource === null || api === undefined ? undefined : ACL_OPERATIONS_BY_API[api]?.[resource];
  const named = (kind: string, name: string | undefined) =>
    name === undefined ? `a ${kind}` : `${kind} ${name}`;
  const target =
    resource === 'topic'
      ? named('topic', context.topic)
      : resource === 'group'
        ? named('group', context.groupId)
        : resource === 'transactionalId'
          ? named('transactional id', context.transactionalId)
          : resource === 'cluster'
            ? 'the cluster'
            : 'a delegation token';
  return (
    `${id}: no ACL allows ${operation ?? 'this request'} on ${target}` +
    (api === undefined ? '' : ` (${api})`)
  );
}

/** How the library names the broker it failed to reach: `Connection to 127.0.0.1:9093 failed.` */
const LIBRARY_BROKER_ADDRESS = /^Connection to (\S+?) (?:failed|timed out)/;
/** Node's advice for a CA missing from its default store; georep passes tls.ca itself, so it misleads. */
const NODE_SYSTEM_CA_ADVICE =
  /; if the root CA is installed locally, try running Node\.js with --use-system-ca$/;

/** OpenSSL's raw error line (`40FD…:error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:…`). */
const OPENSSL_ERROR_LINE = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/;
const OPENSSL_ALERT_NUMBER = /SSL alert number (\d+)/;

/** How the library reports a broker that closed the connection during the TLS handshake (not a TLS listener). */
const LIBRARY_TLS_HANDSHAKE_CLOSED = /^TLS handshake failed\./;

/**
 * Node's error for a certificate problem or a broker's TLS alert, or the reset of a connection during the
 * handshake (which the library marks), in an error tree.
 */
export function findTlsFailure(tree: readonly ErrorLike[]): ErrorLike | undefined {
  const certificate = tree.find((link) => typeof link.code === 'string' && TLS_FAILURE_CODE.test(link.code));
  if (certificate !== undefined) return certificate;
  const handshake = tree.find(
    (link) => link.code === 'PLT_KFK_USER' && LIBRARY_TLS_HANDSHAKE_CLOSED.test(String(link.message)),
  );
  return handshake === undefined ? undefined : ((handshake.cause as ErrorLike | undefined) ?? handshake);
}

/**
 * A failed TLS handshake, or the broker's TLS alert after it (a refused client certificate), with Node's code
 * and words (which name the certificate's altnames when the name does not match) and the broker's address.
 */
function tlsFailed(
  failure: ErrorLike,
  tree: ErrorLike[],
  cluster: string,
  context: ErrorContext,
  options: { cause: unknown },
): TlsFailed {
  const code = String(failure.code);
  const broker =
    tree.map((link) => LIBRARY_BROKER_ADDRESS.exec(String(link.message))?.[1]).find((found) => found) ?? null;
  const words = tlsWords(failure);
  const message = `${context.operation}: TLS with broker ${broker ?? '(unknown address)'} failed: ${code}: ${words}`;
  return new TlsFailed(cluster, message, { broker, code }, options);
}

/** Node's words for a TLS failure; for OpenSSL's raw error line, its reason and the alert's number. */
function tlsWords(failure: ErrorLike): string {
  const message = String(failure.message).trim().replace(NODE_SYSTEM_CA_ADVICE, '');
  const openssl = OPENSSL_ERROR_LINE.exec(message);
  if (openssl === null) return message;
  const reason = typeof failure.reason === 'string' ? failure.reason : openssl[1]!;
  const alert = OPENSSL_ALERT_NUMBER.exec(message)?.[1];
  return alert === undefined ? reason : `${reason} (TLS alert ${alert})`;
}

export function toPortError(error: unknown, cluster: string, context: ErrorContext): KafkaError {
  if (error instanceof KafkaError) return error;
  const tree = errorTree(error);
  const detail = `${context.operation}: ${describe(tree)}`;
  const options = { cause: error };
  const ids = kafkaErrorIds(error);
  const codes = new Set(tree.map((link) => link.code).filter((code) => typeof code === 'string'));
  const has = (set: ReadonlySet<string>) => [...ids].some((id) => set.has(id));

  const authorizationId = [...ids].find((id) => AUTHORIZATION_RESOURCES.has(id));
  if (authorizationId !== undefined) {
    const refused = `${context.operation}: ${describeAuthorization(authorizationId, tree, context)}`;
    return new AuthorizationFailed(cluster, refused, options);
  }
  if (has(AUTHENTICATION_ERROR_IDS) || codes.has(AUTHENTICATION_CODE)) {
    return new AuthenticationFailed(cluster, detail, options);
  }
  const tlsFailure = findTlsFailure(tree);
  if (tlsFailure !== undefined) return tlsFailed(tlsFailure, tree, cluster, context, options);
  if (reportsTopicMissing(error) && context.topic !== undefined) {
    return new TopicNotFound(cluster, context.topic, options);
  }
  if (has(TOO_LARGE_ERROR_IDS)) return new RecordTooLarge(cluster, detail, options);
  if (ids.has('NON_EMPTY_GROUP') && context.groupId !== undefined) {
    return new GroupNotEmpty(cluster, context.groupId, options);
  }
  if (has(INVALID_REQUEST_ERROR_IDS)) return new InvalidRequest(cluster, detail, options);
  const transient =
    [...codes].some((code) => TRANSIENT_CODES.has(code as string)) ||
    tree.some((link) => link.canRetry === true);
  if (transient) return new Retriable(cluster, detail, options);
  return new UnexpectedKafkaError(cluster, detail, false, options);
}

/**
 * Whether a reader retries `error` (mapped to a port error): what may heal by itself, and a missing topic, which
 * may be one deleted and created again at once: retried like the rest, so that the new topic is met (its offsets
 * then tell the flow it was re-created); TopicNotFound after the fetch loop's `fetchAttempts` tries.
 */
export function isTransientReadError(error: KafkaError): boolean {
  return error.retriable || error instanceof TopicNotFound;
}
