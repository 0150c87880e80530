// The clusters of the file: how to reach each one, and the secrets and TLS material it needs. Files are
// read through the injected environment, within size bounds; a file holding a password or a key that
// too many can read is warned about, once per file and load.

import { type Context, type IssueCollector, integerOr, isData, oneOf, stringOr, strings } from './compile.js';
import { CLUSTER_DEFAULTS, TLS_DEFAULTS } from './defaults.js';
import {
  MAX_SECRET_FILE_BYTES,
  parseSecretValue,
  type ReadFile,
  resolvePath,
  resolveReference,
  tooWidelyReadable,
} from './secrets.js';
import type { FieldPath } from './source-map.js';
import { type ClusterConfig, SASL_MECHANISMS, type SaslSettings, Secret, type TlsSettings } from './types.js';

/** A CA or certificate file may be a whole bundle of the system's CAs (~220 KB). */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

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
  const mechanism = oneOf(raw.mechanism, SASL_MECHANISMS, 'plain');
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
