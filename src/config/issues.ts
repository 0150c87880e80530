// Problems found in a configuration file, as plain data: where (file, line, column, field path), how
// bad (an error rejects the file, a warning does not), which rule (a stable code from ISSUE_CODES) and
// a message for people. Messages never contain a secret's value; they may name its reference.

/**
 * Every issue code, with what it means. docs/configuration.md ("Issue codes") lists the same table and a
 * unit test keeps the two in step, so an operator can look a code up.
 */
export const ISSUE_CODES = {
  YAML_SYNTAX: 'The file is not valid YAML, or holds more than one document.',
  DUPLICATE_KEY: 'A key appears twice in the same mapping.',
  EMPTY_FILE: 'The file has no content.',
  LIMIT_EXCEEDED:
    'The file, its nesting, one list or mapping, or one value is larger than georep accepts (see docs/configuration-limits.md).',
  UNKNOWN_FIELD: 'A field the schema does not know (often a typo; a suggestion is given when one is close).',
  MISSING_FIELD: 'A required field is absent.',
  WRONG_TYPE: 'A value has the wrong type, e.g. a string where a number of milliseconds is expected.',
  BAD_VALUE: 'A value is outside what the field allows: not one of its values, out of range, badly formed.',
  UNKNOWN_CLUSTER: 'A replication names a cluster that is not defined under `clusters`.',
  ORIGIN_IN_DESTINATIONS: 'A replication lists its own origin among its destinations.',
  DUPLICATE_DESTINATION: 'A replication lists the same destination twice.',
  BAD_PATTERN: 'An include/exclude pattern does not compile or cannot match any topic name.',
  BAD_TEMPLATE:
    'A naming template lacks {topic}, uses an unknown placeholder, or produces invalid topic names.',
  SEPARATOR_IN_CLUSTER_NAME:
    'A prefix separator occurs in the origin cluster name, so prefixed names would be ambiguous.',
  DUPLICATE_REPLICATION_NAME: 'Two replications have the same name (given or derived).',
  DESTINATION_COLLISION: 'Two replications would write the same destination topic.',
  REPLICATION_LOOP:
    'Replications form a cycle that would mirror records back forever, with nothing to stop them.',
  SECRET_ENV_MISSING: 'A ${env:NAME} reference names a variable that is not set, or is empty.',
  SECRET_FILE_UNREADABLE:
    'A ${file:PATH} reference (or a TLS key path) names a file that cannot be read, or is empty.',
  BAD_REFERENCE: 'A value looks like a ${...} reference but is not a valid one.',
  INLINE_SECRET: 'Warning: a password or key is written in the file instead of referenced.',
  SECRET_FILE_READABLE:
    'Warning: a file holding a password or key is readable by every user, or by its group while not owned by root.',
  FILE_UNREADABLE: 'A TLS CA or certificate file cannot be read.',
  NOT_PEM: 'A TLS file (CA, certificate, key) does not contain PEM text.',
  TLS_VERIFICATION_DISABLED: 'Warning: `rejectUnauthorized: false` turns off verification of the brokers.',
  CLEARTEXT_PASSWORD: 'Warning: SASL PLAIN without TLS sends the password in clear text.',
  NEVER_MIRRORED: 'Warning: an include names an internal or georep topic, which is never mirrored.',
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

export type Severity = 'error' | 'warning';

export interface ConfigIssue {
  /** The file as it was named to the loader (e.g. the path given on the command line). */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  readonly severity: Severity;
  readonly code: IssueCode;
  /** The field the issue is about, e.g. `replications[0].topics.include[1]`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** `file:line:col: message`, with `warning: ` before the message of a warning. */
export function formatIssue(issue: ConfigIssue): string {
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  return `${issue.file}:${issue.line}:${issue.col}: ${severity}${issue.message}`;
}

/** In file order; issues at the same place keep a stable order by message. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}
