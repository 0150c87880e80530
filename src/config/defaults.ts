// Default values of optional fields. The schema states the same defaults for editors and readers; a unit
// test keeps the two in step.
import type {
  CompressionSetting,
  DaemonSettings,
  DeliveryGuarantee,
  OriginTopicDeletedAction,
  StartPosition,
} from './types.js';

export const CLUSTER_DEFAULTS = { connectionTimeoutMs: 10_000, requestTimeoutMs: 30_000 } as const;

export const TLS_DEFAULTS = { rejectUnauthorized: true } as const;

export const REPLICATION_DEFAULTS = {
  naming: 'prefix',
  prefixSeparator: '.',
  loopPrevention: 'none',
  start: 'earliest' as StartPosition,
  delivery: 'at-least-once' as DeliveryGuarantee,
  compression: 'origin' as CompressionSetting,
  maxBytesPerSecond: null,
  paused: false,
  replicationFactor: null,
  onOriginTopicDeleted: 'keep' as OriginTopicDeletedAction,
} as const;

export const DAEMON_DEFAULTS: DaemonSettings = {
  httpListen: '127.0.0.1:9787',
  httpAllowedHosts: [],
  httpWebConfig: null,
  discoveryIntervalMs: 5_000,
  shutdownTimeoutMs: 30_000,
  groupSyncIntervalMs: 5_000,
  groupIdPrefix: 'georep',
  logLevel: 'info',
};
