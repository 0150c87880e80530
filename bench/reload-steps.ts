// The reloads bench:reload makes, and the file each one saves. The reloads come in cycles of four kinds, each
// about one `trials` topic (two partitions) while the steady flow and the background flows stay in the file:
//   add     the topic is included: a new flow (timed until its records are on the destination);
//   pause   the `trials` replication is paused; in a failing cycle, records are then written to the topic's
//           partition 0 and deleted on the origin before the paused flow copied them;
//   resume  the replication runs again: in a failing cycle the flow fails (origin-truncated), else it runs;
//   remove  the topic leaves the file: its flow stops (in error or running).
// Odd cycles fail, even ones do not, so that removals stop both failed and running flows. bench/reload.ts runs
// them at scale; test/integration/reload-isolation.test.ts runs a few on every Kafka version.
import type { Admin } from '@platformatic/kafka';
import { createTopics, endOffsets } from '../harness/kafka-client.js';
import type { RecordWriter } from '../harness/kafka-writer.js';

export type ReloadKind = 'add' | 'pause' | 'resume' | 'remove';

export const RELOAD_KINDS: readonly ReloadKind[] = ['add', 'pause', 'resume', 'remove'];

export interface ReloadStep {
  /** 0-based index among all reloads. */
  readonly index: number;
  readonly kind: ReloadKind;
  /** 1-based cycle; each cycle has its own trial topic. */
  readonly cycle: number;
  readonly trialTopic: string;
  /** The cycle's flow fails with origin-truncated when resumed. */
  readonly failing: boolean;
  /** What the `trials` replication looks like in the file saved by this reload (null: not in the file). */
  readonly trials: { readonly paused: boolean } | null;
}

/** `count` reloads whose trial topics are `<topicPrefix>001`, `<topicPrefix>002`, … */
export function reloadSteps(count: number, topicPrefix = 'trial-'): ReloadStep[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = RELOAD_KINDS[index % RELOAD_KINDS.length] as ReloadKind;
    const cycle = Math.floor(index / RELOAD_KINDS.length) + 1;
    const trials = kind === 'remove' ? null : { paused: kind === 'pause' };
    return {
      index,
      kind,
      cycle,
      trialTopic: `${topicPrefix}${String(cycle).padStart(3, '0')}`,
      failing: cycle % 2 === 1,
      trials,
    };
  });
}

/** A cluster as the file names it. */
export interface NamedCluster {
  readonly name: string;
  readonly brokers: readonly string[];
}

export interface ReloadConfigInput {
  readonly origin: NamedCluster;
  readonly destination: NamedCluster;
  readonly steadyTopic: string;
  /** A glob selecting the background topics, or null without them. */
  readonly backgroundInclude: string | null;
  /** The trial topic and whether its replication is paused, or null. */
  readonly trial: { readonly topic: string; readonly paused: boolean } | null;
  readonly discoveryIntervalMs: number | null;
}

