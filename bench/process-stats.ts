// Memory and CPU time of a running process, read from Linux's /proc (the benchmarks run on Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set size now (VmRSS). */
  readonly rssBytes: number;
  /** The highest resident set size the process has had so far (VmHWM, kept by the kernel). */
  readonly peakRssBytes: number;
}

/** The process's memory, or null once it has exited. */
export function readProcessMemory(pid: number): ProcessMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kibibytes = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rssBytes: kibibytes('VmRSS'), peakRssBytes: kibibytes('VmHWM') };
}

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100; // the value on every common Linux
    }
  }
  return clockTicksPerSecond;
}

/** CPU time the process has used so far (user + system, its threads included), or null once it has exited. */
export function readProcessCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1000) / ticksPerSecond();
}

/**
 * TCP sockets the process holds open (connections and listeners, IPv4 and IPv6), or null once it has exited:
 * its descriptors' socket inodes that the kernel's TCP tables of its network namespace list. Unix sockets (a
 * JVM holds a few) do not count.
 */
export function readTcpSocketCount(pid: number): number | null {
  let descriptors: string[];
  try {
    descriptors = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const tcpInodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6
    }
    // Columns: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode !== undefined) tcpInodes.add(inode);
    }
  }
  let sockets = 0;
  for (const descriptor of descriptors) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${descriptor}`);
      if (target.startsWith('socket:[') && tcpInodes.has(target.slice(8, -1))) sockets++;
    } catch {
      // closed while counting
    }
  }
  return sockets;
}
