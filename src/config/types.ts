// The compiled configuration: what the loader produces from geo-replication.yaml after parsing, schema
// validation, semantic checks, defaults and secret resolution. Every other part of georep reads only
// these types, never the YAML. Values are deeply frozen by the loader. Each set of allowed words is a const
// array here, and the schema's enums must equal them (test/unit/config/config-shape.test.ts).
import { inspect } from 'node:util';

/** Where a value came from, so that later errors (e.g. a flow's) can still point at the file. */
export interface SourcePosition {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

/**
 * A resolved secret (a password, a private key). It never prints: JSON, string conversion and
 * util.inspect all show a placeholder, so a secret cannot leak through a log line, an error or /status
 * by accident. Code that must hand the value to a Kafka client calls `reveal()`.
 */
export class Secret {
  readonly #value: string;
  /** Where it came from, e.g. `${file:/etc/georep/lon.pass}`; safe to show. */
  readonly reference: string;

  constructor(value: string, reference: string) {
    this.#value = value;
    this.reference = reference;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

export interface TlsSettings {
  /** PEM text of the CA bundle (read from the file named in the config), or null for the system CAs. */
  readonly ca: string | null;
  /** PEM client certificate for mutual TLS, or null. */
  readonly cert: string | null;
  readonly key: Secret | null;
  readonly rejectUnauthorized: boolean;
  /** SNI / certificate host name override, or null to use the bootstrap host. */
  readonly servername: string | null;
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface SaslSettings {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: Secret;
}

export interface ClusterConfig {
  readonly name: string;
  /** host:port entries. */
  readonly bootstrap: readonly string[];
  readonly tls: TlsSettings | null;
  readonly sasl: SaslSettings | null;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly position: SourcePosition;
}

/**
 * One entry of an include/exclude list. How a user writes each kind is documented in the schema:
 * a literal topic name, a glob (`*`, `?`), or a regular expression written between slashes.
 * For a regex, `source` is the text between the slashes and `flags` what follows the closing one
 * (only `i`); it must match the whole name. Match with `selectsName` from ./patterns.js.
 */
export type NamePattern =
  | { readonly kind: 'literal'; readonly source: string; readonly position: SourcePosition }
  | { readonly kind: 'glob'; readonly source: string; readonly position: SourcePosition }
  | {
      readonly kind: 'regex';
      readonly source: string;
      readonly flags: string;
      readonly position: SourcePosition;
    };

export interface NameSelector {
  readonly include: readonly NamePattern[];
  readonly exclude: readonly NamePattern[];
}

/** How an origin topic's name becomes the destination topic's name. */
export type NamingPolicy =
  /** `<origin cluster><separator><topic>`, e.g. london.orders; lets loops be detected by name. */
  | { readonly kind: 'prefix'; readonly separator: string }
  /** The same name on both sides (migration, DR); loops need the provenance header. */
  | { readonly kind: 'identity' }
  /** A template with the placeholders {topic}, {origin} and {destination}. */
  | { readonly kind: 'template'; readonly template: string };

/**
 * `header`: a mirrored record carries a `georep-origin` header naming the cluster where it was first
 * written (kept as it is when already present), and a flow drops records whose origin is its own
 * destination. `none`: records are copied unchanged. Identity-named loops need `header`.
 */
export const LOOP_PREVENTIONS = ['none', 'header'] as const;
export type LoopPrevention = (typeof LOOP_PREVENTIONS)[number];

export const START_POSITIONS = ['earliest', 'latest'] as const;
export type StartPosition = (typeof START_POSITIONS)[number];
/** What happens to a destination topic when its origin topic is deleted (its flow stops either way). */
export const ORIGIN_TOPIC_DELETED_ACTIONS = ['keep', 'delete'] as const;
export type OriginTopicDeletedAction = (typeof ORIGIN_TOPIC_DELETED_ACTIONS)[number];

export const DELIVERY_GUARANTEES = ['at-least-once', 'exactly-once'] as const;
export type DeliveryGuarantee = (typeof DELIVERY_GUARANTEES)[number];

/** The codecs Kafka's record batches can be compressed with (`none`: uncompressed). */
export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];
/** What georep writes with: one codec, or `origin`: the codec of the origin batch each record came from. */
export const COMPRESSION_SETTINGS = ['origin', ...COMPRESSION_CODECS] as const;
export type CompressionSetting = (typeof COMPRESSION_SETTINGS)[number];

export interface ReplicationConfig {
  /** Unique; given in the file or derived as `<origin>-><destination>,...`. Used in flow ids, logs, metrics. */
  readonly name: string;
  readonly origin: string;
  readonly destinations: readonly string[];
  readonly topics: NameSelector;
  readonly naming: NamingPolicy;
  readonly loopPrevention: LoopPrevention;
  /** Where a brand-new flow (no stored progress) begins. */
  readonly start: StartPosition;
  readonly delivery: DeliveryGuarantee;
  readonly compression: CompressionSetting;
  /** Cap on the bytes (as written, compressed) the replication's flows in one process write per second; null: none. */
  readonly maxBytesPerSecond: number | null;
  /** Consumer groups whose committed positions are translated to the destinations. */
  readonly groups: NameSelector;
  readonly paused: boolean;
  /** Replication factor of created destination topics; null means min(3, destination broker count). */
  readonly replicationFactor: number | null;
  /** Topic config keys never copied to the destination, on top of the built-in exclude list. */
  readonly topicConfigExclude: readonly string[];
  readonly onOriginTopicDeleted: OriginTopicDeletedAction;
  readonly position: SourcePosition;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DaemonSettings {
  /** host:port of the HTTP server (/healthz, /readyz, /metrics, /status). Loopback by default; port 0: any. */
  readonly httpListen: string;
  /** Host names the HTTP server answers to, besides IP literals, localhost and httpListen's host. */
  readonly httpAllowedHosts: readonly string[];
  /** TLS and basic auth of the HTTP server, from the web-config file named by daemon.httpWebConfig. */
  readonly httpWebConfig: HttpWebConfig | null;
  /** How often origin topics are listed to find new topics, partitions and config changes. */
  readonly discoveryIntervalMs: number;
  /** How long a graceful stop (SIGTERM) may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** How often consumer-group positions (replications with `groups`) are translated to the destinations. */
  readonly groupSyncIntervalMs: number;
  /** Prefix of the consumer group ids georep uses; also marks georep's own topics. */
  readonly groupIdPrefix: string;
  readonly logLevel: LogLevel;
}

/** A Prometheus exporter-toolkit style web-config file: TLS and basic auth for the HTTP server. */
export interface HttpWebConfig {
  /** Absolute path of the file. */
  readonly file: string;
  /** PEM certificate (chain) and key, or null for plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: Secret } | null;
  /** User name → bcrypt hash; empty means no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
}

export interface Config {
  /** Absolute path of the file this config was loaded from. */
  readonly file: string;
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  readonly replications: readonly ReplicationConfig[];
  readonly daemon: DaemonSettings;
}
