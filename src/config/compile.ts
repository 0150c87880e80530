// The semantic stage: walks the parsed YAML data, checks what a schema cannot (cluster references,
// patterns, templates; secrets and TLS files in clusters.ts) and builds the typed config. It runs even when the schema
// found problems, so that one run reports every mistake; it reads the data defensively and leaves
// ill-typed parts to the schema's messages. A Config built here is only handed out when no error was
// found anywhere.
import { DAEMON_DEFAULTS, REPLICATION_DEFAULTS } from './defaults.js';
import type { LoadEnvironment } from './environment.js';
import { excerpt } from './excerpt.js';
import type { ConfigIssue, IssueCode, Severity } from './issues.js';
import { PLACEHOLDERS } from './naming.js';
import {
  isNeverMirrored,
  isNeverMirroredGroup,
  isValidTopicName,
  type PatternSubject,
  parsePattern,
} from './patterns.js';
import { resolvePath } from './secrets.js';
import { type FieldPath, formatPath, type SourceMap, type Target } from './source-map.js';
import { closest, didYouMean } from './suggest.js';
import {
  COMPRESSION_SETTINGS,
  type DaemonSettings,
  DELIVERY_GUARANTEES,
  type HttpWebConfig,
  LOG_LEVELS,
  LOOP_PREVENTIONS,
  type NamePattern,
  type NameSelector,
  type NamingPolicy,
  ORIGIN_TOPIC_DELETED_ACTIONS,
  type ReplicationConfig,
  START_POSITIONS,
} from './types.js';
import { parseWebConfigText } from './web-config.js';

export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  constructor(readonly source: SourceMap) {}

  /** Records an issue at a field; the message is prefixed with the field's path. */
  report(severity: Severity, code: IssueCode, path: FieldPath, target: Target, message: string): void {
    const { file, line, col } = this.source.positionOf(path, target);
    const where = path.length === 0 ? 'top level' : formatPath(path);
    this.issues.push({
      file,
      line,
      col,
      severity,
      code,
      path: formatPath(path),
      message: `${where}: ${message}`,
    });
  }

  /** Records an issue at a character offset of the text, for problems found before there are fields. */
  atOffset(severity: Severity, code: IssueCode, offset: number, message: string): void {
    const { file, line, col } = this.source.positionOfOffset(offset);
    this.issues.push({ file, line, col, severity, code, path: '', message });
  }

  error(code: IssueCode, path: FieldPath, target: Target, message: string): void {
    this.report('error', code, path, target, message);
  }

  warning(code: IssueCode, path: FieldPath, target: Target, message: string): void {
    this.report('warning', code, path, target, message);
  }
}

export interface Context {
  readonly collector: IssueCollector;
  readonly environment: LoadEnvironment;
  /** Secret files already warned about as too widely readable: one warning per file and load. */
  readonly warnedFiles: Set<string>;
}

export type Data = Record<string, unknown>;

export function isData(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOr<T extends string | null>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

export function integerOr<T extends number | null>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function strings(value: unknown): { value: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index) => (typeof item === 'string' ? [{ value: item, index }] : []));
}

export function compileDaemon(raw: unknown, context: Context): DaemonSettings {
  const data = isData(raw) ? raw : {};
  return {
    httpListen: stringOr(data.httpListen, DAEMON_DEFAULTS.httpListen),
    httpAllowedHosts: strings(data.httpAllowedHosts).map((entry) => entry.value),
    httpWebConfig:
      typeof data.httpWebConfig === 'string' && data.httpWebConfig !== ''
        ? loadWebConfig(data.httpWebConfig, context)
        : null,
    discoveryIntervalMs: integerOr(data.discoveryIntervalMs, DAEMON_DEFAULTS.discoveryIntervalMs),
    groupSyncIntervalMs: integerOr(data.groupSyncIntervalMs, DAEMON_DEFAULTS.groupSyncIntervalMs),
    shutdownTimeoutMs: integerOr(data.shutdownTimeoutMs, DAEMON_DEFAULTS.shutdownTimeoutMs),
    groupIdPrefix: stringOr(data.groupIdPrefix, DAEMON_DEFAULTS.groupIdPrefix),
    logLevel: oneOf(data.logLevel, LOG_LEVELS, DAEMON_DEFAULTS.logLevel),
  };
}

/** A web config is a few lines of YAML; more is not one. */
const MAX_WEB_CONFIG_BYTES = 64 * 1024;

