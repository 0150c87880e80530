// Kafka's own error names (the protocol's error codes, as Kafka's docs and both clients spell them), grouped by
// what they mean for the port's errors. Shared by every adapter's error mapping, so they classify alike.

export const AUTHENTICATION_ERROR_IDS: ReadonlySet<string> = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
]);
export const TOPIC_MISSING_ERROR_IDS: ReadonlySet<string> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
]);
export const TOO_LARGE_ERROR_IDS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
]);
/** The request itself was wrong: a config value, a replication factor, a policy, a version. */
export const INVALID_REQUEST_ERROR_IDS: ReadonlySet<string> = new Set([
  'INVALID_CONFIG',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_TOPIC_EXCEPTION',
  'POLICY_VIOLATION',
  'INVALID_REQUEST',
  'INVALID_TIMESTAMP',
  'INVALID_RECORD',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'TOPIC_DELETION_DISABLED',
]);
/** Node's TLS verification failures (error codes): they do not heal by retrying. */
export const TLS_FAILURE_CODE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME/;
