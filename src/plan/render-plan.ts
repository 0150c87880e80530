// `georep plan` output: a readable diff in the manner of `terraform plan` (+ start, - stop, ~ restart or
// update), and a JSON form for tools. Pure; the command decides where it goes.
import type { FlowSpec, RejectedFlow } from './flow-spec.js';
import type { FlowChange, Plan } from './plan.js';

export function renderPlanText(plan: Plan, rejected: readonly RejectedFlow[]): string {
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
  if (lines.length > 0) lines.push('');
  lines.push(`Plan: ${counts.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

function settingLines(change: FlowChange): string[] {
  return change.changes.map((setting) => `    ${setting.setting}: ${setting.from} -> ${setting.to}`);
}

export function planToJson(plan: Plan, rejected: readonly RejectedFlow[]) {
  const flow = (spec: FlowSpec) => ({
    key: spec.key,
    replication: spec.replication,
    origin: spec.origin,
    originTopic: spec.originTopic,
    destination: spec.destination,
    destinationTopic: spec.destinationTopic,
  });
  const change = (c: FlowChange) => ({ ...flow(c.to), changes: c.changes });
  return {
    start: plan.start.map(flow),
    stop: plan.stop.map(flow),
    restart: plan.restart.map(change),
    update: plan.update.map(change),
    unchanged: plan.unchanged.map(flow),
    rejected,
  };
}
