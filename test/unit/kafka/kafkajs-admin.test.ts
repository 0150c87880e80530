// The kafkajs admin adapter against a stand-in for kafkajs's admin client: how it behaves while a cluster is
// still catching up with its own changes, which a broker rarely shows on demand.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { Retriable } from '../../../src/kafka/errors.js';
import { KafkajsAdmin } from '../../../src/kafka/kafkajs/admin.js';
import { loadKafkajs } from '../../../src/kafka/kafkajs/load-kafkajs.js';

const errors = loadKafkajs() as unknown as Record<string, new (...args: unknown[]) => Error>;

/** What a broker answers for a topic it does not know (yet). */
function unknownTopicError(): Error {
  return new errors.KafkaJSProtocolError!({
    message: 'This server does not host this topic-partition',
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
  });
}

/** A kafkajs admin whose metadata answers come, one per call, from `answers`; the last one repeats. */
function adminAnswering(answers: ReadonlyArray<() => { leader: number }[]>) {
  const calls = { metadata: 0, createTopics: [] as unknown[] };
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    createTopics: async (request: unknown) => {
      calls.createTopics.push(request);
      return true;
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      const answer = answers[Math.min(calls.metadata, answers.length - 1)]!;
      calls.metadata++;
      return { topics: [{ name: topics[0], partitions: answer() }] };
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls };
}

const newTopic = { name: 'orders', partitionCount: 3, replicationFactor: 1, configs: new Map() };
const withLeaders = () => [{ leader: 1 }, { leader: 1 }, { leader: 1 }];

describe('creating a topic with the kafkajs admin', () => {
  test('waits while the broker does not know the new topic yet, then resolves created', async () => {
    const { kafka, calls } = adminAnswering([
      () => {
        throw unknownTopicError();
      },
      () => {
        throw unknownTopicError();
      },
      () => [{ leader: 1 }, { leader: -1 }, { leader: 1 }],
      withLeaders,
    ]);
    const outcome = await new KafkajsAdmin(kafka, 'frankfurt', 5000).createTopic(newTopic);
    assert.equal(outcome, 'created');
    assert.equal(calls.metadata, 4, 'metadata asked for until every partition had a leader');
  });

  test('gives up with a retriable error when the partitions never get leaders', async () => {
    const { kafka } = adminAnswering([
      () => {
        throw unknownTopicError();
      },
    ]);
    await assert.rejects(new KafkajsAdmin(kafka, 'frankfurt', 300).createTopic(newTopic), (error) => {
      assert.ok(error instanceof Retriable);
      assert.match(error.message, /create topic orders: its 3 partitions had no leaders after 300 ms/);
      return true;
    });
  });
});
