// Which consumer-group position syncs should run, and the diff against the ones that run: one sync per
// destination of every replication that names `groups`. Pure, like the flows' plan (plan.ts): the daemon
// applies it, `georep plan` shows it, and a changed `groups` setting moves only these syncs, never a flow.
//
// A sync's key says what it does — which groups, from which cluster to which — not which replication asked
// for it, so that renaming a replication updates its sync in place instead of restarting it, as it does for
// its flows. A sync translates its groups' positions on every topic mirrored between its two clusters.
import type { Config, NamePattern, NameSelector } from '../config/types.js';
import { clusterConnectionDigest } from './flow-spec.js';
import { type KeyedPlan, planByKey, type SettingChange } from './plan.js';

export interface GroupSyncSpec {
  /** `<origin> -> <destination> groups [<include>] except [<exclude>]` */
  readonly key: string;
  /** The replication that names the groups: labels its metrics and log lines. */
  readonly replication: string;
  readonly origin: string;
  readonly destination: string;
  readonly groups: NameSelector;
  readonly groupIdPrefix: string;
  readonly intervalMs: number;
  /** What the connections to the two clusters are (clusterConnectionDigest): a change restarts the sync. */
  readonly originConnection: string;
  readonly destinationConnection: string;
  /** How often the clusters' secrets changed in the daemon, as for flows (FlowRestartSettings). */
  readonly originCredentials: number;
  readonly destinationCredentials: number;
}

/** The settings a running sync cannot take in place: a change stops it and starts it with the new ones. */
const RESTART_SETTINGS = [
  'groupIdPrefix',
  'intervalMs',
  'originConnection',
  'destinationConnection',
  'originCredentials',
  'destinationCredentials',
] as const satisfies readonly (keyof GroupSyncSpec)[];

/** Group syncs' update in place: the replication was renamed. */
export type GroupSyncPlan = KeyedPlan<GroupSyncSpec>;

/**
 * The syncs the config wants, in config order. Two replications that ask for the same groups between the
 * same clusters get one sync (the first names it). `credentialChanges` as for desiredFlows.
 */
export function desiredGroupSyncs(
  config: Config,
  credentialChanges: ReadonlyMap<string, number> = new Map(),
): GroupSyncSpec[] {
  const byKey = new Map<string, GroupSyncSpec>();
  for (const replication of config.replications) {
    if (replication.groups.include.length === 0) continue;
    const origin = config.clusters.get(replication.origin);
    for (const destination of replication.destinations) {
      const key = groupSyncKey(replication.origin, destination, replication.groups);
      const destinationCluster = config.clusters.get(destination);
      if (byKey.has(key) || origin === undefined || destinationCluster === undefined) continue;
      byKey.set(key, {
        key,
        replication: replication.name,
        origin: replication.origin,
        destination,
        groups: replication.groups,
        groupIdPrefix: config.daemon.groupIdPrefix,
        intervalMs: config.daemon.groupSyncIntervalMs,
        originConnection: clusterConnectionDigest(origin),
        destinationConnection: clusterConnectionDigest(destinationCluster),
        originCredentials: credentialChanges.get(replication.origin) ?? 0,
        destinationCredentials: credentialChanges.get(destination) ?? 0,
      });
    }
  }
  return [...byKey.values()];
}

export function groupSyncKey(origin: string, destination: string, groups: NameSelector): string {
  const list = (patterns: readonly NamePattern[]) => patterns.map(patternText).join(', ');
  const except = groups.exclude.length > 0 ? ` except [${list(groups.exclude)}]` : '';
  return `${origin} -> ${destination} groups [${list(groups.include)}]${except}`;
}

/** A pattern as written: a regex in slashes with its flags, anything else as it is. */
function patternText(pattern: NamePattern): string {
  return pattern.kind === 'regex' ? `/${pattern.source}/${pattern.flags}` : pattern.source;
}

export function planGroupSyncs(
  desired: readonly GroupSyncSpec[],
  running: readonly GroupSyncSpec[],
): GroupSyncPlan {
  return planByKey(
    desired,
    running,
    (from, to) => RESTART_SETTINGS.flatMap((setting) => changeOf(setting, from, to)),
    (from, to) => changeOf('replication', from, to),
  );
}

function changeOf(setting: keyof GroupSyncSpec, from: GroupSyncSpec, to: GroupSyncSpec): SettingChange[] {
  const before = String(from[setting]);
  const after = String(to[setting]);
  return before === after ? [] : [{ setting, from: before, to: after }];
}
