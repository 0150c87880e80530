// The host's own Node.js, as opposed to the one georep brings in node_modules/.bin: tests that prove georep
// does not depend on it run with HOST_PATH, and tests of the refusal need an old one (CI's system Node 20).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { isSupportedNode } from '../../src/cli/supported-node.js';

/** PATH without the node_modules/.bin directories that `npm test` puts first: `node` is the system's. */
export const HOST_PATH = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(path.delimiter);

/** The first node on HOST_PATH whose version georep does not support, with that version, if any. */
export function unsupportedSystemNode(): { path: string; version: string } | undefined {
  for (const dir of HOST_PATH.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '');
    return isSupportedNode(version) ? undefined : { path: candidate, version };
  }
  return undefined;
}
