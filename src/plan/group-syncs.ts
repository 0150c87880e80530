// Which consumer-group position syncs should run: one per destination of every replication that names
// `groups`. Pure; the daemon starts, stops and restarts GroupSync components from this list, comparing
// specs, so a changed `groups` setting moves only these components and never a flow.
import type { Config, NameSelector } from '../config/types.js';

export interface GroupSyncSpec {
  /** `<replication>-><destination>` */
  readonly key: string;
  readonly replication: string;
  readonly origin: string;
  readonly destination: string;
  readonly groups: NameSelector;
  readonly groupIdPrefix: string;
  readonly intervalMs: number;
}

export function desiredGroupSyncs(config: Config): GroupSyncSpec[] {
  return config.replications.flatMap((replication) =>
    replication.groups.include.length === 0
      ? []
      : replication.destinations.map((destination) => ({
          key: `${replication.name}->${destination}`,
          replication: replication.name,
          origin: replication.origin,
          destination,
          groups: replication.groups,
          groupIdPrefix: config.daemon.groupIdPrefix,
          intervalMs: config.daemon.groupSyncIntervalMs,
        })),
  );
}

/**
 * What decides whether a running sync must restart: everything but where the patterns stand in the file
 * (a line added above a replication must not restart anything).
 */
export function groupSyncIdentity(spec: GroupSyncSpec): string {
  const patterns = (list: NameSelector['include']) =>
    list.map((pattern) => [pattern.kind, pattern.source, pattern.kind === 'regex' ? pattern.flags : '']);
  return JSON.stringify({
    ...spec,
    groups: { include: patterns(spec.groups.include), exclude: patterns(spec.groups.exclude) },
  });
}
