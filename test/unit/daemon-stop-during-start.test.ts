// A stop signal while the daemon is still starting (loading its file, or in a long first reconcile): the stop
// wins. start() resolves 'stopped' without binding the HTTP address after the stop closed the last listener and
// without telling systemd READY=1 after STOPPING=1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { SystemdNotifier } from '../../src/observability/systemd-notify.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { inMemoryClustersConfig, quietNotifier } from '../support/daemon-fixtures.js';
import { InMemoryKafka } from '../support/in-memory-kafka.js';

const workDir = mkdtempSync(path.join(tmpdir(), 'georep-stop-during-start-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function daemonOn(name: string, told: string[]): Daemon {
  const configFile = path.join(workDir, `${name}.yaml`);
  writeFileSync(
    configFile,
    inMemoryClustersConfig([
      '  - { origin: origin, destinations: [destination], topics: { include: ["orders"] } }',
    ]),
  );
  const clusters = { origin: new InMemoryKafka('origin'), destination: new InMemoryKafka('destination') };
  const notifier: SystemdNotifier = {
    ...quietNotifier,
    ready: async () => {
      told.push('READY=1');
    },
    stopping: async () => {
      told.push('STOPPING=1');
    },
  };
  return new Daemon({
    configPath: configFile,
    env: () => undefined,
    clusterFactory: (cluster) => clusters[cluster.name as keyof typeof clusters],
    logger: createLogger('info', new Writable({ write: (_chunk, _encoding, done) => done() })),
    metrics: new Metrics(),
    notifier,
    httpListenOverride: '127.0.0.1:0',
  });
}

test('a stop while the file loads: start() resolves stopped, nothing listens, systemd never hears READY', async () => {
  const told: string[] = [];
  const daemon = daemonOn('stopped-while-loading', told);
  const starting = daemon.start();
  assert.equal(await daemon.stop(5000), 'stopped');
  assert.equal(await starting, 'stopped');
  assert.equal(daemon.httpAddress, null, 'no HTTP listener bound after the stop');
  assert.deepEqual(told, ['STOPPING=1']);
});

test('without a stop, start() resolves started once the first reconcile is done', async () => {
  const told: string[] = [];
  const daemon = daemonOn('started', told);
  assert.equal(await daemon.start(), 'started');
  assert.notEqual(daemon.httpAddress, null);
  assert.equal(await daemon.stop(5000), 'stopped');
  assert.deepEqual(told, ['READY=1', 'STOPPING=1']);
});
