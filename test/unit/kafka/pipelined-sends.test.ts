// Requests of one partition sent ahead of their answers (pipelined-sends.ts): the order they leave in, how many
// are out at once, and what the caller learns after a failure.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Dispatched, sendPipelined } from '../../../src/kafka/pipelined-sends.js';

/** A connection whose answers the test gives, one request at a time, recording what was dispatched when. */
function fakeRequests() {
  const events: string[] = [];
  const answers = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  let out = 0;
  let mostOut = 0;
  const dispatch = async (index: number): Promise<Dispatched<string>> => {
    events.push(`send ${index}`);
    out += 1;
    mostOut = Math.max(mostOut, out);
    const answer = new Promise<string>((resolve, reject) => answers.set(index, { resolve, reject }));
    const counted = answer.finally(() => {
      out -= 1;
    });
    return { answer: counted };
  };
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return {
    events,
    dispatch,
    mostOut: () => mostOut,
    async answer(index: number, error?: Error) {
      await flush();
      const pending = answers.get(index);
      assert.ok(pending, `request ${index} was not sent`);
      events.push(error === undefined ? `answer ${index}` : `fail ${index}`);
      if (error === undefined) pending.resolve(`offset of ${index}`);
      else pending.reject(error);
      await flush();
    },
  };
}

describe('sendPipelined', () => {
  test('sends up to `depth` requests before the first answer, in order, and returns every answer in order', async () => {
    const requests = fakeRequests();
    const outcome = sendPipelined(7, 3, requests.dispatch);
    for (const index of [0, 1, 2, 3, 4, 5, 6]) await requests.answer(index);
    assert.deepEqual(await outcome, { results: [0, 1, 2, 3, 4, 5, 6].map((index) => `offset of ${index}`) });
    assert.equal(requests.mostOut(), 3);
    assert.deepEqual(requests.events.slice(0, 5), ['send 0', 'send 1', 'send 2', 'answer 0', 'send 3']);
  });

  test('after a failure sends nothing more, waits for the requests out, and names the first that failed', async () => {
    const requests = fakeRequests();
    const outcome = sendPipelined(6, 3, requests.dispatch);
    await requests.answer(0);
    await requests.answer(1, new Error('NOT_LEADER_OR_FOLLOWER'));
    await requests.answer(2, new Error('OUT_OF_ORDER_SEQUENCE_NUMBER'));
    let done = false;
    void outcome.then(() => {
      done = true;
    });
    await requests.answer(3, new Error('OUT_OF_ORDER_SEQUENCE_NUMBER'));
    assert.equal(done, true);
    const { results, failure } = await outcome;
    assert.deepEqual(results, ['offset of 0']);
    assert.ok(failure);
    assert.equal(failure.index, 1);
    assert.equal((failure.error as Error).message, 'NOT_LEADER_OR_FOLLOWER');
    assert.ok(!requests.events.includes('send 4'), 'nothing is sent after the failure is known');
  });

  test('does not settle while a request sent before the failure is still out', async () => {
    const requests = fakeRequests();
    const outcome = sendPipelined(3, 3, requests.dispatch);
    let done = false;
    void outcome.then(() => {
      done = true;
    });
    await requests.answer(1, new Error('answer lost'));
    assert.equal(done, false, 'requests 0 and 2 are still out');
    await requests.answer(2);
    assert.equal(done, false, 'request 0 is still out');
    await requests.answer(0);
    const { results, failure } = await outcome;
    assert.deepEqual(results, ['offset of 0']);
    assert.equal(failure?.index, 1);
  });

  test('a request that cannot be dispatched is the failure, after the answers of those before it', async () => {
    const dispatched: number[] = [];
    const outcome = await sendPipelined(5, 5, async (index) => {
      if (index === 2) throw new Error('no leader');
      dispatched.push(index);
      return { answer: Promise.resolve(index * 10) };
    });
    assert.deepEqual(outcome.results, [0, 10]);
    assert.equal(outcome.failure?.index, 2);
    assert.deepEqual(dispatched, [0, 1]);
  });

  test('no requests: no answers', async () => {
    assert.deepEqual(await sendPipelined(0, 5, () => assert.fail('nothing to send')), { results: [] });
  });
});
