// Runs the georep command line in the test's own process, through the CommandIo seam of src/cli/cli.ts: the
// same dispatcher, commands and output as the `georep` process, without starting one (a process costs more
// than a second under tsx). Relative paths resolve against the test process's working directory.
import { runCli } from '../../src/cli/cli.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `georep <args>` with `env` as its whole environment (plus PATH). */
export async function georepInProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const environment: Record<string, string | undefined> = { PATH: process.env.PATH, ...env };
  const status = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: (name) => environment[name],
  });
  return { status, stdout, stderr };
}
