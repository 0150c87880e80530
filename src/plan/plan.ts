// The diff between the flows that should run and the flows that run: a plain value, computed without side
// effects, so that `georep plan`, a reload and startup (a diff against nothing) all share it.
import type { FlowRestartSettings, FlowSpec } from './flow-spec.js';

export interface SettingChange {
  readonly setting: string;
  readonly from: string;
  readonly to: string;
}

export interface FlowChange {
  readonly from: FlowSpec;
  readonly to: FlowSpec;
  readonly changes: readonly SettingChange[];
}

export interface Plan {
  /** Desired flows that do not run. */
  readonly start: readonly FlowSpec[];
  /** Running flows that are no longer desired. */
  readonly stop: readonly FlowSpec[];
  /** Flows whose restart settings changed: stopped, then started with the new spec. */
  readonly restart: readonly FlowChange[];
  /** Flows that keep running and take the change in place: pause, resume, added partitions, a rename. */
  readonly update: readonly FlowChange[];
  /** Flows left alone. */
  readonly unchanged: readonly FlowSpec[];
}

export function planFlows(desired: readonly FlowSpec[], running: readonly FlowSpec[]): Plan {
  const runningByKey = new Map(running.map((flow) => [flow.key, flow]));
  const desiredKeys = new Set(desired.map((flow) => flow.key));
  const start: FlowSpec[] = [];
  const restart: FlowChange[] = [];
  const update: FlowChange[] = [];
  const unchanged: FlowSpec[] = [];

  for (const wanted of desired) {
    const current = runningByKey.get(wanted.key);
    if (current === undefined) {
      start.push(wanted);
      continue;
    }
    const restartChanges = diffRestartSettings(current.restartSettings, wanted.restartSettings);
    if (restartChanges.length > 0) {
      restart.push({ from: current, to: wanted, changes: restartChanges });
      continue;
    }
    const inPlaceChanges = diffInPlaceSettings(current, wanted);
    if (inPlaceChanges.length > 0) {
      update.push({ from: current, to: wanted, changes: inPlaceChanges });
    } else {
      unchanged.push(current);
    }
  }
  const stop = running.filter((flow) => !desiredKeys.has(flow.key));

  return {
    start: sortByKey(start),
    stop: sortByKey(stop),
    restart: sortChangesByKey(restart),
    update: sortChangesByKey(update),
    unchanged: sortByKey(unchanged),
  };
}

/** True when applying the plan would start, stop, restart or update anything. */
export function planHasChanges(plan: Plan): boolean {
  return plan.start.length + plan.stop.length + plan.restart.length + plan.update.length > 0;
}

function diffRestartSettings(from: FlowRestartSettings, to: FlowRestartSettings): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const setting of Object.keys(to) as (keyof FlowRestartSettings)[]) {
    const before = String(from[setting]);
    const after = String(to[setting]);
    if (before !== after) changes.push({ setting, from: before, to: after });
  }
  return changes;
}

function diffInPlaceSettings(from: FlowSpec, to: FlowSpec): SettingChange[] {
  const changes: SettingChange[] = [];
  if (from.paused !== to.paused) {
    changes.push({ setting: 'paused', from: String(from.paused), to: String(to.paused) });
  }
  if (from.partitions !== to.partitions) {
    changes.push({ setting: 'partitions', from: String(from.partitions), to: String(to.partitions) });
  }
  if (from.onOriginTopicDeleted !== to.onOriginTopicDeleted) {
    changes.push({
      setting: 'onOriginTopicDeleted',
      from: from.onOriginTopicDeleted,
      to: to.onOriginTopicDeleted,
    });
  }
  if (from.replication !== to.replication) {
    changes.push({ setting: 'replication', from: from.replication, to: to.replication });
  }
  // `start` is deliberately not compared: it only decides where a flow without stored progress begins.
  return changes;
}

function sortByKey(flows: FlowSpec[]): FlowSpec[] {
  return flows.sort((a, b) => compareKeys(a.key, b.key));
}

function sortChangesByKey(changes: FlowChange[]): FlowChange[] {
  return changes.sort((a, b) => compareKeys(a.to.key, b.to.key));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
