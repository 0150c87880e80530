// sd_notify without a native addon: Node's dgram cannot send to the unix datagram socket in NOTIFY_SOCKET,
// so each message is sent by spawning systemd-notify (about 9 ms). Because systemd then sees the message come
// from a child process, the unit must say NotifyAccess=all. When NOTIFY_SOCKET is unset (not run by systemd
// with Type=notify) every call does nothing. --no-block: without it systemd-notify (252) waits on a barrier
// after READY=1 that only systemd itself answers.
import { execFile } from 'node:child_process';

export interface SystemdNotifier {
  /** The first reconcile finished, or a reload did. */
  ready(status: string): Promise<void>;
  /** A reload begins; systemd wants the monotonic clock of that moment. */
  reloading(status: string): Promise<void>;
  stopping(status: string): Promise<void>;
  status(status: string): Promise<void>;
  /**
   * Starts pinging the watchdog at half the interval systemd asked for (WATCHDOG_USEC), if it asked this
   * process: WATCHDOG_PID, when set, names the process systemd watches.
   */
  startWatchdog(): void;
  stopWatchdog(): void;
}

export function systemdNotifier(
  env: NodeJS.ProcessEnv = process.env,
  onError: (error: Error) => void = () => {},
): SystemdNotifier {
  const socket = env.NOTIFY_SOCKET;
  let watchdogTimer: NodeJS.Timeout | null = null;
  const send = (...assignments: string[]): Promise<void> => {
    if (socket === undefined || socket === '') return Promise.resolve();
    return new Promise((resolve) => {
      execFile(
        'systemd-notify',
        ['--no-block', ...assignments],
        { env: { ...env, NOTIFY_SOCKET: socket } },
        (error) => {
          // A lost notification must not take the daemon down; systemd's own timeouts will speak up.
          if (error) onError(error);
          resolve();
        },
      );
    });
  };
  const oneLine = (text: string) => `STATUS=${text.replace(/\s+/g, ' ')}`;
  return {
    ready: (status) => send('READY=1', oneLine(status)),
    reloading: (status) =>
      send('RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, oneLine(status)),
    stopping: (status) => send('STOPPING=1', oneLine(status)),
    status: (status) => send(oneLine(status)),
    startWatchdog() {
      const intervalUsec = Number(env.WATCHDOG_USEC);
      const watchedPid = env.WATCHDOG_PID === undefined ? process.pid : Number(env.WATCHDOG_PID);
      if (socket === undefined || !(intervalUsec > 0) || watchedPid !== process.pid || watchdogTimer !== null)
        return;
      watchdogTimer = setInterval(() => void send('WATCHDOG=1'), intervalUsec / 2000);
      watchdogTimer.unref();
    },
    stopWatchdog() {
      if (watchdogTimer !== null) clearInterval(watchdogTimer);
      watchdogTimer = null;
    },
  };
}
