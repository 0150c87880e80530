// Which CPUs the processes of a benchmark run on (bench:wan --mirror-cpus): the mirror under test on CPUs of
// its own, as on a host of its own; both brokers, Kafka's tools and the benchmark itself on the others.
// Unpinned, on a small machine, a mirror shares its cores with the brokers it reads and writes, and what it
// saves in CPU goes to them as much as to itself. Both mirrors of a comparison get the same CPUs. Uses
// taskset (util-linux).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Linux numbers CPUs below this (its largest NR_CPUS): a list beyond it is a typo, not a machine. */
const MAX_CPUS = 8192;

/** The CPUs of a list as taskset and /proc write them: `1`, `2-3`, `0,2` (ascending, no repeats). */
export function parseCpuList(list: string, optionName: string): number[] {
  if (list.trim() === '') throw new Error(`${optionName}: give at least one CPU, e.g. 1 or 2-3`);
  const cpus = new Set<number>();
  for (const item of list.split(',').map((each) => each.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (match === null) throw new Error(`${optionName}: "${item}" is not a CPU or a range of CPUs like 2-3`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new Error(`${optionName}: the range "${item}" runs backwards`);
    if (last >= MAX_CPUS) throw new Error(`${optionName}: CPU ${last} is beyond any machine's`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The mirrors' CPUs and the others' (both brokers, Kafka's tools, the benchmark), as taskset lists. */
export interface CpuSplit {
  readonly mirror: string;
  readonly others: string;
}

/** The CPUs this process may use, split: `mirrorCpus` for the mirrors, the rest for the others. */
export function splitCpus(
  mirrorCpus: readonly number[],
  allowedCpus: readonly number[],
  optionName: string,
): CpuSplit {
  const missing = mirrorCpus.filter((cpu) => !allowedCpus.includes(cpu));
  if (missing.length > 0)
    throw new Error(
      `${optionName}: this process may use CPUs ${allowedCpus.join(',')}, not ${missing.join(', ')}`,
    );
  const others = allowedCpus.filter((cpu) => !mirrorCpus.includes(cpu));
  if (others.length === 0)
    throw new Error(`${optionName}: leave at least one CPU for Kafka and the benchmark`);
  return { mirror: mirrorCpus.join(','), others: others.join(',') };
}

export function describeCpuSplit(split: CpuSplit): string {
  return `Mirrors on CPU ${split.mirror}; the brokers, Kafka's tools and the benchmark on CPU ${split.others}`;
}

/**
 * The CPUs this process may use (its affinity, within its cgroup's cpuset), from /proc/self/status; where
 * that cannot be read, all the machine's.
 */
function allowedCpus(): number[] {
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (line !== null) return parseCpuList(line[1]!, '/proc/self/status Cpus_allowed_list');
  } catch {
    // not Linux: taskset will say so when it is run
  }
  return Array.from({ length: os.cpus().length }, (_, cpu) => cpu);
}

/** `--mirror-cpus LIST` as given, checked against the CPUs this process may use. */
export function cpuSplitOf(list: string, optionName: string): CpuSplit {
  return splitCpus(parseCpuList(list, optionName), allowedCpus(), optionName);
}

/**
 * Moves every thread of this process to `cpus`. What it starts afterwards (the brokers, Kafka's tools)
 * inherits them; a mirror is started on its own CPUs with commandOnCpus.
 */
export function pinThisProcess(cpus: string): void {
  try {
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(process.pid)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const said = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `could not pin the benchmark to CPUs ${cpus} with taskset (util-linux): ${said || (error as Error).message}`,
    );
  }
}

/** `command args` to spawn, run on `cpus` (when given) from its first instruction: taskset execs it. */
export function commandOnCpus(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): { readonly command: string; readonly args: string[] } {
  return cpus === undefined
    ? { command, args: [...args] }
    : { command: 'taskset', args: ['--cpu-list', cpus, command, ...args] };
}