/** Reads and checks the web-config file; its issues point into that file, a missing file at the field. */
function loadWebConfig(path: string, { collector, environment }: Context): HttpWebConfig | null {
  const absolutePath = resolvePath(path, environment);
  const read = environment.readFile(absolutePath, MAX_WEB_CONFIG_BYTES);
  if (!read.ok) {
    collector.error(
      'FILE_UNREADABLE',
      ['daemon', 'httpWebConfig'],
      'value',
      `cannot read ${absolutePath}: ${read.reason}`,
    );
    return null;
  }
  const result = parseWebConfigText(read.text, absolutePath, environment);
  collector.issues.push(...result.issues);
  return result.config;
}

// ---- replications -----------------------------------------------------------------------------------

/** The replications as written, each with the index of its entry in the file. */
export interface IndexedReplication {
  readonly index: number;
  readonly replication: ReplicationConfig;
  /** False when the name was derived from origin and destinations. */
  readonly nameGiven: boolean;
}

export function compileReplications(
  raw: unknown,
  clusterNames: ReadonlySet<string> | null,
  daemon: DaemonSettings,
  context: Context,
): IndexedReplication[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry, index) => {
    if (!isData(entry)) return [];
    return [
      {
        index,
        replication: compileReplication(entry, ['replications', index], clusterNames, daemon, context),
        nameGiven: typeof entry.name === 'string',
      },
    ];
  });
}

function compileReplication(
  data: Data,
  path: FieldPath,
  clusterNames: ReadonlySet<string> | null,
  daemon: DaemonSettings,
  context: Context,
): ReplicationConfig {
  const { collector } = context;
  const origin = stringOr(data.origin, '');
  const destinations = strings(data.destinations);

  const checkCluster = (name: string, fieldPath: FieldPath): void => {
    if (clusterNames === null || clusterNames.has(name)) return;
    const known = [...clusterNames].join(', ') || 'none';
    const hint = didYouMean(name, clusterNames) || ` (defined: ${known})`;
    collector.error(
      'UNKNOWN_CLUSTER',
      fieldPath,
      'value',
      `${excerpt(name)} is not a cluster defined under clusters${hint}`,
    );
  };
  if (typeof data.origin === 'string' && origin !== '') checkCluster(origin, [...path, 'origin']);
  const seen = new Map<string, number>();
  for (const { value: destination, index } of destinations) {
    const destinationPath = [...path, 'destinations', index];
    const first = seen.get(destination);
    if (destination === origin) {
      collector.error(
        'ORIGIN_IN_DESTINATIONS',
        destinationPath,
        'value',
        `${excerpt(destination)} is the origin of this replication; a cluster cannot mirror into itself`,
      );
    } else if (first !== undefined) {
      collector.error(
        'DUPLICATE_DESTINATION',
        destinationPath,
        'value',
        `${excerpt(destination)} is already listed as destinations[${first}]`,
      );
    } else {
      checkCluster(destination, destinationPath);
    }
    if (first === undefined) seen.set(destination, index);
  }

  const topicConfig = isData(data.topicConfig) ? data.topicConfig : {};
  const destinationNames = [...seen.keys()];
  return {
    name: typeof data.name === 'string' ? data.name : `${origin}->${destinationNames.join(',')}`,
    origin,
    destinations: destinationNames,
    topics: compileSelector(data.topics, [...path, 'topics'], 'topic', daemon, collector),
    naming: compileNaming(data.naming, [...path, 'naming'], origin, collector),
    loopPrevention: oneOf(data.loopPrevention, LOOP_PREVENTIONS, REPLICATION_DEFAULTS.loopPrevention),
    start: oneOf(data.start, START_POSITIONS, REPLICATION_DEFAULTS.start),
    delivery: oneOf(data.delivery, DELIVERY_GUARANTEES, REPLICATION_DEFAULTS.delivery),
    compression: oneOf(data.compression, COMPRESSION_SETTINGS, REPLICATION_DEFAULTS.compression),
    maxBytesPerSecond: integerOr(data.maxBytesPerSecond, REPLICATION_DEFAULTS.maxBytesPerSecond),
    groups: compileSelector(data.groups, [...path, 'groups'], 'group', daemon, collector),
    paused: typeof data.paused === 'boolean' ? data.paused : REPLICATION_DEFAULTS.paused,
    replicationFactor: integerOr(data.replicationFactor, REPLICATION_DEFAULTS.replicationFactor),
    topicConfigExclude: strings(topicConfig.exclude).map((entry) => entry.value),
    onOriginTopicDeleted: oneOf(
      data.onOriginTopicDeleted,
      ORIGIN_TOPIC_DELETED_ACTIONS,
      REPLICATION_DEFAULTS.onOriginTopicDeleted,
    ),
    position: collector.source.positionOf(path, 'key'),
  };
}

