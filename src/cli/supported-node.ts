// Which Node.js versions run georep, and the refusal when an older one starts it. See docs/node-runtime.md.
//
// The floor is @platformatic/kafka's (22.22 on the Node 22 line, 24.6 on Node 24); Node 20 is past its end of
// life and Node 23 was never LTS. georep brings Node 24 itself (the optional npm dependency node-linux-<cpu>
// puts its binary in node_modules/.bin), so an older system Node is usually a path mistake: the message
// says which Node ran and the command that runs the same thing on the Node georep brings.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** package.json `engines.node`; a unit test keeps the two equal. */
export const SUPPORTED_NODE_RANGE = '^22.22.0 || >=24.6.0';

/** The first supported release of each supported major line; every major after the last is supported. */
const FIRST_SUPPORTED: ReadonlyMap<number, number> = new Map([
  [22, 22],
  [24, 6],
]);
const LAST_LISTED_MAJOR = 24;

/** Whether a Node.js version ("24.21.0" or "v24.21.0") is in SUPPORTED_NODE_RANGE. */
export function isSupportedNode(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)\.\d+/.exec(version);
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major > LAST_LISTED_MAJOR) return true;
  const firstMinor = FIRST_SUPPORTED.get(major);
  return firstMinor !== undefined && minor >= firstMinor;
}

export interface UnsupportedNode {
  /** process.versions.node of the Node that started georep. */
  readonly version: string;
  readonly execPath: string;
  /** The same command line (node options, script, arguments) as started. */
  readonly commandArgs: readonly string[];
  /** node_modules/.bin/node of the Node georep brings, if it is installed. */
  readonly bundledNode: string | undefined;
}

/** What georep prints on stderr before exiting 2 when an unsupported Node started it. */
export function unsupportedNodeMessage(found: UnsupportedNode): string {
  const lines = [
    `georep needs Node.js ${SUPPORTED_NODE_RANGE}, but was started by Node.js ${found.version} (${found.execPath}).`,
  ];
  if (found.bundledNode === undefined) {
    lines.push(
      'georep brings Node.js 24 for Linux on x64 and arm64 only (the optional dependency node-linux-<cpu>),',
      'and it is not installed here: install Node.js 24 LTS, or run npm ci again. See docs/node-runtime.md.',
    );
  } else {
    lines.push(
      'Run it on the Node.js 24 that georep brings: through npm (npx georep …, npm run …), or directly:',
      `  ${[found.bundledNode, ...found.commandArgs].map(shellWord).join(' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * node_modules/.bin/node nearest above this file, as Node resolves packages: in a checkout, in a global
 * install (georep's own node_modules) and in a project that depends on georep (hoisted).
 */
function findBundledNode(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'node_modules', '.bin', 'node');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Exits 2 with unsupportedNodeMessage unless this process runs on a supported Node.js. */
export function exitUnlessSupportedNode(): void {
  if (isSupportedNode(process.versions.node)) return;
  process.stderr.write(
    unsupportedNodeMessage({
      version: process.versions.node,
      execPath: process.execPath,
      commandArgs: [...process.execArgv, ...process.argv.slice(1)],
      bundledNode: findBundledNode(),
    }),
  );
  process.exit(2);
}
