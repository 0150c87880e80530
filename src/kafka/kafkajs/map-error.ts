// Turns whatever kafkajs threw into one of the port's errors. kafkajs wraps errors (retries exceeded around a
// protocol error, non-retriable around a crash), so the whole cause chain is searched for the Kafka error
// type or the kafkajs error name that says what happened.

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
}

const AUTHORIZATION_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'DELEGATION_TOKEN_AUTHORIZATION_FAILED',
]);
/** A newer producer claimed the transactional id: the port calls that Retriable (claim again, then write). */
const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
/** kafkajs errors that mean "the cluster could not be reached or did not answer in time". */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'KafkaJSNumberOfRetriesExceeded',
]);
/** What kafkajs throws, as a plain Error, for a request on a connection that was closed meanwhile. */
const BROKER_NOT_CONNECTED = 'Broker not connected';

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  type?: unknown;
  code?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/** The error and everything it wraps, outermost first. */
export function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !chain.includes(current) && chain.length < 16) {
    const link = current as ErrorLike;
    chain.push(link);
    current =
      link.cause ??
      link.originalError ??
      (Array.isArray(link.errors) && link.errors.length > 0 ? link.errors[0] : undefined);
  }
  return chain;
}

/** True when Kafka answered that a topic does not exist, anywhere in the error's cause chain. */
export function reportsTopicMissing(error: unknown): boolean {
  return causeChain(error).some(
    (link) => typeof link.type === 'string' && TOPIC_MISSING_ERROR_IDS.has(link.type),
  );
}

export function toPortError(error: unknown, cluster: string, context: ErrorContext): KafkaError {
  if (error instanceof KafkaError) return error;
  const chain = causeChain(error);
  const root = chain.at(-1);
  const detail = `${context.operation}: ${String(root?.message ?? error)}`;
  const options = { cause: error };
  const types = new Set(chain.map((link) => link.type).filter((type) => typeof type === 'string'));
  const names = new Set(chain.map((link) => link.name));
  const has = (set: ReadonlySet<string>) => [...types].some((type) => set.has(type as string));

  if (has(AUTHORIZATION_TYPES)) return new AuthorizationFailed(cluster, detail, options);
  if (has(AUTHENTICATION_ERROR_IDS) || names.has('KafkaJSSASLAuthenticationError')) {
    return new AuthenticationFailed(cluster, detail, options);
  }
  const tlsCode = chain
    .map((link) => link.code)
    .find((code) => typeof code === 'string' && TLS_FAILURE_CODE.test(code));
  if (tlsCode !== undefined) {
    return new AuthenticationFailed(cluster, `${detail} (TLS: ${tlsCode})`, options);
  }
  if (has(TOPIC_MISSING_ERROR_IDS) && context.topic !== undefined) {
    return new TopicNotFound(cluster, context.topic, options);
  }
  if (has(TOO_LARGE_ERROR_IDS)) return new RecordTooLarge(cluster, detail, options);
  if (types.has('NON_EMPTY_GROUP') && context.groupId !== undefined) {
    return new GroupNotEmpty(cluster, context.groupId, options);
  }
  if (has(INVALID_REQUEST_ERROR_IDS)) return new InvalidRequest(cluster, detail, options);
  if (has(FENCED_TYPES)) return new Retriable(cluster, detail, options);
  const rootRetriable = root?.retriable === true;
  const notConnected = chain.some((link) => link.message === BROKER_NOT_CONNECTED);
  if (rootRetriable || notConnected || [...names].some((name) => TRANSIENT_NAMES.has(name as string))) {
    return new Retriable(cluster, detail, options);
  }
  return new UnexpectedKafkaError(
    cluster,
    `${detail} (${String(root?.name ?? 'unknown error')})`,
    false,
    options,
  );
}
