// Cluster metadata read with the library's raw Metadata API, at the version the broker and the library agree
// on, instead of the clients' metadata(): that one leaves out internal topics, forgets topic ids below Metadata
// v10, and turns an unknown topic into an error without Kafka's error code.
//
// Topic ids: the library gives a topic id as the UUID's 32 hex digits with hyphens
// (`f74c1f6d-3c95-4df5-91d9-f8d0e5c3bac9`); Kafka's own tools (kafka-topics --describe, the broker logs) print
// the same 16 bytes as unpadded base64url (`90wfbTyVTfWR2fjQ5cO6yQ`). The port carries Kafka's form, so an
// operator can search for what georep reports.
import {
  type Admin,
  type API,
  type Connection,
  kGetApi,
  kGetBootstrapConnection,
  type metadataV12,
} from '@platformatic/kafka';
import type { TopicId } from '../port.js';
import { responseOf } from './map-error.js';

export type MetadataResponse = metadataV12.MetadataResponse;
export type MetadataTopic = metadataV12.MetadataResponseTopic;
type MetadataApi = API<[topics: string[] | null, allowAutoTopicCreation?: boolean], MetadataResponse>;
/** Any of the library's clients (admin, consumer, producer): each can send a Metadata request of its own. */
type MetadataClient = Pick<Admin, typeof kGetApi | typeof kGetBootstrapConnection>;

export interface MetadataRead {
  readonly response: MetadataResponse;
  /** The Metadata version used: topic ids exist from v10. */
  readonly version: number;
  /** The library's error when some topics or partitions came back with errors (their codes are in `response`). */
  readonly error?: unknown;
}

/** A topic's error code in a Metadata response when the cluster has no topic of that name. */
export const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** The first Metadata version that carries topic ids (KIP-516). */
const FIRST_METADATA_VERSION_WITH_TOPIC_IDS = 10;
const HEX_UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * A Metadata request for `topics` (null: every topic, internal ones included), never creating a topic.
 * Errors about single topics or partitions (a partition without a leader yet, an unknown topic) come back
 * with the response for the caller to judge; a request that failed as a whole rejects with the library's error.
 */
export async function readMetadata(admin: MetadataClient, topics: string[] | null): Promise<MetadataRead> {
  let version = 0;
  try {
    const [connection, api] = await Promise.all([bootstrapConnection(admin), metadataApi(admin)]);
    version = api.version;
    return { response: await api.async(connection, topics, false), version };
  } catch (error) {
    const partial = responseOf(error);
    if (!Array.isArray(partial?.topics)) throw error;
    return { response: partial as unknown as MetadataResponse, version, error };
  }
}

/**
 * Which of `topics` the cluster has no topic of that name for, read from each topic's own error code: the
 * library's metadata() fails a whole request for the first unknown topic and may name the wrong one.
 */
export async function unknownTopics(client: MetadataClient, topics: readonly string[]): Promise<string[]> {
  const { response } = await readMetadata(client, [...topics]);
  const answered = new Map(response.topics.map((topic) => [topic.name, topic.errorCode]));
  return topics.filter(
    (topic) => (answered.get(topic) ?? UNKNOWN_TOPIC_OR_PARTITION) === UNKNOWN_TOPIC_OR_PARTITION,
  );
}

/** A topic's id in Kafka's printed form; null when the Metadata version has none. */
export function topicIdOf(topic: MetadataTopic, metadataVersion: number): TopicId {
  return metadataVersion >= FIRST_METADATA_VERSION_WITH_TOPIC_IDS ? topicIdFromUuid(topic.topicId) : null;
}

/** Kafka's printed form of a topic id; null for the all-zero id (Kafka's "none") or a malformed one. */
export function topicIdFromUuid(uuid: string | null | undefined): TopicId {
  if (uuid == null || !HEX_UUID.test(uuid)) return null;
  const bytes = Buffer.from(uuid.replaceAll('-', ''), 'hex');
  if (bytes.every((byte) => byte === 0)) return null;
  return bytes.toString('base64url');
}

function bootstrapConnection(admin: MetadataClient): Promise<Connection> {
  return new Promise((resolve, reject) => {
    admin[kGetBootstrapConnection]((error, connection) => (error ? reject(error) : resolve(connection!)));
  });
}

function metadataApi(admin: MetadataClient): Promise<MetadataApi> {
  return new Promise((resolve, reject) => {
    admin[kGetApi]<[string[] | null, boolean?], MetadataResponse>('Metadata', (error, api) =>
      error ? reject(error) : resolve(api as MetadataApi),
    );
  });
}
