// The semantic stage: walks the parsed YAML data, checks what a schema cannot (cluster references,
// patterns, templates, secrets, TLS files) and builds the typed config. It runs even when the schema
// found problems, so that one run reports every mistake; it reads the data defensively and leaves
// ill-typed parts to the schema's messages. A Config built here is only handed out when no error was
// found anywhere.
import { CLUSTER_DEFAULTS, DAEMON_DEFAULTS, REPLICATION_DEFAULTS, TLS_DEFAULTS } from './defaults.js';
import type { LoadEnvironment } from './environment.js';
import type { ConfigIssue, IssueCode, Severity } from './issues.js';
import { PLACEHOLDERS } from './naming.js';
import {
  isNeverMirrored,
  isNeverMirroredGroup,
  isValidTopicName,
  type PatternSubject,
  parsePattern,
} from './patterns.js';
import {
  MAX_SECRET_FILE_BYTES,
  parseSecretValue,
  type ReadFile,
  resolvePath,
  resolveReference,
  tooWidelyReadable,
} from './secrets.js';
import { type FieldPath, formatPath, type SourceMap, type Target } from './source-map.js';
import { closest, didYouMean } from './suggest.js';
import {
  type ClusterConfig,
  type DaemonSettings,
  type DeliveryGuarantee,
  type LoopPrevention,
  type NamePattern,
  type NameSelector,
  type NamingPolicy,
  type OriginTopicDeletedAction,
  type ReplicationConfig,
  type SaslMechanism,
  type SaslSettings,
  Secret,
  type StartPosition,
  type TlsSettings,
} from './types.js';

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

/** A CA or certificate file may be a whole bundle of the system's CAs (~220 KB). */
const MAX_TLS_FILE_BYTES = 1024 * 1024;

function warnIfWidelyReadable(file: ReadFile, path: FieldPath, what: string, context: Context): void {
  if (file.access === undefined || context.warnedFiles.has(file.absolutePath)) return;
  const problem = tooWidelyReadable(file.access);
  if (problem === null) return;
  context.warnedFiles.add(file.absolutePath);
  context.collector.warning(
    'SECRET_FILE_READABLE',
    path,
    'value',
    `${file.absolutePath} holds the ${what}, but ${problem}: chmod 600, or 640 with owner root and the service's group`,
  );
}

type Data = Record<string, unknown>;

function isData(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr<T extends string | null>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function integerOr<T extends number | null>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function strings(value: unknown): { value: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index) => (typeof item === 'string' ? [{ value: item, index }] : []));
}

export function compileDaemon(raw: unknown): DaemonSettings {
  const data = isData(raw) ? raw : {};
  return {
    httpListen: stringOr(data.httpListen, DAEMON_DEFAULTS.httpListen),
    discoveryIntervalMs: integerOr(data.discoveryIntervalMs, DAEMON_DEFAULTS.discoveryIntervalMs),
    groupSyncIntervalMs: integerOr(data.groupSyncIntervalMs, DAEMON_DEFAULTS.groupSyncIntervalMs),
    shutdownTimeoutMs: integerOr(data.shutdownTimeoutMs, DAEMON_DEFAULTS.shutdownTimeoutMs),
    groupIdPrefix: stringOr(data.groupIdPrefix, DAEMON_DEFAULTS.groupIdPrefix),
    logLevel: oneOf(
      data.logLevel,
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace'],
      DAEMON_DEFAULTS.logLevel,
    ),
  };
}

// ---- clusters ---------------------------------------------------------------------------------------

export function compileClusters(raw: unknown, context: Context): Map<string, ClusterConfig> {
  const clusters = new Map<string, ClusterConfig>();
  if (!isData(raw)) return clusters;
  for (const [name, cluster] of Object.entries(raw)) {
    if (!isData(cluster)) continue;
    const path = ['clusters', name];
    const tls = compileTls(cluster.tls, [...path, 'tls'], context);
    const sasl = compileSasl(cluster.sasl, [...path, 'sasl'], context);
    if (sasl?.mechanism === 'plain' && tls === null) {
      context.collector.warning(
        'CLEARTEXT_PASSWORD',
        [...path, 'sasl', 'mechanism'],
        'value',
        'SASL PLAIN without tls sends the password in clear text; add tls, or use scram-sha-512',
      );
    }
    clusters.set(name, {
      name,
      bootstrap: strings(cluster.bootstrap).map((entry) => entry.value),
      tls,
      sasl,
      connectionTimeoutMs: integerOr(cluster.connectionTimeoutMs, CLUSTER_DEFAULTS.connectionTimeoutMs),
      requestTimeoutMs: integerOr(cluster.requestTimeoutMs, CLUSTER_DEFAULTS.requestTimeoutMs),
      position: context.collector.source.positionOf(path, 'key'),
    });
  }
  return clusters;
}

