// The georep command line: `georep <command> [options]`. A small dispatcher over a table of commands, one
// file each (commands.ts); usage errors (unknown command or option) exit 2 with the usage on stderr. main.ts
// runs it on the process; tests run it in-process with their own CommandIo.
import { type CommandIo, EXIT, type ExitCode, UsageError } from './command.js';
import { COMMANDS } from './commands.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`);
  return `usage: georep <command> [options]

Geo-replication daemon for Apache Kafka.

commands:
${lines.join('\n')}

Run \`georep <command> --help\` for a command's options.

exit status:
  0  ok
  1  the configuration is invalid or a check failed
  2  usage error (unknown command or option, missing argument)
  3  georep plan: the plan has changes; georep verify: the copied ranges match but some are behind
`;
}

export async function runCli(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [name, ...rest] = args;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return EXIT.ok;
  }
  if (name === undefined) {
    io.stderr(usage());
    return EXIT.usage;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr(`georep: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    // The usage lines, not the whole help: the message must stay in sight.
    const usageLines = command.help.split('\n\n')[0];
    io.stderr(
      `georep ${command.name}: ${error.message}\n${usageLines}\n'georep ${command.name} --help' shows every option.\n`,
    );
    return EXIT.usage;
  }
}

/**
 * A wrong command line: our own UsageError, or the error node:util parseArgs throws for an unknown option or
 * a missing option value (code ERR_PARSE_ARGS_…), so that no command has to translate the latter itself.
 */
function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
