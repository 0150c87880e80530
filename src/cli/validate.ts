// `georep validate FILE...`: checks configuration files without touching Kafka. Built to be Ansible's
// `validate:` command (`georep validate --base-dir /etc/georep %s`): any file name or extension, exit
// status 0/1/2, problems as FILE:LINE:COL: message. Secret values never reach the output: messages only
// name references (`${file:…}`, `${env:…}`).
import { readFileSync } from 'node:fs';
import { type ConfigIssue, formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import {
  type Command,
  type CommandIo,
  EXIT,
  type ExitCode,
  parseCommandLine,
  UsageError,
} from './command.js';
import { parseEnvFile } from './env-file.js';

const help = `usage: georep validate [--json] [--base-dir DIR] [--environment-file FILE]... FILE...

Checks geo-replication.yaml files without connecting to Kafka: YAML syntax, the schema
(schemas/geo-replication.schema.json), cluster references, topic patterns, naming, destination
collisions, replication loops, and that every referenced secret and TLS file can be read.
Each problem is printed as FILE:LINE:COL: message, warnings as FILE:LINE:COL: warning: message.
Secret values are never printed.

Relative paths inside a file (tls ca/cert/key, \${file:PATH}) resolve against the directory of
that file, as they do for \`georep run\`. Ansible validates a temporary copy elsewhere, so give the
directory the file will live in:
  validate: georep validate --base-dir /etc/georep %s

\${env:NAME} references are checked against this command's environment, plus the variables of
--environment-file files: give the service's EnvironmentFile= so that validate sees what the
daemon will see.

options:
  --json                    print one JSON document with every file's result instead of text
  --base-dir DIR            resolve relative paths in every FILE against DIR
  --environment-file FILE   read KEY=VALUE lines (systemd EnvironmentFile= format) into the
                            environment that \${env:NAME} sees; may be repeated
  -h, --help                show this help

exit status:
  0  every file is valid (warnings allowed)
  1  a file is invalid or cannot be read
  2  usage error: no FILE, unknown option, unreadable --environment-file
`;

/** The outcome for one file; `issues` are sorted by position, errors and warnings together. */
interface FileReport {
  readonly file: string;
  readonly valid: boolean;
  /** Why the file itself could not be read; absent when it was read. */
  readonly unreadable?: string;
  readonly issues: readonly ConfigIssue[];
  /** One line for people, e.g. "valid (3 clusters, 2 replications)". */
  readonly summary: string;
}

function count(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}

function validateFile(
  file: string,
  baseDir: string | undefined,
  env: (name: string) => string | undefined,
): FileReport {
  const result = loadConfigFile(file, { ...(baseDir === undefined ? {} : { baseDir }), env });
  if ('unreadable' in result) {
    const summary = `cannot read the file: ${result.unreadable}`;
    return { file, valid: false, unreadable: result.unreadable, issues: [], summary };
  }
  if (result.ok) {
    const { clusters, replications } = result.config;
    const summary = `valid (${count(clusters.size, 'cluster')}, ${count(replications.length, 'replication')})`;
    return { file, valid: true, issues: result.warnings, summary };
  }
  const errors = result.issues.filter((issue) => issue.severity === 'error').length;
  return { file, valid: false, issues: result.issues, summary: `invalid (${count(errors, 'error')})` };
}

function textOf(report: FileReport): string {
  return [...report.issues.map(formatIssue), `${report.file}: ${report.summary}`]
    .map((line) => `${line}\n`)
    .join('');
}

/** The --json form of one file: errors and warnings apart, each with line, col, code, path, message. */
function jsonOf(report: FileReport): object {
  const plain = (severity: ConfigIssue['severity']) =>
    report.issues
      .filter((issue) => issue.severity === severity)
      .map(({ line, col, code, path, message }) => ({ line, col, code, path, message }));
  return {
    file: report.file,
    valid: report.valid,
    ...(report.unreadable === undefined ? {} : { unreadable: report.unreadable }),
    errors: plain('error'),
    warnings: plain('warning'),
    summary: report.summary,
  };
}

function environmentWith(envFiles: readonly string[], io: CommandIo): (name: string) => string | undefined {
  const fromFiles = new Map<string, string>();
  for (const envFile of envFiles) {
    let text: string;
    try {
      text = readFileSync(envFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read --environment-file ${envFile}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    const { variables, badLines } = parseEnvFile(text);
    if (badLines.length > 0) {
      throw new UsageError(`--environment-file ${envFile}: line ${badLines.join(', ')} is not KEY=VALUE`);
    }
    for (const [name, value] of variables) fromFiles.set(name, value);
  }
  return (name) => fromFiles.get(name) ?? io.env(name);
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check geo-replication.yaml files (Ansible validate:)',
  help,
  async run(args: readonly string[], io: CommandIo): Promise<ExitCode> {
    const { values, positionals } = parseOptions(args);
    if (values.help) {
      io.stdout(help);
      return EXIT.ok;
    }
    if (positionals.length === 0) throw new UsageError('no FILE given');
    const env = environmentWith(values['environment-file'] ?? [], io);
    const reports = positionals.map((file) => validateFile(file, values['base-dir'], env));
    const valid = reports.every((report) => report.valid);
    if (values.json) {
      io.stdout(`${JSON.stringify({ valid, files: reports.map(jsonOf) }, null, 2)}\n`);
    } else {
      io.stdout(reports.map(textOf).join(''));
    }
    return valid ? EXIT.ok : EXIT.failed;
  },
};

function parseOptions(args: readonly string[]) {
  return parseCommandLine({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      'base-dir': { type: 'string' },
      'environment-file': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
