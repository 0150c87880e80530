// A concurrency limit runs its actions in turn; one given up while waiting leaves its place without running.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimit } from '../../../src/kafka/concurrency-limit.js';

test('an action aborted while waiting for its turn never runs, and the next one takes the turn', async () => {
  const limit = new ConcurrencyLimit(1);
  const ran: string[] = [];
  let release!: () => void;
  const first = limit.run(() => new Promise<void>((resolve) => (release = resolve)));
  const abort = new AbortController();
  const second = limit.run(async () => void ran.push('second'), abort.signal);
  const third = limit.run(async () => void ran.push('third'));
  abort.abort(new Error('stopped'));
  await assert.rejects(second, /stopped/);
  release();
  await Promise.all([first, third]);
  assert.deepEqual(ran, ['third']);
  await limit.run(async () => void ran.push('fourth')); // the turn was handed back: nothing left waiting
  assert.deepEqual(ran, ['third', 'fourth']);
});
