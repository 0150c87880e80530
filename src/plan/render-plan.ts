// `georep plan` output: a readable diff in the manner of `terraform plan` (+ start, - stop, ~ restart or
// update) of the flows and the consumer-group syncs, and a JSON form for tools; and the daemon's log line of a
// plan it applies. Pure; the caller decides where it goes.
import type { FlowSpec, RejectedFlow } from './flow-spec.js';
import type { GroupSyncPlan, GroupSyncSpec } from './group-syncs.js';
import { type Plan, planHasChanges, type SettingChange } from './plan.js';

export function renderPlanText(
  plan: Plan,
  rejected: readonly RejectedFlow[],
  groupSyncs: GroupSyncPlan,
): string {
  const lines: string[] = [];
  for (const flow of plan.start) lines.push(`+ ${flow.key}  (start, replication ${flow.replication})`);
  for (const flow of plan.stop) lines.push(`- ${flow.key}  (stop)`);
  for (const change of plan.restart) lines.push(`~ ${change.to.key}  (restart)`, ...settingLines(change));
  for (const change of plan.update)
    lines.push(`~ ${change.to.key}  (update in place)`, ...settingLines(change));
  for (const flow of rejected) {
    lines.push(
      `! ${flow.origin}/${flow.originTopic} -> ${flow.destination}/${flow.destinationTopic}  (not mirrored: ${flow.reason})`,
    );
  }
  const counts = [
    `${plan.start.length} to start`,
    `${plan.stop.length} to stop`,
    `${plan.restart.length} to restart`,
    `${plan.update.length} to update in place`,
    `${plan.unchanged.length} unchanged`,
  ];
  if (rejected.length > 0) counts.push(`${rejected.length} not mirrored`);
  for (const sync of groupSyncs.start)
    lines.push(`+ ${sync.key}  (start group sync, replication ${sync.replication})`);
  for (const sync of groupSyncs.stop) lines.push(`- ${sync.key}  (stop group sync)`);
  for (const change of groupSyncs.restart)
    lines.push(`~ ${change.to.key}  (restart group sync)`, ...settingLines(change));
  for (const change of groupSyncs.update)
    lines.push(`~ ${change.to.key}  (update group sync in place)`, ...settingLines(change));
  if (lines.length > 0) lines.push('');
  lines.push(`Plan: ${counts.join(', ')}.`);
  const syncCount =
    groupSyncs.start.length +
    groupSyncs.stop.length +
    groupSyncs.restart.length +
    groupSyncs.update.length +
    groupSyncs.unchanged.length;
  if (syncCount > 0) {
    lines.push(
      `Group syncs: ${groupSyncs.start.length} to start, ${groupSyncs.stop.length} to stop, ` +
        `${groupSyncs.restart.length} to restart, ${groupSyncs.update.length} to update in place, ` +
        `${groupSyncs.unchanged.length} unchanged.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function settingLines(change: { readonly changes: readonly SettingChange[] }): string[] {
  return change.changes.map((setting) => `    ${setting.setting}: ${setting.from} -> ${setting.to}`);
}

export function planToJson(plan: Plan, rejected: readonly RejectedFlow[], groupSyncs: GroupSyncPlan) {
  const flow = (spec: FlowSpec) => ({
    key: spec.key,
    replication: spec.replication,
    origin: spec.origin,
    originTopic: spec.originTopic,
    destination: spec.destination,
    destinationTopic: spec.destinationTopic,
  });
  const change = (c: { to: FlowSpec; changes: readonly SettingChange[] }) => ({
    ...flow(c.to),
    changes: c.changes,
  });
  return {
    start: plan.start.map(flow),
    stop: plan.stop.map(flow),
    restart: plan.restart.map(change),
    update: plan.update.map(change),
    unchanged: plan.unchanged.map(flow),
    rejected,
    groupSyncs: {
      start: groupSyncs.start.map(sync),
      stop: groupSyncs.stop.map(sync),
      restart: groupSyncs.restart.map((c) => ({ ...sync(c.to), changes: c.changes })),
      update: groupSyncs.update.map((c) => ({ ...sync(c.to), changes: c.changes })),
      unchanged: groupSyncs.unchanged.map(sync),
    },
  };
}

function sync(spec: GroupSyncSpec) {
  return {
    key: spec.key,
    replication: spec.replication,
    origin: spec.origin,
    destination: spec.destination,
  };
}

/** The daemon's log entry of a plan it applies (fields and message); null when it changes nothing. */
export function planLogEntry(
  plan: Plan,
  triggers: readonly string[],
): { readonly fields: object; readonly message: string } | null {
  if (!planHasChanges(plan)) return null;
  return {
    fields: {
      trigger: triggers.join(','),
      start: plan.start.map((f) => f.key),
      stop: plan.stop.map((f) => f.key),
      restart: plan.restart.map((c) => ({ flow: c.to.key, changes: c.changes })),
      update: plan.update.map((c) => ({ flow: c.to.key, changes: c.changes })),
      unchanged: plan.unchanged.length,
    },
    message: `applying plan: ${plan.start.length} to start, ${plan.stop.length} to stop, ${plan.restart.length} to restart, ${plan.update.length} to update`,
  };
}
