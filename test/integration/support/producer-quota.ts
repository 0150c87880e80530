// Throttles what a cluster accepts from producers, as a cluster's owner does who caps mirror traffic: a broker
// quota (producer_byte_rate) on the default client entity, so it applies to every client georep makes.

import { runKafkaTool } from '../../../harness/kafka-tools.js';
import type { KafkaVersion } from '../../../harness/versions.js';

/** Sets (or, with null, removes) the default producer quota of every client of the cluster at `brokers`. */
export async function setDefaultProducerQuota(options: {
  readonly toolsVersion: KafkaVersion;
  readonly brokers: readonly string[];
  readonly bytesPerSecond: number | null;
  readonly signal: AbortSignal;
}): Promise<void> {
  await runKafkaTool({
    version: options.toolsVersion,
    tool: 'configs',
    args: [
      '--bootstrap-server',
      options.brokers.join(','),
      '--alter',
      '--entity-type',
      'clients',
      '--entity-default',
      ...(options.bytesPerSecond === null
        ? ['--delete-config', 'producer_byte_rate']
        : ['--add-config', `producer_byte_rate=${options.bytesPerSecond}`]),
    ],
    signal: options.signal,
  });
}
