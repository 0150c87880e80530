// The `georep` process: the Node.js version check first, then the command line on the process's own streams
// and environment (cli.ts).
import './require-supported-node.js';
import { runCli } from './cli.js';
import type { CommandIo } from './command.js';

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: (name) => process.env[name],
};

process.exitCode = await runCli(process.argv.slice(2), processIo);
