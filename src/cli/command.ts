// What every subcommand looks like, so that `run`, `plan`, `status` and `verify` can be added beside
// `validate` without touching the dispatcher's logic: a file that exports a Command, and one line in
// the command table of commands.ts.
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit codes shared by every command; `georep --help` documents them. */
export const EXIT = {
  /** Everything checked out. */
  ok: 0,
  /** The command ran and found a problem: an invalid config, a failed check. */
  failed: 1,
  /** The command line itself is wrong: unknown command or option, missing argument. */
  usage: 2,
  /** `georep plan` only: the plan is not empty (terraform's detailed exit code, moved off our usage code). */
  changesPending: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The process's outside world as a command sees it; tests pass their own. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: (name: string) => string | undefined;
}

export interface Command {
  readonly name: string;
  /** One line for `georep --help`. */
  readonly summary: string;
  /** The whole `georep <command> --help` text. */
  readonly help: string;
  /** Runs with the arguments after the command name. Throws UsageError for a bad command line. */
  run(args: readonly string[], io: CommandIo): Promise<ExitCode>;
}

/** A wrong command line: the dispatcher prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * node:util parseArgs, refusing an option of one value given twice (parseArgs keeps the last, so a config
 * template that says `-c a.yaml … -c b.yaml` would silently act on b.yaml) and an empty value, or an empty
 * argument (a template's unset variable: `--config ''` read the current directory as the file).
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const { tokens } = parseArgs({ ...config, tokens: true });
  const seen = new Set<string>();
  for (const token of tokens ?? []) {
    if (token.kind === 'positional' && token.value === '') throw new UsageError('an argument is empty');
    if (token.kind !== 'option') continue;
    const option = config.options?.[token.name];
    if (option?.type !== 'string') continue;
    if (token.value === '') throw new UsageError(`--${token.name} is given an empty value`);
    if (option.multiple === true) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once`);
    seen.add(token.name);
  }
  return parseArgs(config);
}
