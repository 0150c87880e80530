// Which CPUs the processes of a benchmark run on (bench:wan --mirror-cpus): the mirror under test on CPUs of its own,
// as on a host of its own; both brokers, Kafka's tools and the benchmark itself on the others. Unpinned, on a
// small machine, a mirror shares its cores with the brokers it reads and writes, and what it saves in CPU goes
// to them as much as to itself. Both mirrors of a comparison get the same CPUs. Uses taskset (util-linux).
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** The CPUs of a list as taskset writes them: `1`, `2-3`, `0,2` (ascending, no repeats). */
export function parseCpuList(list: string, optionName: string): number[] {
  const cpus = new Set<number>();
  for (const item of list.split(',').map((each) => each.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (match === null) throw new Error(`${optionName}: "${item}" is not a CPU or a range of CPUs like 2-3`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new Error(`${optionName}: the range "${item}" runs backwards`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The mirror's CPUs and the others, checked against this machine's: each side needs at least one. */
export interface CpuSplit {
  /** taskset lists. */
  readonly mirror: string;
  readonly kafka: string;
}

export function splitCpus(mirrorCpus: readonly number[], cpuCount: number, optionName: string): CpuSplit {
  const missing = mirrorCpus.filter((cpu) => cpu >= cpuCount);
  if (missing.length > 0)
    throw new Error(`${optionName}: this machine has CPUs 0-${cpuCount - 1}, not ${missing.join(', ')}`);
  const others = Array.from({ length: cpuCount }, (_, cpu) => cpu).filter((cpu) => !mirrorCpus.includes(cpu));
  if (others.length === 0)
    throw new Error(`${optionName}: leave at least one CPU for Kafka and the benchmark`);
  return { mirror: mirrorCpus.join(','), kafka: others.join(',') };
}

export function describeCpuSplit(split: CpuSplit): string {
  return `Mirrors on CPU ${split.mirror}; the brokers, Kafka's tools and the benchmark on CPU ${split.kafka}`;
}

/** `--mirror-cpus LIST` as given, checked on this machine. */
export function cpuSplitOf(list: string, optionName: string): CpuSplit {
  return splitCpus(parseCpuList(list, optionName), os.cpus().length, optionName);
}

/**
 * Moves every thread of this process to `cpus`. What it starts afterwards (the brokers, Kafka's tools) inherits
 * them; a mirror is started on its own CPUs with commandOnCpus.
 */
export function pinThisProcess(cpus: string): void {
  try {
    execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(process.pid)], {
      stdio: 'ignore',
    });
  } catch (error) {
    throw new Error(`could not pin the benchmark to CPUs ${cpus} with taskset (util-linux): ${error}`);
  }
}

/** `command args` to spawn, run on `cpus` from its first instruction when given (taskset execs the command). */
export function commandOnCpus(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): { readonly command: string; readonly args: string[] } {
  return cpus === undefined
    ? { command, args: [...args] }
    : { command: 'taskset', args: ['--cpu-list', cpus, command, ...args] };
}
