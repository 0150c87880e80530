// The README and docs/ stay true: every command in a ```sh or ```console block names a georep command and
// options that exist (run in-process with --help appended, so the real option parser judges them), an npm
// script of package.json with arguments its script accepts, or a tool of the allow-list below; every
// georep configuration in a ```yaml block validates through the real validation code; every relative link
// points at a file (and heading) that exists, and every repository path in inline code exists.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseKafkaCliArgs } from '../../harness/cli-args.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { formatIssue } from '../../src/config/issues.js';
import { parseConfigText } from '../../src/config/load.js';
import {
  type Fence,
  headingAnchors,
  inlineCode,
  linkTargets,
  parseMarkdown,
  shellCommands,
  splitCommands,
} from '../support/markdown.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).map((name) => `docs/${name}`)].filter(
  (page) => page.endsWith('.md'),
);
const SCRIPTS: Record<string, string> = JSON.parse(
  readFileSync(path.join(ROOT, 'package.json'), 'utf8'),
).scripts;

/** Tools the docs run that are not georep's: they belong to the host, and no test here can run them. */
const OTHER_TOOLS: Record<string, string> = {
  'ansible-playbook':
    'Ansible, run against the example playbook by test/integration/ansible-playbook.test.ts',
  'ansible-vault': "Ansible's secret store: writes the operator's own vault",
  cat: 'writes a file on the host',
  cd: 'changes directory',
  chmod: 'sets a mode on the host',
  cp: 'copies a file on the host',
  install: 'creates directories and files on the host',
  jq: 'filters JSON log lines',
  journalctl: "reads systemd's journal on the host",
  'kafka-acls.sh': "Kafka's own ACL tool, against the operator's cluster",
  ln: 'points a symlink on the host',
  systemctl: 'systemd on the host; the unit is checked by test/integration/systemd-unit.test.ts',
  useradd: 'creates the service user on the host',
};

/** npm's own commands the docs use (`npm test` and `npm run` are checked against package.json instead). */
const NPM_COMMANDS = new Set(['ci', 'install', 'pack', 'publish']);

/** Scripts whose arguments are not parsed by TypeScript we can call: why their arguments go unchecked. */
const UNCHECKED_SCRIPT_ARGUMENTS: Record<string, string> = {
  'pack:release': 'bash scripts/pack-release.sh takes the output directory, any path',
};

/**
 * Arguments of the bench scripts, by file: each runs once with all its documented arguments and --help in a
 * child process (they parse their options at import); a repeated option takes its last value.
 */
type Deferred = Map<string, { args: string[]; where: string[] }>;

async function checkGeorep(args: readonly string[]): Promise<string | null> {
  const [name, ...rest] = args;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined)
    return `georep has no command "${name}" (${COMMANDS.map((c) => c.name).join(', ')})`;
  let stderr = '';
  const io = { stdout: () => {}, stderr: (text: string) => (stderr += text), env: () => undefined };
  try {
    const status = await command.run([...rest, '--help'], io);
    return status === 0 ? null : `georep ${name} --help exited ${status}: ${stderr}`;
  } catch (error) {
    return `georep ${name}: ${(error as Error).message}`;
  }
}

async function checkScriptArguments(
  script: string,
  args: readonly string[],
  where: string,
  deferred: Deferred,
): Promise<string | null> {
  if (args.length === 0) return null;
  const file = /^tsx (\S+\.ts)$/.exec(SCRIPTS[script]!)?.[1];
  if (file === 'src/cli/main.ts') return checkGeorep(args);
  if (file === 'harness/cli.ts') {
    try {
      parseKafkaCliArgs(args, {});
      return null;
    } catch (error) {
      return `npm run kafka -- ${args.join(' ')}: ${(error as Error).message}`;
    }
  }
  if (file?.startsWith('bench/')) {
    const entry = deferred.get(file) ?? { args: [], where: [] };
    entry.args.push(...args);
    entry.where.push(where);
    deferred.set(file, entry);
    return null;
  }
  if (script in UNCHECKED_SCRIPT_ARGUMENTS) return null;
  return `npm run ${script} takes arguments no check reads: add a check or a reason to UNCHECKED_SCRIPT_ARGUMENTS`;
}

