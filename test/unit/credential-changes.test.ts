import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { desiredFlows } from '../../src/plan/desired-flows.js';
import { planFlows } from '../../src/plan/plan.js';
import { CredentialChanges } from '../../src/runtime/credential-changes.js';
import { compiled, fakeEnvironment, PEM_CERTIFICATE } from './config/helpers.js';

function config(londonPassword: string, parisKey = 'key-1') {
  return compiled(
    `
clusters:
  london:
    bootstrap: [lon:9093]
    sasl: { mechanism: scram-sha-512, username: georep, password: "\${env:LON_PASS}" }
  paris:
    bootstrap: [par:9093]
    tls: { cert: "\${env:PAR_CERT}", key: "\${env:PAR_KEY}" }
replications:
  - { origin: london, destinations: [paris], topics: { include: [orders] } }
`,
    fakeEnvironment({
      env: {
        LON_PASS: londonPassword,
        PAR_CERT: PEM_CERTIFICATE,
        PAR_KEY: `-----BEGIN PRIVATE KEY-----\n${parisKey}\n-----END PRIVATE KEY-----\n`,
      },
    }),
  );
}

const listings = new Map([['london', [{ name: 'orders', partitions: 3 }]]]);

describe('credential changes', () => {
  test('a changed password or key is counted for its cluster only; the same secrets again count nothing', () => {
    const changes = new CredentialChanges();
    assert.deepEqual([...changes.observe(config('pw-1'))], []);
    assert.deepEqual([...changes.observe(config('pw-1'))], []);
    assert.deepEqual([...changes.observe(config('pw-2'))], [['london', 1]]);
    assert.deepEqual(
      [...changes.observe(config('pw-2', 'key-2'))],
      [
        ['london', 1],
        ['paris', 1],
      ],
    );
  });

  test('a changed password still restarts the flows of its cluster, named as a credential change', () => {
    const changes = new CredentialChanges();
    const running = desiredFlows(config('pw-1'), listings, changes.observe(config('pw-1'))).flows;
    const next = config('pw-2');
    const plan = planFlows(desiredFlows(next, listings, changes.observe(next)).flows, running);
    assert.deepEqual(
      plan.restart.map((change) => change.changes),
      [[{ setting: 'originCredentials', from: '0', to: '1' }]],
    );
  });

  test('nothing georep shows about a flow depends on the password: two processes with different passwords show the same', () => {
    const shown = (password: string, key: string) => {
      const loaded = config(password, key);
      return JSON.stringify(desiredFlows(loaded, listings, new CredentialChanges().observe(loaded)));
    };
    assert.equal(shown('correct horse battery staple', 'key-a'), shown('Tr0ub4dor&3', 'key-b'));
  });
});
