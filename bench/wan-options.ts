// bench:wan's command line: its usage text and its options, parsed and checked before anything starts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type CpuSplit, cpuSplitOf } from '../harness/cpu-pinning.js';
import { COMMON_OPTIONS, commonSettings, positiveInteger } from './report.js';

export const WAN_USAGE = `usage: npm run bench:wan -- [options]

georep, MirrorMaker 2 (defaults) and MirrorMaker 2 tuned copy a zstd topic of JSON events on loopback and
through a WAN of each round trip; latency under a steady load; georep under a bandwidth cap.

options:
  --records N            JSON events in the origin topic (default 300000)
  --rounds N             copy with each mirror over each link N times in turn (default 1); the table shows
                         each one's median round, the JSON every round
  --rtt-ms LIST          round trips to the origin, comma-separated (default 50,150)
  --latency-rate N       records/s of the steady producer (default 5000)
  --latency-seconds N    how long it writes (default 20)
  --cap-mb-per-second N  the bandwidth cap, in MB (10^6 bytes) per second (default 20)
  --cap-seconds N        how long the capped copy is measured (default 60)
  --skip LIST            leave out throughput, mm2 (both MirrorMakers), mm2-defaults, latency and/or cap
                         (comma-separated)
  --version V            Kafka version (default GEOREP_KAFKA_VERSION, else 4.1.2)
  --georep-build B       dist (default: compile, then run bin/georep.js) or source (tsx)
  --georep-cpu-prof      write a V8 CPU profile of each georep copy of the throughput and latency parts
                         (.cpuprofile) into its working folder
  --georep-node-option O a node option for georep's process in the throughput and latency parts, not the
                         baseline's (repeatable), e.g.
                         --georep-node-option=--trace-gc (its output goes to georep's log)
  --baseline DIR         also copy with the georep of checkout DIR in every round, its own row (build it
                         first: npm run build in DIR), e.g. a git worktree of main beside a change
  --mirror-cpus LIST     run each mirror on these CPUs (a taskset list, e.g. 1 or 2-3), as on a host of its
                         own, and the brokers, Kafka's tools and the benchmark on the others; with
                         --skip latency (the latency part's own processes need the CPUs)
  --wait-for-load L      first wait until the 1-minute load average is at most L…
  --max-wait-minutes M   …for at most M minutes (default 15), then measure anyway
  -h, --help             show this help
`;

export type Part = 'throughput' | 'mm2' | 'mm2-defaults' | 'latency' | 'cap';
const PARTS: readonly Part[] = ['throughput', 'mm2', 'mm2-defaults', 'latency', 'cap'];

interface WanOptions {
  readonly records: number;
  readonly rounds: number;
  readonly roundTripsMs: readonly number[];
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly capBytesPerSecond: number;
  readonly capSeconds: number;
  readonly skip: ReadonlySet<Part>;
  readonly georepCpuProfile: boolean;
  readonly baselineDir: string | null;
  readonly georepNodeOptions: readonly string[];
  /** --mirror-cpus: the mirrors' CPUs and the others' (taskset lists), or null to leave every process unpinned. */
  readonly cpuSplit: CpuSplit | null;
}

export function parseWanOptions(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...COMMON_OPTIONS,
      records: { type: 'string', default: '300000' },
      rounds: { type: 'string', default: '1' },
      'rtt-ms': { type: 'string', default: '50,150' },
      'latency-rate': { type: 'string', default: '5000' },
      'latency-seconds': { type: 'string', default: '20' },
      'cap-mb-per-second': { type: 'string', default: '20' },
      'cap-seconds': { type: 'string', default: '60' },
      skip: { type: 'string', default: '' },
      'georep-cpu-prof': { type: 'boolean', default: false },
      baseline: { type: 'string' },
      'georep-node-option': { type: 'string', multiple: true, default: [] },
      'mirror-cpus': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return 'help' as const;
  const skip = new Set<Part>();
  for (const name of values.skip.split(',').map((item) => item.trim())) {
    if (name === '') continue;
    const part = PARTS.find((each) => each === name);
    if (part === undefined) throw new Error(`--skip: "${name}" is not one of ${PARTS.join(', ')}`);
    skip.add(part);
  }
  const cpuSplit =
    values['mirror-cpus'] === undefined ? null : cpuSplitOf(values['mirror-cpus'], '--mirror-cpus');
  if (cpuSplit !== null && !skip.has('latency'))
    throw new Error(
      "--mirror-cpus needs --skip latency: that part's producer, readers and WAN proxy would share the brokers' CPUs",
    );
  const options: WanOptions = {
    records: positiveInteger(values.records, '--records'),
    rounds: positiveInteger(values.rounds, '--rounds'),
    roundTripsMs: values['rtt-ms'].split(',').map((item) => positiveInteger(item.trim(), '--rtt-ms')),
    latencyRate: positiveInteger(values['latency-rate'], '--latency-rate'),
    latencySeconds: positiveInteger(values['latency-seconds'], '--latency-seconds'),
    capBytesPerSecond: positiveInteger(values['cap-mb-per-second'], '--cap-mb-per-second') * 1_000_000,
    capSeconds: positiveInteger(values['cap-seconds'], '--cap-seconds'),
    skip,
    georepCpuProfile: values['georep-cpu-prof'],
    baselineDir: values.baseline === undefined ? null : builtCheckout(values.baseline),
    georepNodeOptions: values['georep-node-option'],
    cpuSplit,
  };
  return { ...options, ...commonSettings(values, env) };
}

export type WanSettings = Exclude<ReturnType<typeof parseWanOptions>, 'help'>;

/** A georep checkout whose dist/ is built, as an absolute path; checked before any cluster starts. */
function builtCheckout(dir: string): string {
  const checkoutDir = path.resolve(dir);
  if (
    !existsSync(path.join(checkoutDir, 'bin', 'georep.js')) ||
    !existsSync(path.join(checkoutDir, 'dist'))
  ) {
    throw new Error(`--baseline: ${checkoutDir} is not a built georep checkout (run npm run build in it)`);
  }
  return checkoutDir;
}
