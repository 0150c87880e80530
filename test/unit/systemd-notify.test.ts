import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { systemdNotifier } from '../../src/observability/systemd-notify.js';

/** A fake NOTIFY_SOCKET: a unix datagram socket (Python, since Node cannot bind one) printing each message. */
async function fakeNotifySocket(): Promise<{ path: string; messages: string[]; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'georep-notify-'));
  const path = join(dir, 'notify.sock');
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    `s.bind(${JSON.stringify(path)})`,
    'print("bound", flush=True)',
    'while True:',
    '    data = s.recv(4096)',
    '    print(data.decode().replace("\\n", "|"), flush=True)',
  ].join('\n');
  const child: ChildProcess = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  await new Promise<void>((resolve) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'bound') resolve();
        else messages.push(line);
      }
    });
  });
  return {
    path,
    messages,
    close() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('systemd notifier', () => {
  test('sends READY, RELOADING with MONOTONIC_USEC, STOPPING and STATUS to NOTIFY_SOCKET', async (t) => {
    const socket = await fakeNotifySocket();
    t.after(() => socket.close());
    const notifier = systemdNotifier({ ...process.env, NOTIFY_SOCKET: socket.path }, (error) => {
      throw error;
    });
    await notifier.ready('mirroring 3 flows');
    await notifier.reloading('reloading /etc/georep/geo-replication.yaml');
    await notifier.stopping('stopping');
    await eventually(() => socket.messages.length === 3);
    assert.equal(socket.messages[0], 'READY=1|STATUS=mirroring 3 flows');
    assert.match(
      socket.messages[1] ?? '',
      /^RELOADING=1\|MONOTONIC_USEC=\d+\|STATUS=reloading \/etc\/georep/,
    );
    assert.equal(socket.messages[2], 'STOPPING=1|STATUS=stopping');
  });

  test('pings the watchdog at half the interval systemd asked for', async (t) => {
    const socket = await fakeNotifySocket();
    t.after(() => socket.close());
    const notifier = systemdNotifier({ ...process.env, NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '200000' });
    notifier.startWatchdog();
    t.after(() => notifier.stopWatchdog());
    await eventually(() => socket.messages.filter((m) => m === 'WATCHDOG=1').length >= 2);
  });

  test('leaves the watchdog alone when WATCHDOG_PID names another process (the variables were inherited)', async (t) => {
    const socket = await fakeNotifySocket();
    t.after(() => socket.close());
    const notifier = systemdNotifier({
      ...process.env,
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: '100000',
      WATCHDOG_PID: String(process.ppid),
    });
    notifier.startWatchdog();
    t.after(() => notifier.stopWatchdog());
    await notifier.status('still here');
    await eventually(() => socket.messages.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(socket.messages, ['STATUS=still here']);
  });

  test('does nothing when not started by systemd', async () => {
    const env = { ...process.env };
    delete env.NOTIFY_SOCKET;
    const notifier = systemdNotifier(env, (error) => {
      throw error;
    });
    await notifier.ready('ok');
    notifier.startWatchdog();
    notifier.stopWatchdog();
  });
});