/** Why a documented command would not run as written, or null. */
async function checkCommand(
  words: readonly string[],
  where: string,
  deferred: Deferred,
): Promise<string | null> {
  const start = words.findIndex((word) => !/^[A-Z_][A-Z0-9_]*=/.test(word));
  const [tool, ...args] = words.slice(start);
  if (tool === 'georep') return checkGeorep(args);
  if (tool === 'npx') return args[0] === 'georep' ? checkGeorep(args.slice(1)) : `npx ${args[0]}: not georep`;
  if (tool === 'npm') {
    const [command, script, ...rest] = args;
    if (command === 'test') return 'test' in SCRIPTS ? null : 'package.json has no test script';
    if (command === 'run') {
      if (script === undefined || !(script in SCRIPTS)) return `package.json has no script "${script}"`;
      const scriptArgs = rest[0] === '--' ? rest.slice(1) : rest;
      return checkScriptArguments(script, scriptArgs, where, deferred);
    }
    return NPM_COMMANDS.has(command ?? '') ? null : `npm ${command}: not a command the docs are known to use`;
  }
  if (tool !== undefined && tool in OTHER_TOOLS) return null;
  return `${tool}: neither georep, npm nor a tool of OTHER_TOOLS (add it there with the reason it cannot be run)`;
}

/** Runs `node --import tsx FILE ARGS --help`: a bench script exits 0 only if its parser knows every option. */
function helpExitsZero(file: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args, '--help'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) =>
      resolve(status === 0 ? null : `exit ${status}: ${stderr.trim().split('\n')[0]}`),
    );
  });
}

const REPOSITORY_PATH =
  /^(?:bench|bin|docs|examples|harness|schemas|scripts|src|systemd|test|web)\/[\w./-]*$/;

/** What is wrong with each command, as `page:line: command: problem`. */
async function problemsOf(
  commands: readonly { where: string; words: readonly string[] }[],
): Promise<string[]> {
  const problems: string[] = [];
  const deferred: Deferred = new Map();
  for (const { where, words } of commands) {
    const problem = await checkCommand(words, where, deferred);
    if (problem !== null) problems.push(`${where}: ${words.join(' ')}: ${problem}`);
  }
  const runs = [...deferred].map(async ([file, { args, where }]) => {
    const problem = await helpExitsZero(file, args);
    if (problem !== null) problems.push(`${where.join(', ')}: ${file} ${args.join(' ')}: ${problem}`);
  });
  await Promise.all(runs);
  return problems;
}

const pages = PAGES.map((page) => ({ page, ...parseMarkdown(readFileSync(path.join(ROOT, page), 'utf8')) }));
const fencesOf = (lang: string): { page: string; fence: Fence }[] =>
  pages.flatMap(({ page, fences }) =>
    fences.filter((f) => f.lang === lang).map((fence) => ({ page, fence })),
  );

