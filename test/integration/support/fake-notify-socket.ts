// A fake NOTIFY_SOCKET, standing in for systemd when a test runs the daemon: a unix datagram socket that
// records every message the daemon's systemd-notify children send. Python binds it, because Node cannot
// bind a unix datagram socket.
//
//   const socket = await FakeNotifySocket.open();
//   spawn georep with NOTIFY_SOCKET=socket.path …
//   const ready = await socket.waitFor((m) => m.fields.READY === '1', { what: 'READY=1', timeoutMs });
//   await socket.close();
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NotifyMessage {
  /** `KEY=value` assignments of the datagram, in order. */
  readonly assignments: readonly string[];
  readonly fields: Readonly<Record<string, string>>;
  /** When the test process read it: wall clock, and CLOCK_MONOTONIC in µs (comparable to MONOTONIC_USEC). */
  readonly receivedAtMs: number;
  readonly receivedMonotonicUsec: bigint;
}

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    data = s.recv(65536)
    # One datagram per line: newlines separate assignments inside a datagram.
    print(data.decode("utf-8", "replace").strip().replace("\\n", "\\t"), flush=True)
`;

export class FakeNotifySocket {
  readonly path: string;
  readonly messages: NotifyMessage[] = [];
  readonly #dir: string;
  readonly #receiver: ChildProcess;

  private constructor(dir: string, receiver: ChildProcess) {
    this.#dir = dir;
    this.path = path.join(dir, 'notify.sock');
    this.#receiver = receiver;
  }

  static async open(): Promise<FakeNotifySocket> {
    const dir = mkdtempSync(path.join(tmpdir(), 'georep-notify-'));
    const receiver = spawn('python3', ['-c', RECEIVER, path.join(dir, 'notify.sock')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const socket = new FakeNotifySocket(dir, receiver);
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      receiver.once('exit', (code) => reject(new Error(`the notify socket's receiver exited (${code})`)));
      receiver.stdout?.setEncoding('utf8');
      receiver.stdout?.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === 'bound') resolve();
          else socket.#take(line);
        }
      });
    });
    return socket;
  }

  /** Resolves with the first message (already received or to come) after `afterIndex` that `predicate` accepts. */
  async waitFor(
    predicate: (message: NotifyMessage) => boolean,
    options: { readonly what: string; readonly timeoutMs: number; readonly afterIndex?: number },
  ): Promise<NotifyMessage> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const found = this.messages.slice(options.afterIndex ?? 0).find(predicate);
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no ${options.what} on the notify socket in ${options.timeoutMs} ms; received: ${this.describe()}`,
        );
      }
      await sleep(50);
    }
  }

  /** The messages so far, one per line, watchdog pings left out. */
  describe(): string {
    return this.messages
      .filter((message) => message.fields.WATCHDOG === undefined)
      .map((message) => message.assignments.join(' '))
      .join('\n');
  }

  async close(): Promise<void> {
    if (this.#receiver.exitCode === null && this.#receiver.signalCode === null) {
      const exited = once(this.#receiver, 'exit');
      this.#receiver.kill('SIGKILL');
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #take(line: string): void {
    const assignments = line.split('\t').filter((assignment) => assignment !== '');
    const fields: Record<string, string> = {};
    for (const assignment of assignments) {
      const separator = assignment.indexOf('=');
      fields[assignment.slice(0, separator)] = assignment.slice(separator + 1);
    }
    this.messages.push({
      assignments,
      fields,
      receivedAtMs: Date.now(),
      receivedMonotonicUsec: process.hrtime.bigint() / 1000n,
    });
  }
}