function compileTls(raw: unknown, path: FieldPath, context: Context): TlsSettings | null {
  if (raw !== true && !isData(raw)) return null;
  const data = isData(raw) ? raw : {};
  const rejectUnauthorized =
    typeof data.rejectUnauthorized === 'boolean' ? data.rejectUnauthorized : TLS_DEFAULTS.rejectUnauthorized;
  if (!rejectUnauthorized) {
    context.collector.warning(
      'TLS_VERIFICATION_DISABLED',
      [...path, 'rejectUnauthorized'],
      'value',
      "the brokers' certificates are not verified: anyone on the network path can pose as the cluster",
    );
  }
  const key = readTlsMaterial(data.key, [...path, 'key'], 'key', context);
  return {
    ca: readTlsMaterial(data.ca, [...path, 'ca'], 'CA', context)?.text ?? null,
    cert: readTlsMaterial(data.cert, [...path, 'cert'], 'certificate', context)?.text ?? null,
    key: key === null ? null : new Secret(key.text, key.reference),
    rejectUnauthorized,
    servername: stringOr(data.servername, null),
  };
}

/**
 * A TLS CA, certificate or key: inline PEM text, `${file:PATH}`, `${env:NAME}` or a plain path. Only
 * the key is secret: its failures get the secret codes, and inline key text is warned about.
 */
function readTlsMaterial(
  value: unknown,
  path: FieldPath,
  what: 'CA' | 'certificate' | 'key',
  context: Context,
): { text: string; reference: string } | null {
  if (typeof value !== 'string' || value === '') return null;
  const { collector, environment } = context;
  const secret = what === 'key';
  if (value.trimStart().startsWith('-----BEGIN')) {
    if (secret) {
      collector.warning(
        'INLINE_SECRET',
        path,
        'value',
        'the private key is written in the file; use a path, ${file:PATH} or ${env:NAME}',
      );
    }
    return { text: value, reference: `inline at ${describePosition(collector, path)}` };
  }
  const parsed = parseSecretValue(value);
  let text: string;
  let reference: string;
  if (parsed.kind === 'malformed') {
    collector.error('BAD_REFERENCE', path, 'value', parsed.problem);
    return null;
  }
  const maxBytes = secret ? MAX_SECRET_FILE_BYTES : MAX_TLS_FILE_BYTES;
  if (parsed.kind === 'reference') {
    const resolved = resolveReference(parsed.reference, environment, false, maxBytes);
    if (!resolved.ok) {
      const code = !secret
        ? 'FILE_UNREADABLE'
        : parsed.reference.kind === 'env'
          ? 'SECRET_ENV_MISSING'
          : 'SECRET_FILE_UNREADABLE';
      collector.error(code, path, 'value', resolved.problem);
      return null;
    }
    text = resolved.value;
    reference = parsed.reference.text;
    if (secret && resolved.file !== undefined)
      warnIfWidelyReadable(resolved.file, path, 'private key', context);
  } else {
    const absolutePath = resolvePath(value, environment);
    const read = environment.readFile(absolutePath, maxBytes);
    if (!read.ok) {
      collector.error(
        secret ? 'SECRET_FILE_UNREADABLE' : 'FILE_UNREADABLE',
        path,
        'value',
        `cannot read the ${what} file ${absolutePath}: ${read.reason}`,
      );
      return null;
    }
    text = read.text;
    reference = `\${file:${absolutePath}}`;
    if (secret)
      warnIfWidelyReadable(
        { absolutePath, ...(read.access ? { access: read.access } : {}) },
        path,
        'private key',
        context,
      );
  }
  if (!text.includes('-----BEGIN ')) {
    collector.error(
      'NOT_PEM',
      path,
      'value',
      `the ${what} ${parsed.kind === 'reference' ? `from ${reference}` : `file ${resolvePath(value, environment)}`} is not PEM text (no "-----BEGIN" line)`,
    );
    return null;
  }
  return { text, reference };
}