describe('the README and docs/', () => {
  test('the README fits one screen of a newcomer: under 150 lines, every docs page linked', () => {
    const readme = pages.find(({ page }) => page === 'README.md')!;
    assert.ok(readme.prose.split('\n').length < 150);
    const linked = new Set(linkTargets(readme.prose).map(({ text }) => text.split('#')[0]));
    assert.deepEqual(
      PAGES.filter((page) => page !== 'README.md' && !linked.has(page)),
      [],
      'add a line to "Where to go next"',
    );
  });

  test('every command in a sh or console block runs as written', async () => {
    const commands = [...fencesOf('sh'), ...fencesOf('console')].flatMap(({ page, fence }) =>
      shellCommands(fence).map(({ line, words }) => ({ where: `${page}:${line}`, words })),
    );
    assert.deepEqual(await problemsOf(commands), []);
  });

  test('every georep command and npm script in inline code exists, with its options', async () => {
    const commands = pages.flatMap(({ page, prose }) =>
      inlineCode(prose)
        .filter(({ text }) => /^((npx )?georep [a-z]|npm run [\w:-])/.test(text))
        .map(({ line, text }) => ({
          where: `${page}:${line}`,
          // `[--destination CLUSTER]` is an option that may be left out; `...` and `…` stand for more.
          words: splitCommands(text)
            .flat()
            .filter((word) => !/^(\.\.\.|…)$/.test(word))
            .map((word) => word.replace(/^\[|\]$/g, '')),
        })),
    );
    assert.deepEqual(await problemsOf(commands), []);
  });

  test('the check refuses a renamed script, command or option', async () => {
    const deferred: Deferred = new Map();
    const refused = async (command: string) =>
      assert.notEqual(await checkCommand(command.split(' '), 'here', deferred), null, command);
    await refused('npx georep validate --base-directory /etc/georep x.yaml');
    await refused('npx georep diff x.yaml');
    await refused('npm run bench:throughputs');
    await refused('npm run kafka -- up --cluster 3');
    await refused('npm run georep -- plan --conf x.yaml');
    await refused('kafka-topics.sh --list');
    assert.notEqual(await helpExitsZero('bench/throughput.ts', ['--record', '10']), null);
  });

  test('every georep configuration in a yaml block is valid', () => {
    const problems: string[] = [];
    for (const { page, fence } of fencesOf('yaml')) {
      const text = fence.lines.join('\n');
      const data: unknown = parseYaml(text);
      if (!isGeorepConfig(data)) continue;
      const complete = 'clusters' in data && 'replications' in data;
      // Issues say FILE:LINE:COL; here LINE counts from the block (of a part: from the completed text).
      const where = `${page} (yaml block of line ${fence.line}${complete ? '' : ', completed'})`;
      const result = parseConfigText(complete ? text : completed(data), where, HOST);
      const issues = result.ok ? result.warnings : result.issues;
      for (const issue of issues.filter((i) => i.severity === 'error')) problems.push(formatIssue(issue));
    }
    assert.deepEqual(problems, []);
  });

  test('every relative link points at a file, and its #anchor at a heading there', () => {
    const problems: string[] = [];
    for (const { page, prose } of pages) {
      for (const { line, text } of linkTargets(prose)) {
        if (/^[a-z]+:/.test(text)) continue;
        const [file, anchor] = text.split('#') as [string, string | undefined];
        const target = file === '' ? page : path.join(path.dirname(page), file);
        if (!existsSync(path.join(ROOT, target))) {
          problems.push(`${page}:${line}: ${text}: no such file`);
        } else if (anchor !== undefined && target.endsWith('.md')) {
          const anchors = headingAnchors(parseMarkdown(readFileSync(path.join(ROOT, target), 'utf8')).prose);
          if (!anchors.has(anchor)) problems.push(`${page}:${line}: ${text}: no such heading`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('every repository path in inline code exists', () => {
    const problems = pages.flatMap(({ page, prose }) =>
      inlineCode(prose)
        .filter(({ text }) => REPOSITORY_PATH.test(text) && !existsSync(path.join(ROOT, text)))
        .map(({ line, text }) => `${page}:${line}: ${text}`),
    );
    assert.deepEqual(problems, []);
  });
});

/** A mapping of georep's top-level sections only: a whole configuration, or a part of one. */
function isGeorepConfig(data: unknown): data is Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const keys = Object.keys(data);
  return keys.length > 0 && keys.every((key) => ['clusters', 'replications', 'daemon'].includes(key));
}

/**
 * A part of a configuration made whole: without `replications:` it gets one between two clusters of its
 * own; the clusters its replications name are added to those it defines.
 */
function completed(part: Record<string, unknown>): string {
  const replications = Array.isArray(part.replications)
    ? (part.replications as Record<string, unknown>[])
    : [];
  const named = replications.flatMap((replication) => [
    replication.origin,
    ...(Array.isArray(replication.destinations) ? replication.destinations : []),
  ]);
  const names = [...new Set(['a', 'b', ...named.filter((name): name is string => typeof name === 'string')])];
  const given = (part.clusters ?? {}) as Record<string, unknown>;
  return stringifyYaml({
    ...part,
    clusters: {
      ...Object.fromEntries(names.map((name) => [name, { bootstrap: [`${name}:9092`] }])),
      ...given,
    },
    replications: part.replications ?? [{ origin: 'a', destinations: ['b'], topics: { include: ['*'] } }],
  });
}

/**
 * The host the docs' examples are written for: every environment variable set, and every file they name
 * present: PEM text for TLS files, an empty web config, a password otherwise.
 */
const HOST = {
  baseDir: '/etc/georep',
  env: () => 'placeholder',
  readFile: (absolutePath: string) => ({
    ok: true as const,
    text: /\.ya?ml$/.test(absolutePath)
      ? '{}\n'
      : /\.(pem|crt|key)$/.test(absolutePath)
        ? '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
        : 'placeholder\n',
  }),
};
