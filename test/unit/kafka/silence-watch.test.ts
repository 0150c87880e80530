// A request still waiting is reported once its connection has been quiet too long, counted from the later of its
// start and the connection's last answer: answers to the requests ahead of it (a slow but answering link) push
// the report on, and one that is answered is never reported.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { whileSilentFor } from '../../../src/kafka/platformatic/silence-watch.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
afterEach(() => mock.timers.reset());

const ALLOWED_MS = 2000;

function watched(lastAnswer: { atMs: number }) {
  let answer: (value: string) => void = () => {};
  const pending = new Promise<string>((resolve) => {
    answer = resolve;
  });
  const reports: number[] = [];
  const startedAtMs = Date.now();
  const result = whileSilentFor(
    pending,
    () => ({ quietSinceMs: Math.max(startedAtMs, lastAnswer.atMs), allowedMs: ALLOWED_MS }),
    (silentForMs) => reports.push(silentForMs),
  );
  return { result, reports, answer };
}

test('a connection quiet for the allowed time: reported once, with how long it was quiet', () => {
  const { reports } = watched({ atMs: -1 });
  mock.timers.tick(1999);
  assert.deepEqual(reports, []);
  mock.timers.tick(1);
  assert.deepEqual(reports, [2000]);
  mock.timers.tick(10_000);
  assert.deepEqual(reports, [2000], 'once');
});

test('answers to other requests on the connection push the report on', () => {
  const lastAnswer = { atMs: -1 };
  const { reports } = watched(lastAnswer);
  for (let atMs = 500; atMs <= 6000; atMs += 500) {
    mock.timers.tick(500);
    lastAnswer.atMs = atMs;
  }
  assert.deepEqual(reports, [], 'an answer every half second: the destination answers');
  mock.timers.tick(2000);
  assert.deepEqual(reports, [2000], 'quiet since the last answer, at 6 s');
});

test('a request answered in time is never reported', async () => {
  const { result, reports, answer } = watched({ atMs: -1 });
  mock.timers.tick(1500);
  answer('stored');
  assert.equal(await result, 'stored');
  mock.timers.tick(10_000);
  assert.deepEqual(reports, []);
});
