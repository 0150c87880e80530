// The web-config file named by daemon.httpWebConfig: TLS and basic auth for the HTTP server, in the format
// of the Prometheus exporter-toolkit (`tls_server_config: {cert_file, key_file}`, `basic_auth_users:
// {name: bcrypt hash}`), so that an operator who secured a node_exporter can secure georep the same way.
// georep reads the subset written here; any other key is an error rather than silently ignored. Relative
// paths resolve against the web-config file's own directory, as in the exporter-toolkit. Issues point into
// this file (file:line:col); the certificate and key are checked to form a pair before they are used.
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parseDocument } from 'yaml';
import { MAX_TLS_FILE_BYTES } from './clusters.js';
import { IssueCollector } from './compile.js';
import type { LoadEnvironment } from './environment.js';
import { type ConfigIssue, compareIssues } from './issues.js';
import { MAX_SECRET_FILE_BYTES } from './secrets.js';
import { type FieldPath, SourceMap } from './source-map.js';
import { type HttpWebConfig, Secret } from './types.js';

const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const SUPPORTED = 'georep reads tls_server_config (cert_file, key_file) and basic_auth_users';

export interface WebConfigResult {
  readonly config: HttpWebConfig | null;
  readonly issues: readonly ConfigIssue[];
}

type Data = Record<string, unknown>;

function isData(value: unknown): value is Data {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and checks the text of the web-config file at `absolutePath` (issues name it; its relative paths
 * resolve from its folder). `config` is null when any error was found.
 */
export function parseWebConfigText(
  text: string,
  absolutePath: string,
  environment: LoadEnvironment,
): WebConfigResult {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const collector = new IssueCollector(new SourceMap(absolutePath, text, doc));
  const fail = (): WebConfigResult => ({ config: null, issues: [...collector.issues].sort(compareIssues) });
  const [syntax] = doc.errors;
  if (syntax !== undefined) {
    const what = syntax.code === 'DUPLICATE_KEY' ? 'a key appears twice' : 'not valid YAML';
    collector.atOffset('error', 'YAML_SYNTAX', syntax.pos[0], `YAML: ${what}`);
    return fail();
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (!isData(data)) {
    collector.error('WRONG_TYPE', [], 'value', `must be a mapping; ${SUPPORTED}`);
    return fail();
  }
  for (const key of Object.keys(data)) {
    if (key !== 'tls_server_config' && key !== 'basic_auth_users') {
      collector.error('UNKNOWN_FIELD', [key], 'key', `not supported: ${SUPPORTED}`);
    }
  }
  const folder = dirname(absolutePath);
  const tls =
    data.tls_server_config === undefined
      ? null
      : readTls(data.tls_server_config, folder, collector, environment);
  const users = readUsers(data.basic_auth_users, collector);
  if (users.size > 0 && data.tls_server_config === undefined) {
    collector.warning(
      'CLEARTEXT_PASSWORD',
      ['basic_auth_users'],
      'key',
      'basic auth without tls_server_config sends the passwords in clear text',
    );
  }
  if (collector.issues.some((issue) => issue.severity === 'error')) return fail();
  return {
    config: { file: absolutePath, tls, basicAuthUsers: users },
    issues: [...collector.issues].sort(compareIssues),
  };
}

function readTls(
  raw: unknown,
  folder: string,
  collector: IssueCollector,
  environment: LoadEnvironment,
): { cert: string; key: Secret } | null {
  const path: FieldPath = ['tls_server_config'];
  if (!isData(raw)) {
    collector.error('WRONG_TYPE', path, 'value', 'must be a mapping with cert_file and key_file');
    return null;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'cert_file' && key !== 'key_file') {
      collector.error('UNKNOWN_FIELD', [...path, key], 'key', `not supported: ${SUPPORTED}`);
    }
  }
  const read = (field: 'cert_file' | 'key_file'): { text: string; where: string } | null => {
    const value = raw[field];
    if (value === undefined) {
      collector.error('MISSING_FIELD', path, 'key', `${field} is required`);
      return null;
    }
    if (typeof value !== 'string' || value === '') {
      collector.error('WRONG_TYPE', [...path, field], 'value', 'must be the path of a PEM file');
      return null;
    }
    const where = isAbsolute(value) ? value : resolve(folder, value);
    const result = environment.readFile(
      where,
      field === 'key_file' ? MAX_SECRET_FILE_BYTES : MAX_TLS_FILE_BYTES,
    );
    if (!result.ok) {
      const code = field === 'key_file' ? 'SECRET_FILE_UNREADABLE' : 'FILE_UNREADABLE';
      collector.error(code, [...path, field], 'value', `cannot read ${where}: ${result.reason}`);
      return null;
    }
    if (!result.text.includes('-----BEGIN')) {
      collector.error('NOT_PEM', [...path, field], 'value', `${where} holds no PEM text`);
      return null;
    }
    return { text: result.text, where };
  };
  const cert = read('cert_file');
  const key = read('key_file');
  if (cert === null || key === null) return null;
  try {
    createSecureContext({ cert: cert.text, key: key.text });
  } catch (error) {
    // OpenSSL's reason (e.g. "key values mismatch") names no key material.
    const reason = error instanceof Error ? error.message : String(error);
    collector.error(
      'BAD_VALUE',
      [...path, 'key_file'],
      'value',
      `the certificate and key cannot be used: ${reason}`,
    );
    return null;
  }
  return { cert: cert.text, key: new Secret(key.text, key.where) };
}

function readUsers(raw: unknown, collector: IssueCollector): Map<string, string> {
  const users = new Map<string, string>();
  if (raw === undefined || raw === null) return users;
  if (!isData(raw)) {
    collector.error('WRONG_TYPE', ['basic_auth_users'], 'value', 'must map user names to bcrypt hashes');
    return users;
  }
  for (const [user, hash] of Object.entries(raw)) {
    const path = ['basic_auth_users', user];
    if (user === '' || user.includes(':')) {
      collector.error('BAD_VALUE', path, 'key', 'a user name must be non-empty and hold no ":"');
    } else if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
      collector.error(
        'BAD_VALUE',
        path,
        'value',
        'must be a bcrypt hash ($2y$10$ and 53 characters), e.g. from `htpasswd -nBC 10 "" | tr -d \':\\n\'`',
      );
    } else {
      users.set(user, hash);
    }
  }
  return users;
}
