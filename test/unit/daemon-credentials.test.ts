// The daemon on the in-memory Kafka with a SASL password read from a file: a changed password restarts the
// flows of its cluster (and makes a new client) at the reload, and nothing the daemon shows or logs holds a
// value computed from the password alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { quietNotifier, waitForStatus } from '../support/daemon-fixtures.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';
import { passwordDerivedForms } from '../support/password-forms.js';

const workDir = mkdtempSync(path.join(tmpdir(), 'georep-daemon-credentials-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** A daemon mirroring `orders` from origin (SASL password in `passwordFile`) to destination, in memory. */
async function startDaemon(name: string, passwordFile: string) {
  const origin = new InMemoryKafka('origin');
  const destination = new InMemoryKafka('destination');
  await origin
    .createAdmin()
    .createTopic({ name: 'orders', partitionCount: 1, replicationFactor: 1, configs: new Map() });
  const configFile = path.join(workDir, `${name}.yaml`);
  writeFileSync(
    configFile,
    [
      'clusters:',
      '  origin:',
      '    bootstrap: ["origin.invalid:9092"]',
      `    sasl: { mechanism: scram-sha-512, username: georep, password: "\${file:${passwordFile}}" }`,
      '  destination: { bootstrap: ["destination.invalid:9092"] }',
      'replications:',
      '  - { origin: origin, destinations: [destination], topics: { include: [orders] } }',
      'daemon: { discoveryIntervalMs: 3600000 }',
      '',
    ].join('\n'),
  );
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const clientsMade: string[] = [];
  const daemon = new Daemon({
    configPath: configFile,
    env: () => undefined,
    clusterFactory: (cluster) => {
      clientsMade.push(cluster.name);
      return cluster.name === 'origin' ? origin : destination;
    },
    logger: createLogger('info', logStream),
    metrics: new Metrics(),
    notifier: quietNotifier,
    httpListenOverride: '127.0.0.1:0',
  });
  after(() => daemon.stop(5000));
  await daemon.start();
  const status = await waitForStatus(daemon, (candidate) => candidate.flows[0]?.state === 'running');
  return { daemon, logLines, clientsMade, status };
}

const passwords = ['first-Secret-4711', 'second-Secret-0815'];

function passwordFile(name: string, password: string): string {
  const file = path.join(workDir, `${name}.password`);
  writeFileSync(file, `${password}\n`);
  return file;
}

test('a changed SASL password restarts its cluster flows at the reload; no output holds a password-derived value', async () => {
  const file = passwordFile('reloaded', passwords[0] ?? '');
  const { daemon, logLines, clientsMade, status: before } = await startDaemon('reloaded', file);
  assert.equal(before.flows[0]?.spec.restartSettings.originCredentials, 0);

  writeFileSync(file, `${passwords[1]}\n`);
  daemon.requestReconcile('sighup');
  await daemon.whenIdle();
  const afterReload = await waitForStatus(
    daemon,
    (status) =>
      status.flows[0]?.state === 'running' && status.flows[0].spec.restartSettings.originCredentials === 1,
  );
  assert.equal(afterReload.flows[0]?.spec.restartSettings.destinationCredentials, 0);
  assert.deepEqual(
    clientsMade,
    ['origin', 'destination', 'origin'],
    'a new origin client, the destination kept',
  );
  const plan = logLines
    .map((line) => JSON.parse(line) as { msg: string; restart?: unknown })
    .find((line) => line.msg.startsWith('applying plan: 0 to start, 0 to stop, 1 to restart'));
  assert.deepEqual(plan?.restart, [
    {
      flow: 'origin/orders -> destination/origin.orders',
      changes: [{ setting: 'originCredentials', from: '0', to: '1' }],
    },
  ]);

  const served = await (await fetch(`http://${daemon.httpAddress}/status`)).text();
  const outputs = [served, JSON.stringify(afterReload), ...logLines];
  for (const form of passwords.flatMap(passwordDerivedForms)) {
    for (const output of outputs) assert.equal(output.includes(form), false, `an output holds ${form}`);
  }
});

test('two daemons started with different passwords show the same flow: nothing shown depends on the password', async () => {
  const first = await startDaemon('first', passwordFile('first', passwords[0] ?? ''));
  const second = await startDaemon('second', passwordFile('second', passwords[1] ?? ''));
  assert.deepEqual(second.status.flows[0]?.spec, first.status.flows[0]?.spec);
});
