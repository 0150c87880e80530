import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { BasicAuthenticator } from '../../src/observability/http-auth.js';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const users = new Map([['prometheus', bcrypt.hashSync('right', 4)]]);
const limits = { bcryptPerSecond: 2, bcryptBurst: 3, maxRemembered: 8 };

describe('BasicAuthenticator', () => {
  test('accepts the right password, denies a wrong one, an unknown user and a missing header', async () => {
    const auth = new BasicAuthenticator(users, limits);
    assert.equal(await auth.check(basic('prometheus', 'right')), 'ok');
    assert.equal(await auth.check(basic('prometheus', 'wrong')), 'denied');
    assert.equal(await auth.check(basic('nobody', 'right')), 'denied');
    assert.equal(await auth.check(undefined), 'denied');
  });

  test('a flood of wrong passwords gets at most the bcrypt budget, then "busy"; a verified password still passes', async () => {
    let nowMs = 0;
    const auth = new BasicAuthenticator(users, limits, () => nowMs);
    assert.equal(await auth.check(basic('prometheus', 'right')), 'ok');
    const outcomes = [];
    for (let attempt = 0; attempt < 10; attempt += 1)
      outcomes.push(await auth.check(basic('prometheus', `guess${attempt}`)));
    assert.deepEqual(outcomes, ['denied', 'denied', ...Array(8).fill('busy')]);
    assert.equal(await auth.check(basic('prometheus', 'right')), 'ok', 'remembered, no bcrypt needed');
    nowMs += 1_000;
    assert.equal(await auth.check(basic('prometheus', 'guess')), 'denied', 'the budget refills over time');
    assert.equal(await auth.check(basic('prometheus', 'guess')), 'denied');
    assert.equal(await auth.check(basic('prometheus', 'guess')), 'busy');
  });
});
