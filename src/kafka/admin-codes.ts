// Kafka's own codes for what the admin reports, the same whichever client read them: DescribeConfigs'
// config_source numbers and the consumer group state names of DescribeGroups.
import type { ConfigSource, ConsumerGroupState } from './port.js';

const CONFIG_SOURCES: Readonly<Record<number, ConfigSource>> = {
  1: 'topic',
  2: 'dynamic-broker',
  3: 'dynamic-default-broker',
  4: 'static-broker',
  5: 'default',
};

/** The port's ConfigSource for a DescribeConfigs config_source number; `unknown` for 0 and any newer one. */
export function configSourceOf(code: number | undefined): ConfigSource {
  return CONFIG_SOURCES[code ?? 0] ?? 'unknown';
}

const GROUP_STATES: Readonly<Record<string, ConsumerGroupState>> = {
  Empty: 'empty',
  Stable: 'stable',
  PreparingRebalance: 'preparing-rebalance',
  CompletingRebalance: 'completing-rebalance',
  Dead: 'dead',
};

/** The port's state for a group state name as DescribeGroups reports it (`Empty`, `Stable`, …). */
export function consumerGroupStateOf(name: string): ConsumerGroupState {
  return GROUP_STATES[name] ?? 'unknown';
}