export function reloadConfig(input: ReloadConfigInput): string {
  const { origin, destination } = input;
  const list = (items: readonly string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const replication = (name: string, include: string, extra: readonly string[] = []) => [
    `  - name: ${name}`,
    `    origin: ${origin.name}`,
    `    destinations: [${destination.name}]`,
    `    topics: { include: ["${include}"] }`,
    ...extra,
  ];
  return [
    '# Written by bench/reload.ts: the unrelated steady flow, the background flows, and the trial of the reload.',
    'clusters:',
    `  ${origin.name}: { bootstrap: ${list(origin.brokers)} }`,
    `  ${destination.name}: { bootstrap: ${list(destination.brokers)} }`,
    'replications:',
    ...replication('steady', input.steadyTopic),
    ...(input.backgroundInclude === null ? [] : replication('background', input.backgroundInclude)),
    ...(input.trial === null
      ? []
      : replication('trials', input.trial.topic, [`    paused: ${input.trial.paused}`])),
    ...(input.discoveryIntervalMs === null
      ? []
      : ['daemon:', `  discoveryIntervalMs: ${input.discoveryIntervalMs}`]),
    '',
  ].join('\n');
}

/** Partitions of a trial topic; the failing cycles delete records of partition 0 only. */
export const TRIAL_PARTITIONS = 2;
/** Written to a paused trial topic's partition 0 and deleted on the origin before its flow copied them. */
const TRUNCATED_RECORDS = 10;

/** A flow's state change as georep logs it: `flow paused` ({from, to}), `flow failed: …` ({reason}). */
export interface FlowStateLine {
  readonly to?: unknown;
  readonly reason?: unknown;
}

export interface ReloadStepContext {
  readonly originAdmin: Admin;
  /** Writes to the origin. */
  readonly producer: RecordWriter;
  /** Saves the file with the trial replication as given (null: without it). */
  save(trial: { readonly topic: string; readonly paused: boolean } | null): Promise<void>;
  /** Resolves once the destination's copy of `topic` holds `records` records. */
  waitForCopied(topic: string, records: number): Promise<void>;
  /** Resolves once georep logged a state change of `topic`'s flow that `accept`s, after the save. */
  waitForFlowLine(topic: string, what: string, accept: (line: FlowStateLine) => boolean): Promise<void>;
}

/**
 * Makes one reload: what it needs on the origin first (an added topic and its records), the save, the wait
 * until it took effect, and after a failing cycle's pause the records deleted on the origin. Resolves with when
 * the file was saved and when the effect was seen (performance.now() clock).
 */
export async function runReloadStep(
  step: ReloadStep,
  context: ReloadStepContext,
): Promise<{ readonly savedAtMs: number; readonly effectAtMs: number }> {
  const { trialTopic: topic } = step;
  if (step.kind === 'add') {
    await createTopics(context.originAdmin, [{ topic, partitions: TRIAL_PARTITIONS }]);
    await context.producer.send(
      topic,
      Array.from({ length: TRIAL_PARTITIONS }, (_, partition) => ({ partition, value: topic })),
    );
  }
  const savedAtMs = performance.now();
  await context.save(step.trials === null ? null : { topic, paused: step.trials.paused });
  switch (step.kind) {
    case 'add':
      await context.waitForCopied(topic, TRIAL_PARTITIONS);
      break;
    case 'pause':
      await context.waitForFlowLine(topic, 'paused', (line) => line.to === 'paused');
      break;
    case 'resume':
      if (step.failing) {
        await context.waitForFlowLine(topic, 'failed', (line) => line.reason === 'origin-truncated');
      } else {
        await context.waitForFlowLine(topic, 'running', (line) => line.to === 'running');
      }
      break;
    case 'remove':
      await context.waitForFlowLine(topic, 'stopped', (line) => line.to === 'stopped');
      break;
  }
  const effectAtMs = performance.now();
  if (step.kind === 'pause' && step.failing) await truncateUncopied(context, topic);
  return { savedAtMs, effectAtMs };
}

/** Names the reload for tables and messages. */
export function describeReload(step: ReloadStep): string {
  switch (step.kind) {
    case 'add':
      return 'add a topic (until its records are copied)';
    case 'pause':
      return 'pause its replication';
    case 'resume':
      return step.failing ? 'resume: the flow fails (origin-truncated)' : 'resume: the flow runs';
    case 'remove':
      return 'remove the topic';
  }
}

/** Writes records to partition 0 of the paused trial topic and deletes them on the origin before they are copied. */
async function truncateUncopied(context: ReloadStepContext, topic: string): Promise<void> {
  await context.producer.send(
    topic,
    Array.from({ length: TRUNCATED_RECORDS }, (_, index) => ({ partition: 0, value: `lost-${index}` })),
  );
  const ends = await endOffsets(context.originAdmin, topic);
  await context.originAdmin.deleteRecords({
    topics: [{ name: topic, partitions: [{ partition: 0, offset: ends.get(0) ?? 0n }] }],
  });
}
