// Why a flow stopped copying, in words an operator can act on: every failure of an attempt becomes a FlowError
// with a short stable reason (for metrics and alerts), a message naming topics, partitions and offsets, and
// whether retrying can help. Pure: the flow raises, this describes.
import {
  AuthenticationFailed,
  AuthorizationFailed,
  KafkaError,
  OffsetOutOfRange,
  RecordTooLarge,
  TlsFailed,
  TopicNotFound,
  TopicRecreated,
  UnreadableBatch,
} from '../kafka/errors.js';
import { type FlowSpec, progressOnOrigin } from './flow-spec.js';
import { lineageGroupId } from './topic-lineage.js';

export interface FlowError {
  /** A short, stable label for metrics (e.g. 'origin-truncated', 'destination-unavailable'). */
  readonly reason: string;
  /** What happened, for an operator: names the topic, partition and offsets where it can. */
  readonly message: string;
  /** False when retrying cannot help (authorization, truncation): the flow waits for an operator. */
  readonly retriable: boolean;
}

/** An error the flow raises itself, already described for the operator. */
export class FlowFailure extends Error {
  constructor(readonly flowError: FlowError) {
    super(flowError.message);
    this.name = 'FlowFailure';
  }
}

/** How a broker refuses a record stamped beyond the topic's message.timestamp.before/after.max.ms. */
const TIMESTAMP_OUT_OF_RANGE = /Timestamp -?\d+ of message with offset \d+ is out of range/;

/** Turns whatever ended an attempt into a reason an operator can act on, with whether retrying helps. */
export function describeFailure(error: unknown, spec: FlowSpec): FlowError {
  if (error instanceof FlowFailure) return error.flowError;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof OffsetOutOfRange) {
    const recreated = error.latest !== null && error.requestedOffset > error.latest;
    return {
      reason: 'origin-truncated',
      retriable: false,
      message: recreated
        ? `${message}. The origin topic ${spec.originTopic} was probably deleted and re-created: its offsets are ` +
          'behind the progress this flow stored. Nothing was skipped; decide where to resume and move ' +
          `${progressOnOrigin(spec)} there.`
        : `${message}. Retention on ${spec.origin} deleted ${error.earliest === null ? 'some' : String((error.earliest ?? 0n) - error.requestedOffset)} ` +
          'records before they were mirrored: the copy has a gap that georep cannot fill. Nothing was skipped ' +
          `silently; to accept the gap, move ${progressOnOrigin(spec)} to the earliest offset.`,
    };
  }
  if (error instanceof UnreadableBatch) {
    return {
      reason: 'origin-unreadable',
      retriable: false,
      message:
        `${message}. Nothing from offset ${error.offset} on was copied, and nothing was skipped: when the flow ` +
        'is tried again it resumes from its committed offset and stops at the batch again. To skip the batch, ' +
        `move ${progressOnOrigin(spec)} past its last offset.`,
    };
  }
  if (error instanceof TopicRecreated) return describeRecreated(error, spec);
  if (error instanceof TopicNotFound) {
    const side = error.cluster === spec.origin ? 'origin' : 'destination';
    return { reason: `${side}-topic-missing`, retriable: side === 'origin', message };
  }
  if (error instanceof AuthorizationFailed)
    return { reason: 'authorization-failed', retriable: false, message };
  if (error instanceof AuthenticationFailed)
    return { reason: 'authentication-failed', retriable: false, message };
  if (error instanceof TlsFailed) {
    // Retried with the normal backoff: the fix may be on the broker (a renewed certificate), which georep
    // cannot see; a fix of georep's own CA or certificate files restarts the flow at the next reload.
    const advice = tlsAdvice(error);
    return {
      reason: 'tls-failed',
      retriable: true,
      message: advice === null ? message : `${message}. ${advice}`,
    };
  }
  if (error instanceof RecordTooLarge) {
    // Requests of several records are split until they fit: this is one record, which the origin took.
    const { compression } = spec.restartSettings;
    const codecAdvice =
      compression === 'origin'
        ? ''
        : ` The origin stored the record with its own codec; with compression: ${compression} it may be larger (compression: origin writes it as the origin did).`;
    return {
      reason: 'record-too-large',
      retriable: false,
      message: `${message}. Raise max.message.bytes of ${spec.destinationTopic} on ${spec.destination} (or the broker's message.max.bytes).${codecAdvice}`,
    };
  }
  if (error instanceof KafkaError && TIMESTAMP_OUT_OF_RANGE.test(error.message)) {
    return {
      reason: 'destination-error',
      retriable: false,
      message:
        `${message}. The destination topic refuses this record's timestamp (Kafka 4 refuses one more than an hour ` +
        `ahead by default): set message.timestamp.after.max.ms and message.timestamp.before.max.ms of ` +
        `${spec.destinationTopic} on ${spec.destination} to 9223372036854775807, as georep does on the topics it creates.`,
    };
  }
  if (error instanceof KafkaError) {
    const side = error.cluster === spec.origin ? 'origin' : 'destination';
    return {
      reason: error.retriable ? `${side}-unavailable` : `${side}-error`,
      retriable: error.retriable,
      message,
    };
  }
  return { reason: 'internal-error', retriable: true, message };
}

