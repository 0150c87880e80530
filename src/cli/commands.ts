// The command table of `georep <command>`: the dispatcher in cli.ts runs it, and the docs check
// (test/unit/docs.test.ts) runs every documented command line through it.
import type { Command } from './command.js';
import { offsetsCommand } from './offsets.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { verifyCommand } from './verify.js';

export const COMMANDS: readonly Command[] = [
  runCommand,
  validateCommand,
  planCommand,
  statusCommand,
  offsetsCommand,
  verifyCommand,
];