function describePosition(collector: IssueCollector, path: FieldPath): string {
  const { file, line, col } = collector.source.positionOf(path, 'value');
  return `${file}:${line}:${col}`;
}

function compileSasl(raw: unknown, path: FieldPath, context: Context): SaslSettings | null {
  if (!isData(raw)) return null;
  const mechanism = oneOf<SaslMechanism>(raw.mechanism, ['plain', 'scram-sha-256', 'scram-sha-512'], 'plain');
  const password = compilePassword(raw.password, [...path, 'password'], context);
  return {
    mechanism,
    username: stringOr(raw.username, ''),
    password: password ?? new Secret('', 'unresolved'),
  };
}

function compilePassword(value: unknown, path: FieldPath, context: Context): Secret | null {
  if (typeof value !== 'string' || value === '') return null;
  const { collector, environment } = context;
  const parsed = parseSecretValue(value);
  if (parsed.kind === 'malformed') {
    collector.error('BAD_REFERENCE', path, 'value', parsed.problem);
    return null;
  }
  if (parsed.kind === 'inline') {
    collector.warning(
      'INLINE_SECRET',
      path,
      'value',
      'the password is written in the file; use ${env:NAME} or ${file:PATH}',
    );
    return new Secret(value, `inline at ${describePosition(collector, path)}`);
  }
  const resolved = resolveReference(parsed.reference, environment, true);
  if (!resolved.ok) {
    collector.error(
      parsed.reference.kind === 'env' ? 'SECRET_ENV_MISSING' : 'SECRET_FILE_UNREADABLE',
      path,
      'value',
      resolved.problem,
    );
    return null;
  }
  if (resolved.file !== undefined) warnIfWidelyReadable(resolved.file, path, 'password', context);
  return new Secret(resolved.value, parsed.reference.text);
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
      `"${name}" is not a cluster defined under clusters${hint}`,
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
        `"${destination}" is the origin of this replication; a cluster cannot mirror into itself`,
      );
    } else if (first !== undefined) {
      collector.error(
        'DUPLICATE_DESTINATION',
        destinationPath,
        'value',
        `"${destination}" is already listed as destinations[${first}]`,
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
    loopPrevention: oneOf<LoopPrevention>(
      data.loopPrevention,
      ['none', 'header'],
      REPLICATION_DEFAULTS.loopPrevention,
    ),
    start: oneOf<StartPosition>(data.start, ['earliest', 'latest'], REPLICATION_DEFAULTS.start),
    delivery: oneOf<DeliveryGuarantee>(
      data.delivery,
      ['at-least-once', 'exactly-once'],
      REPLICATION_DEFAULTS.delivery,
    ),
    groups: compileSelector(data.groups, [...path, 'groups'], 'group', daemon, collector),
    paused: typeof data.paused === 'boolean' ? data.paused : REPLICATION_DEFAULTS.paused,
    replicationFactor: integerOr(data.replicationFactor, REPLICATION_DEFAULTS.replicationFactor),
    topicConfigExclude: strings(topicConfig.exclude).map((entry) => entry.value),
    onOriginTopicDeleted: oneOf<OriginTopicDeletedAction>(
      data.onOriginTopicDeleted,
      ['keep', 'delete'],
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
        collector.warning('NEVER_MIRRORED', patternPath, 'value', `"${value}" is never selected: ${what}`);
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
        `"${raw}" is not prefix, identity or a template with {topic}${didYouMean(raw, NAMING_KEYWORDS)}`,
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
      `unknown placeholder {${name}} in "${template}"; the placeholders are {topic}, {origin} and {destination}${hint}`,
    );
  }
  // A misspelt {topic} is one mistake, and its message already says what to write.
  if (!template.includes('{topic}') && !topicMisspelt) {
    problems++;
    collector.error(
      'BAD_TEMPLATE',
      path,
      'value',
      `template "${template}" has no {topic}: every topic would be written to the same destination topic`,
    );
  }
  if (problems === 0 && !isValidTopicName(template.replace(/\{(topic|origin|destination)\}/g, 'x'))) {
    collector.error(
      'BAD_TEMPLATE',
      path,
      'value',
      `template "${template}" makes invalid topic names: topic names use letters, digits, '.', '_' and '-'`,
    );
  }
  return { kind: 'template', template };
}