/** What an operator can do about a TLS failure, by the kind of certificate problem Node reported. */
export function tlsAdvice(error: TlsFailed): string | null {
  const cluster = error.cluster;
  if (/ALTNAME|HOSTNAME/.test(error.code)) {
    return (
      `The broker's certificate does not name the address georep connects to: list brokers of ${cluster} by a ` +
      'name the certificate holds, or set tls.servername to one'
    );
  }
  if (/EXPIRED|NOT_YET_VALID/.test(error.code)) {
    return `The certificate is outside its validity period: renew it (or correct this host's clock)`;
  }
  if (/ALERT/.test(error.code)) {
    return (
      `The broker refused georep's client certificate: set tls.cert and tls.key of ${cluster} to a certificate ` +
      'signed by a CA the broker trusts (its ssl.truststore), then reload georep'
    );
  }
  if (error.code === 'ECONNRESET') {
    return (
      'The broker closed the connection during the TLS handshake: check that this address is a TLS (SSL or ' +
      'SASL_SSL) listener of the broker, and that its TLS versions and ciphers meet Node.js'
    );
  }
  if (
    /UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED/.test(error.code)
  ) {
    return (
      `The broker's certificate is not signed by a CA in tls.ca of ${cluster}: put the CA that signed it ` +
      '(and any intermediate) in that file, then reload georep (SIGHUP, systemctl reload)'
    );
  }
  return null;
}

/** A topic met with another id than the flow checked: nothing of the new topic was read or written. */
function describeRecreated(error: TopicRecreated, spec: FlowSpec): FlowError {
  const { laneGroupId, consumerGroupId } = spec.restartSettings;
  if (error.cluster === spec.origin) {
    return {
      reason: 'origin-topic-recreated',
      retriable: false,
      message:
        `${error.message}. Nothing of the new topic was copied: its offsets are not the old topic's. ` +
        `${spec.destinationTopic} on ${spec.destination} holds the copy of the deleted topic; delete or rename it ` +
        `to copy the new topic from its start into a new one (or, to append it after all, delete the offsets of ` +
        `${spec.destinationTopic} in consumer group ${lineageGroupId(laneGroupId)} on ${spec.destination}, and in ` +
        `${lineageGroupId(consumerGroupId)} if it still exists: kafka-consumer-groups --delete-offsets).`,
    };
  }
  return {
    reason: 'destination-topic-recreated',
    retriable: false,
    message:
      `${error.message}. The records copied before went with the deleted topic, and georep stopped writing to the ` +
      'new one (what a running flow wrote in the seconds before it checked the id again is in it). ' +
      `To copy ${spec.originTopic} again from its start into it, delete ${progressOnOrigin(spec)}; or delete ` +
      `${spec.destinationTopic} and those offsets, and georep creates it anew.`,
  };
}
