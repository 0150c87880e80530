// What `georep status` prints of the flows: one table of every flow while they fit on a screen, and beyond that a
// summary (flows by state, per replication) with the flows that need a look first, capped, so that 10,000 flows
// stay readable; `--all` lists every flow whatever their number.
import type { FlowState } from '../runtime/flow-state.js';
import type { FlowStatus } from '../runtime/flow-status.js';

/** Up to this many flows, every flow is listed; beyond, a summary and the flows not running, as many. */
export const LISTED_FLOWS_MAX = 20;

/** Most pressing first: what an operator must look at before what is merely on its way. */
const STATE_ORDER: readonly FlowState[] = [
  'error',
  'stalled',
  'starting',
  'updating',
  'stopping',
  'stopped',
  'paused',
  'running',
];

function stateRank(state: FlowState): number {
  return STATE_ORDER.indexOf(state);
}

/** `1000 flows: 997 running, 2 error, 1 stalled` — running first, then by how pressing. */
export function describeStates(flows: readonly FlowStatus[]): string {
  const counts = new Map<FlowState, number>();
  for (const flow of flows) counts.set(flow.state, (counts.get(flow.state) ?? 0) + 1);
  return ['running' as const, ...STATE_ORDER.filter((state) => state !== 'running')]
    .filter((state) => counts.has(state))
    .map((state) => `${counts.get(state)} ${state}`)
    .join(', ');
}

/** The flows, those not running first (errors first of all); the order among equals is kept. */
export function flowsNeedingAttentionFirst(flows: readonly FlowStatus[]): FlowStatus[] {
  return [...flows].sort((left, right) => stateRank(left.state) - stateRank(right.state));
}

export interface FlowsView {
  /** The headline: how many flows, by state. */
  readonly headline: string;
  /** Per replication, when the flows are summarised; empty when every flow is listed. */
  readonly replications: readonly ReplicationSummary[];
  /** The flows to show in the table, those not running first. */
  readonly listed: readonly FlowStatus[];
  /** Flows not running that were left out of `listed` (only when summarised). */
  readonly notRunningLeftOut: number;
  /** True when `listed` holds only the flows not running (the others are in the summary). */
  readonly summarised: boolean;
}

export interface ReplicationSummary {
  readonly replication: string;
  readonly flows: number;
  readonly states: string;
  /** Sum of the known lags, and how many flows' lag is unknown. */
  readonly lag: number;
  readonly unknownLags: number;
  readonly recordsPerSecond: number;
}

export function summariseReplications(flows: readonly FlowStatus[]): ReplicationSummary[] {
  const byReplication = new Map<string, FlowStatus[]>();
  for (const flow of flows)
    byReplication.set(flow.replication, [...(byReplication.get(flow.replication) ?? []), flow]);
  return [...byReplication].map(([replication, members]) => ({
    replication,
    flows: members.length,
    states: describeStates(members),
    lag: members.reduce((sum, flow) => sum + (flow.lag ?? 0), 0),
    unknownLags: members.filter((flow) => flow.lag === null).length,
    recordsPerSecond: members.reduce((sum, flow) => sum + flow.recordsPerSecond, 0),
  }));
}

/** What to print: every flow (`all`, or few flows), else a summary and the flows not running, capped. */
export function flowsView(flows: readonly FlowStatus[], options: { readonly all: boolean }): FlowsView {
  const headline = `${flows.length} flow${flows.length === 1 ? '' : 's'}${flows.length === 0 ? '' : `: ${describeStates(flows)}`}`;
  const ordered = flowsNeedingAttentionFirst(flows);
  if (options.all || flows.length <= LISTED_FLOWS_MAX)
    return { headline, replications: [], listed: ordered, notRunningLeftOut: 0, summarised: false };
  const notRunning = ordered.filter((flow) => flow.state !== 'running');
  return {
    headline,
    replications: summariseReplications(flows),
    listed: notRunning.slice(0, LISTED_FLOWS_MAX),
    notRunningLeftOut: Math.max(0, notRunning.length - LISTED_FLOWS_MAX),
    summarised: true,
  };
}
