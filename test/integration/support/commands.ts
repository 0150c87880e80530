// External commands that some tests need (systemd-analyze, promtool, ansible-playbook): a test whose tool is
// missing is skipped with the line that installs it. CI (.ci/run) installs them all, so there nothing skips.
import { spawnSync } from 'node:child_process';

/** Undefined when `command` is on PATH, else a skip reason naming how to install it. */
export function commandMissing(command: string, installHint: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
  return found ? undefined : `${command} is not installed (${installHint})`;
}
