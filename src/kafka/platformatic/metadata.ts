// Cluster metadata read with the library's raw Metadata API, at the version the broker and the library agree
// on, instead of the clients' metadata(): that one leaves out internal topics, forgets topic ids below Metadata
// v10, and turns an unknown topic into an error without Kafka's error code.
//
// At v12 (what brokers from 2.8 on answer the library) the answer is read by a parser of our own that keeps each
// topic's error code without building an error for it: the library's builds one error object per unknown topic
// or leaderless partition, and thousands of flows starting ask for thousands of topics not created yet (a CPU
// profile of 10,000 starting found that building a quarter of the process's work).
//
// Topic ids: the library gives a topic id as the UUID's 32 hex digits with hyphens
// (`f74c1f6d-3c95-4df5-91d9-f8d0e5c3bac9`); Kafka's own tools (kafka-topics --describe, the broker logs) print
// the same 16 bytes as unpadded base64url (`90wfbTyVTfWR2fjQ5cO6yQ`). The port carries Kafka's form, so an
// operator can search for what georep reports.
import {
  type Admin,
  type API,
  type Connection,
  createAPI,
  kGetApi,
  kGetBootstrapConnection,
  metadataV12,
  type Reader,
  ResponseError,
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
}

/** A topic's error code in a Metadata response when the cluster has no topic of that name. */
export const UNKNOWN_TOPIC_OR_PARTITION = 3;
const METADATA_API_KEY = 3;
/** The Metadata version whose answer georep reads itself (see the top of this file). */
const METADATA_VERSION_READ_HERE = 12;
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
    const reading = version === METADATA_VERSION_READ_HERE ? metadataV12KeepingErrors : api;
    return { response: await reading.async(connection, topics, false), version };
  } catch (error) {
    const partial = responseOf(error);
    if (!Array.isArray(partial?.topics)) throw error;
    return { response: partial as unknown as MetadataResponse, version };
  }
}

/**
 * The library's error for a topic's error code in a Metadata answer, as its own parser would have thrown it, for
 * the caller to map (map-error.ts) once it finds the topic in error.
 */
export function topicError(read: MetadataRead, topic: MetadataTopic): unknown {
  const index = read.response.topics.indexOf(topic);
  return new ResponseError(
    METADATA_API_KEY,
    read.version,
    { [`/topics/${index}`]: [topic.errorCode, null] },
    {
      topics: [topic],
    },
  );
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

const metadataV12KeepingErrors = createAPI<
  [topics: string[] | null, allowAutoTopicCreation?: boolean],
  MetadataResponse
>(METADATA_API_KEY, METADATA_VERSION_READ_HERE, metadataV12.createRequest, parseMetadataV12);

/** Metadata Response v12, as the library's parser reads it, the error codes left in the answer. */
export function parseMetadataV12(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): MetadataResponse {
  const response: MetadataResponse = {
    throttleTimeMs: reader.readInt32(),
    brokers: reader.readArray(
      (r) => {
        const broker = {
          nodeId: r.readInt32(),
          host: r.readString(),
          port: r.readInt32(),
          rack: r.readNullableString(),
        };
        r.readTaggedFields();
        return broker;
      },
      true,
      false,
    ),
    clusterId: reader.readNullableString(),
    controllerId: reader.readInt32(),
    topics: reader.readArray(
      (r) => {
        const topic = {
          errorCode: r.readInt16(),
          name: r.readNullableString(),
          topicId: r.readUUID(),
          isInternal: r.readBoolean(),
          partitions: r.readArray(
            (p) => {
              const partition = {
                errorCode: p.readInt16(),
                partitionIndex: p.readInt32(),
                leaderId: p.readInt32(),
                leaderEpoch: p.readInt32(),
                replicaNodes: p.readArray(() => p.readInt32(), true, false),
                isrNodes: p.readArray(() => p.readInt32(), true, false),
                offlineReplicas: p.readArray(() => p.readInt32(), true, false),
              };
              p.readTaggedFields();
              return partition;
            },
            true,
            false,
          ),
          topicAuthorizedOperations: r.readInt32(),
        };
        r.readTaggedFields();
        return topic;
      },
      true,
      false,
    ),
  };
  reader.readTaggedFields();
  return response;
}
