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
  const tlsCode = [...codes].find((code) => TLS_FAILURE_CODE.test(code as string));
  if (tlsCode !== undefined) {
    return new AuthenticationFailed(cluster, `${detail} (TLS: ${String(tlsCode)})`, options);
  }
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
