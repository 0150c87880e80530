// The diff between the flows (and group syncs) that should run and the ones that run: a plain value,
// computed without side effects, so that `georep plan`, a reload and startup (a diff against nothing) all
// share it.
import type { FlowRestartSettings, FlowSpec } from './flow-spec.js';

export interface SettingChange {
  readonly setting: string;
  readonly from: string;
  readonly to: string;
}

/** One keyed thing (a flow, a group sync) that runs and is wanted with other settings. */
export interface Change<T> {
  readonly from: T;
  readonly to: T;
  readonly changes: readonly SettingChange[];
}

/** The diff between what should run and what runs, by key. */
export interface KeyedPlan<T> {
  /** Desired and not running. */
  readonly start: readonly T[];
  /** Running and no longer desired. */
  readonly stop: readonly T[];
  /** Settings changed that the running one cannot take: stopped, then started with the new spec. */
  readonly restart: readonly Change<T>[];
  /** Keeps running and takes the change in place. */
  readonly update: readonly Change<T>[];
  /** Left alone. */
  readonly unchanged: readonly T[];
}

export type FlowChange = Change<FlowSpec>;
/** Flows' update in place: pause, resume, added partitions, a rename, a new bandwidth cap. */
export type Plan = KeyedPlan<FlowSpec>;

/**
 * The keyed diff: `restartChanges` and `inPlaceChanges` say what differs between a running spec and the
 * wanted one with the same key; any restart change makes it a restart, which lists the in-place changes after
 * its own. Every list is sorted by key.
 */
export function planByKey<T extends { readonly key: string }>(
  desired: readonly T[],
  running: readonly T[],
  restartChanges: (from: T, to: T) => SettingChange[],
  inPlaceChanges: (from: T, to: T) => SettingChange[],
): KeyedPlan<T> {
  const runningByKey = new Map(running.map((spec) => [spec.key, spec]));
  const desiredKeys = new Set(desired.map((spec) => spec.key));
  const start: T[] = [];
  const restart: Change<T>[] = [];
  const update: Change<T>[] = [];
  const unchanged: T[] = [];
  for (const wanted of desired) {
    const current = runningByKey.get(wanted.key);
    if (current === undefined) {
      start.push(wanted);
      continue;
    }
    const toRestart = restartChanges(current, wanted);
    const inPlace = inPlaceChanges(current, wanted);
    // A restart applies the in-place changes too; listed with it, `georep plan` and the log show every change.
    if (toRestart.length > 0)
      restart.push({ from: current, to: wanted, changes: [...toRestart, ...inPlace] });
    else if (inPlace.length > 0) update.push({ from: current, to: wanted, changes: inPlace });
    else unchanged.push(current);
  }
  const byKey = (a: { key: string }, b: { key: string }) => compareKeys(a.key, b.key);
  return {
    start: start.sort(byKey),
    stop: running.filter((spec) => !desiredKeys.has(spec.key)).sort(byKey),
    restart: restart.sort((a, b) => byKey(a.to, b.to)),
    update: update.sort((a, b) => byKey(a.to, b.to)),
    unchanged: unchanged.sort(byKey),
  };
}

/** True when applying the plan would start, stop, restart or update anything. */
export function planHasChanges(plan: KeyedPlan<unknown>): boolean {
  return plan.start.length + plan.stop.length + plan.restart.length + plan.update.length > 0;
}

export function planFlows(desired: readonly FlowSpec[], running: readonly FlowSpec[]): Plan {
  return planByKey(
    desired,
    running,
    (from, to) => diffRestartSettings(from.restartSettings, to.restartSettings),
    diffInPlaceSettings,
  );
}

function diffRestartSettings(from: FlowRestartSettings, to: FlowRestartSettings): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const setting of Object.keys(to) as (keyof FlowRestartSettings)[]) {
    const before = settingText(from[setting]);
    const after = settingText(to[setting]);
    if (before !== after) changes.push({ setting, from: before, to: after });
  }
  return changes;
}

/** A setting as `georep plan` shows it; a list item by item (`retention.ms, segment.bytes`), none as `(none)`. */
function settingText(value: FlowRestartSettings[keyof FlowRestartSettings]): string {
  if (!Array.isArray(value)) return String(value);
  return value.length === 0 ? '(none)' : value.join(', ');
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
  // A daemon from before caps were part of a flow's spec shows none: what it runs is unknown, not absent.
  const capKnown = (from as Partial<FlowSpec>).maxBytesPerSecond !== undefined;
  const [capBefore, capAfter] = [capText(from.maxBytesPerSecond), capText(to.maxBytesPerSecond)];
  if (capKnown && capBefore !== capAfter)
    changes.push({ setting: 'maxBytesPerSecond', from: capBefore, to: capAfter });
  // `start` is deliberately not compared: it only decides where a flow without stored progress begins.
  return changes;
}

function capText(maxBytesPerSecond: number | null): string {
  return maxBytesPerSecond === null ? '(none)' : String(maxBytesPerSecond);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
