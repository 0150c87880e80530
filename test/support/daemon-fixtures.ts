// Helpers for tests that run the Daemon in process (on the in-memory Kafka): a config of its two clusters, a
// systemd notifier that does nothing, and a poll of daemon.status() until it says what the test waits for.
import { setTimeout as sleep } from 'node:timers/promises';
import type { SystemdNotifier } from '../../src/observability/systemd-notify.js';
import type { Daemon, DaemonStatus } from '../../src/runtime/daemon.js';

/**
 * A config of clusters `origin` and `destination` (names no broker has: the tests' in-memory Kafka serves them)
 * with these replications (YAML lines), then `trailing` lines.
 */
export function inMemoryClustersConfig(
  replications: readonly string[],
  trailing: readonly string[] = [],
): string {
  return [
    'clusters:',
    '  origin: { bootstrap: ["origin.invalid:9092"] }',
    '  destination: { bootstrap: ["destination.invalid:9092"] }',
    'replications:',
    ...replications,
    ...trailing,
    '',
  ].join('\n');
}

export const quietNotifier: SystemdNotifier = {
  ready: async () => undefined,
  reloading: async () => undefined,
  stopping: async () => undefined,
  status: async () => undefined,
  startWatchdog: () => undefined,
  stopWatchdog: () => undefined,
};

/** Polls the daemon's status until `accept` holds; throws with the flows after 10 s. */
export async function waitForStatus(
  daemon: Daemon,
  accept: (status: DaemonStatus) => boolean,
): Promise<DaemonStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = daemon.status();
    if (accept(status)) return status;
    if (Date.now() > deadline) throw new Error(`status not reached: ${JSON.stringify(status.flows)}`);
    await sleep(10);
  }
}