function compileSelector(
  raw: unknown,
  path: FieldPath,
  subject: PatternSubject,
  daemon: DaemonSettings,
  collector: IssueCollector,
): NameSelector {
  const data = isData(raw) ? raw : {};
  const compileList = (list: 'include' | 'exclude'): NamePattern[] =>
    strings(data[list]).flatMap(({ value, index }) => {
      const patternPath = [...path, list, index];
      const parsed = parsePattern(value, subject, collector.source.positionOf(patternPath, 'value'));
      if (!parsed.ok) {
        collector.error('BAD_PATTERN', patternPath, 'value', parsed.problem);
        return [];
      }
      const neverSelected =
        subject === 'topic' ? isNeverMirrored(value, daemon) : isNeverMirroredGroup(value, daemon);
      if (list === 'include' && parsed.pattern.kind === 'literal' && neverSelected) {
        const what =
          subject === 'topic'
            ? 'internal and georep topics are never mirrored'
            : "georep's own consumer groups are never translated";
        collector.warning(
          'NEVER_MIRRORED',
          patternPath,
          'value',
          `${excerpt(value)} is never selected: ${what}`,
        );
      }
      return [parsed.pattern];
    });
  return { include: compileList('include'), exclude: compileList('exclude') };
}

const NAMING_KEYWORDS = ['prefix', 'identity'];

function compileNaming(
  raw: unknown,
  path: FieldPath,
  origin: string,
  collector: IssueCollector,
): NamingPolicy {
  const fallback: NamingPolicy = { kind: 'prefix', separator: REPLICATION_DEFAULTS.prefixSeparator };
  if (raw === undefined || raw === 'prefix') return fallback;
  if (raw === 'identity') return { kind: 'identity' };
  if (typeof raw === 'string') {
    if (!raw.includes('{')) {
      collector.error(
        'BAD_VALUE',
        path,
        'value',
        `${excerpt(raw)} is not prefix, identity or a template with {topic}${didYouMean(raw, NAMING_KEYWORDS)}`,
      );
      return fallback;
    }
    return compileTemplate(raw, path, collector);
  }
  if (!isData(raw)) return fallback;
  if (typeof raw.template === 'string')
    return compileTemplate(raw.template, [...path, 'template'], collector);
  if (isData(raw.prefix) && typeof raw.prefix.separator === 'string') {
    const separator = raw.prefix.separator;
    if (origin.includes(separator)) {
      collector.error(
        'SEPARATOR_IN_CLUSTER_NAME',
        [...path, 'prefix', 'separator'],
        'value',
        `separator "${separator}" occurs in the origin cluster's name "${origin}", so a prefixed name could not be traced back to its origin; choose another separator`,
      );
    }
    return { kind: 'prefix', separator };
  }
  return fallback;
}

function compileTemplate(template: string, path: FieldPath, collector: IssueCollector): NamingPolicy {
  const known: readonly string[] = PLACEHOLDERS;
  let problems = 0;
  let topicMisspelt = false;
  for (const [, name] of template.matchAll(/\{([^{}]*)\}/g)) {
    if (name === undefined || known.includes(name)) continue;
    problems++;
    const suggestion = closest(name, known);
    topicMisspelt ||= suggestion === 'topic';
    const hint = suggestion === null ? '' : `; did you mean {${suggestion}}?`;
    collector.error(
      'BAD_TEMPLATE',
      path,
      'value',
      `unknown placeholder {${name}} in ${excerpt(template)}; the placeholders are {topic}, {origin} and {destination}${hint}`,
    );
  }
  // A misspelt {topic} is one mistake, and its message already says what to write.
  if (!template.includes('{topic}') && !topicMisspelt) {
    problems++;
    collector.error(
      'BAD_TEMPLATE',
      path,
      'value',
      `template ${excerpt(template)} has no {topic}: every topic would be written to the same destination topic`,
    );
  }
  if (problems === 0 && !isValidTopicName(template.replace(/\{(topic|origin|destination)\}/g, 'x'))) {
    collector.error(
      'BAD_TEMPLATE',
      path,
      'value',
      `template ${excerpt(template)} makes invalid topic names: topic names use letters, digits, '.', '_' and '-'`,
    );
  }
  return { kind: 'template', template };
}
