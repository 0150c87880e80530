// Loading the config file for a command that needs it valid (plan, offsets): problems go to stderr as
// `file:line:col: message` lines and the caller exits 1.
import { formatIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { CommandIo } from './command.js';

export function loadConfigOrReport(path: string, baseDir: string | undefined, io: CommandIo): Config | null {
  const loaded = loadConfigFile(path, { ...(baseDir === undefined ? {} : { baseDir }), env: io.env });
  if (loaded.ok) return loaded.config;
  if ('unreadable' in loaded) io.stderr(`${path}: cannot read the file: ${loaded.unreadable}\n`);
  else for (const issue of loaded.issues) io.stderr(`${formatIssue(issue)}\n`);
  return null;
}
