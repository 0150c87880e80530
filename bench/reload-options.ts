// bench:reload's command line: its usage text and its options, parsed and checked before anything starts.
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, type CommonSettings, commonSettings, positiveInteger } from './report.js';

export const RELOAD_USAGE = `usage: npm run bench:reload -- [options]

Measures, over N reloads of mixed kinds (a topic added, its replication paused, resumed — every other time onto
records deleted on the origin, so that its flow fails —, the topic removed), the time from saving georep's file
(a temporary file renamed over it) until each took effect, and the largest gap between the records of an
unrelated flow during the reloads, next to its gaps without reloads.

options:
  --trials N                 reloads (default 20)
  --background-topics N      one-partition topics the same georep mirrors besides (default 0)
  --baseline-seconds S       how long the unrelated flow is watched without reloads first (default 20)
  --steady-rate R            records per second written to the unrelated flow's topic (default 2000)
  --discovery-interval-ms N  georep's daemon.discoveryIntervalMs (default: georep's default, 5000)
  --version V                Kafka version (default GEOREP_KAFKA_VERSION, else 4.1.2)
  --georep-build B           dist (default: compile, then run bin/georep.js) or source (tsx)
  --wait-for-load L          first wait until the 1-minute load average is at most L…
  --max-wait-minutes M       …for at most M minutes (default 15), then measure anyway
  -h, --help                 show this help
`;

export interface ReloadOptions extends CommonSettings {
  readonly trials: number;
  readonly backgroundTopics: number;
  readonly baselineMs: number;
  readonly steadyRecordsPerSecond: number;
  readonly discoveryIntervalMs: number | null;
}

export function parseReloadOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ReloadOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      trials: { type: 'string', default: '20' },
      'background-topics': { type: 'string', default: '0' },
      'baseline-seconds': { type: 'string', default: '20' },
      'steady-rate': { type: 'string', default: '2000' },
      'discovery-interval-ms': { type: 'string' },
      ...COMMON_OPTIONS,
    },
    strict: true,
  });
  if (values.help) return 'help';
  const background = values['background-topics'];
  return {
    trials: positiveInteger(values.trials, '--trials'),
    backgroundTopics: background === '0' ? 0 : positiveInteger(background, '--background-topics'),
    baselineMs: positiveInteger(values['baseline-seconds'], '--baseline-seconds') * 1000,
    steadyRecordsPerSecond: positiveInteger(values['steady-rate'], '--steady-rate'),
    discoveryIntervalMs:
      values['discovery-interval-ms'] === undefined
        ? null
        : positiveInteger(values['discovery-interval-ms'], '--discovery-interval-ms'),
    ...commonSettings(values, env),
  };
}
