// The frame of a test file that runs on one cluster of every Kafka version (GEOREP_TEST_KAFKA_VERSIONS), or
// on the user's own (GEOREP_TEST_BOOTSTRAP_A): the local clusters of every version start together before
// the file's tests and stop after them, and each target gets a describe() named after it.
//
//   describeOnEveryVersion({}, (target) => { … target.clusters()[0] … });
import { after, before, describe } from 'node:test';
import {
  type KafkaTestTarget,
  kafkaTestTargets,
  startTargets,
  stopTargets,
} from '../../../harness/test-clusters.js';

export function describeOnEveryVersion(
  options: { readonly timeoutMs?: number },
  body: (target: KafkaTestTarget) => void,
): void {
  const targets = kafkaTestTargets({ clusters: 1 });
  before((context) => startTargets(targets, context.signal));
  after(() => stopTargets(targets));
  for (const target of targets) {
    describe(target.label, { skip: target.skipReason, timeout: options.timeoutMs }, () => body(target));
  }
}
