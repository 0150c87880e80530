// The loader: geo-replication.yaml text → a frozen Config, or every issue found, sorted by position.
//
// Stages, all of which run so that one pass reports every mistake:
//   0. Limits (limits.ts): size, nesting, entries, value length, checked on the lexer's tokens before the
//      parser builds anything. A file over a limit stops here.
//   1. YAML with source positions; duplicate keys are errors. Other syntax errors stop here: without a
//      trustworthy structure, later messages would only be noise.
//   2. The JSON Schema (schemas/geo-replication.schema.json).
//   3. Semantic rules and compilation (compile.ts): cluster references, patterns, naming, secrets, TLS.
//   4. Rules across replications (topology.ts): unique names, destination collisions, loops.
// `parseConfigText` is pure apart from what the injected environment does; `loadConfigFile` is the
// effectful edge that reads the file and uses the process's environment.
import { dirname, resolve } from 'node:path';
import { type Alias, type Document, isScalar, type Node, parseDocument, visit, type YAMLError } from 'yaml';
import { compileClusters } from './clusters.js';
import { compileDaemon, compileReplications, IssueCollector } from './compile.js';
import { type LoadEnvironment, readTextFile, systemEnvironment } from './environment.js';
import { excerpt } from './excerpt.js';
import { type ConfigIssue, compareIssues } from './issues.js';
import { CONFIG_LIMITS, checkFileSize, type LimitProblem, scanLimits } from './limits.js';
import { checkLoops } from './loops.js';
import { checkSchema } from './schema-check.js';
import { SourceMap } from './source-map.js';
import { checkDestinationCollisions, checkUniqueNames } from './topology.js';
import type { Config } from './types.js';

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly ConfigIssue[] }
  /** `issues` holds at least one error, and the warnings found on the way. */
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Plenty for a config file; stops an alias bomb (billion laughs) from eating memory. */
const MAX_ALIAS_COUNT = 1_000;

/**
 * yaml's own message for a syntax error, without the source text some of them quote: the text may be
 * (part of) a password written in the file.
 */
function syntaxMessage(problem: YAMLError): string {
  if (problem.code === 'BAD_DQ_ESCAPE') return 'YAML: invalid escape sequence in a double-quoted string';
  const message = problem.message
    .replace(/^(Block scalar header includes extra characters):.*$/s, '$1')
    .replace(/:\s*".*$/s, '')
    .replace(/\s*"(?:[^"\\]|\\.)*"/g, '');
  return `YAML: ${message}`;
}

/** An unclosed `[` or `{` is reported by yaml where it noticed, a line late: point at the bracket. */
function isUnclosedFlow(problem: YAMLError): boolean {
  return problem.code === 'BAD_INDENT' && /^Flow (sequence|map) .*end with a [\]}]/.test(problem.message);
}

function unclosedFlowMessage(text: string, offset: number): string {
  const [opening, closing, what] = text[offset] === '{' ? ['{', '}', 'mapping'] : ['[', ']', 'list'];
  return `YAML: this "${opening}" is never closed: end the ${what} with "${closing}" (lines that continue it must be indented more than its key)`;
}

/**
 * Where an indentation mistake is, and what to do, for the errors yaml reports elsewhere or vaguely: a line
 * indented more than the key above it continues that key's value (yaml points at the value, a line early); a
 * line indented to no column of the mappings and lists above it (yaml points at column 1). Null for others.
 */
function indentationProblem(problem: YAMLError, text: string): { offset: number; message: string } | null {
  const at = problem.pos[0];
  if (problem.code === 'BLOCK_AS_IMPLICIT_KEY') {
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const nextLineStart = text.indexOf('\n', at) + 1;
    if (nextLineStart === 0) return null;
    // The key's column: past a list item's `- `, where its siblings start.
    const keyColumn = /^ *(?:- +)*/.exec(text.slice(lineStart, nextLineStart))![0].length;
    const nextColumn = indentOf(text, nextLineStart);
    if (nextColumn <= keyColumn) return null;
    return {
      offset: nextLineStart + nextColumn,
      message: `YAML: this line is indented more than the key above (${nextColumn} spaces, not ${keyColumn}), so it reads as part of that key's value; a key of the same mapping starts at the same column`,
    };
  }
  const misplaced =
    (problem.code === 'BAD_INDENT' &&
      problem.message.startsWith('All mapping items must start at the same column')) ||
    (problem.code === 'MISSING_CHAR' && problem.message.startsWith('Sequence item without - indicator'));
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  if (!misplaced || at !== lineStart) return null;
  const column = indentOf(text, lineStart);
  return {
    offset: lineStart + column,
    message: `YAML: this line is indented by ${column} spaces, the column of no mapping or list above it: keys of one mapping start at the same column, as do the "-" of one list`,
  };
}

/** Spaces at the start of the line that starts at `lineStart`. */
function indentOf(text: string, lineStart: number): number {
  let column = 0;
  while (text[lineStart + column] === ' ') column += 1;
  return column;
}

/** A plain value starting with `*` is a YAML alias; one naming no anchor is almost always a glob. */
function reportUnresolvedAlias(alias: Alias, doc: Document, text: string, collector: IssueCollector): void {
  if (alias.resolve(doc) !== undefined) return;
  const offset = alias.range?.[0] ?? 0;
  const written = /^\*[^\s,\]}]*/.exec(text.slice(offset, offset + 300))?.[0] ?? `*${alias.source}`;
  collector.atOffset(
    'error',
    'YAML_SYNTAX',
    offset,
    `YAML: ${excerpt(written)} is read as an alias of an anchor that does not exist; a value starting with * must be quoted: write ${excerpt(written)}`,
  );
}

function limitIssue(file: string, text: string, problem: LimitProblem): ConfigIssue[] {
  const collector = new IssueCollector(new SourceMap(file, text, null));
  collector.atOffset('error', 'LIMIT_EXCEEDED', problem.offset, problem.message);
  return collector.issues;
}

function parseYaml(
  text: string,
  file: string,
  unclosedFlowOffset: number | null,
): { doc: Document; collector: IssueCollector; syntaxOk: boolean } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const collector = new IssueCollector(new SourceMap(file, text, doc));
  const problems = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
  for (const problem of problems.filter((candidate) => candidate.code === 'DUPLICATE_KEY')) {
    const written = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(text.slice(problem.pos[0]))?.[1] ?? '';
    const key = written.replace(/^["']|["']$/g, '');
    collector.atOffset(
      'error',
      'DUPLICATE_KEY',
      problem.pos[0],
      `duplicate key "${key}": a key may appear only once in a mapping`,
    );
  }
  // After a syntax error the parser's recovery guesses, and what it reports next is mostly the echo of
  // the first mistake: report that one, and how many more there are.
  const syntax = problems.filter((candidate) => candidate.code !== 'DUPLICATE_KEY');
  const [first] = syntax;
  if (first !== undefined) {
    const more =
      syntax.length > 1
        ? ` (${syntax.length - 1} more YAML error${syntax.length > 2 ? 's' : ''} after this one, maybe caused by it)`
        : '';
    const indentation = indentationProblem(first, text);
    if (isUnclosedFlow(first) && unclosedFlowOffset !== null) {
      collector.atOffset(
        'error',
        'YAML_SYNTAX',
        unclosedFlowOffset,
        unclosedFlowMessage(text, unclosedFlowOffset),
      );
    } else if (indentation !== null) {
      collector.atOffset('error', 'YAML_SYNTAX', indentation.offset, `${indentation.message}${more}`);
    } else {
      collector.atOffset('error', 'YAML_SYNTAX', first.pos[0], `${syntaxMessage(first)}${more}`);
    }
    return { doc, collector, syntaxOk: false };
  }
  // Every later stage sees the first of duplicate keys, the one not reported, so that the value the
  // message calls a duplicate does not also cause errors of its own.
  // A visitor of its own: `Node` is not called for the mappings a `Map` visitor takes.
  const reportedTags = new Set<number>();
  visit(doc, {
    Node(_, node) {
      if (node.tag === undefined || PLAIN_DATA_TAGS.has(node.tag)) return;
      reportedTags.add(reportTag(node.tag, node, text, collector));
    },
  });
  visit(doc, {
    Alias(_, alias) {
      reportUnresolvedAlias(alias, doc, text, collector);
    },
    Map(_, map) {
      const seen = new Set<unknown>();
      map.items = map.items.filter((pair) => {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    },
  });
  for (const problem of doc.warnings) {
    const at = problem.pos[0];
    if (problem.code !== 'TAG_RESOLVE_FAILED') {
      collector.atOffset('warning', 'YAML_SYNTAX', at, `YAML: ${problem.message}`);
    } else if (!reportedTags.has(at)) {
      // `!!int abc`, `!!bool yes`: left unresolved, the value would be read as text.
      const tag = shortTag(problem.message.replace(/^Unresolved tag: /, ''));
      collector.atOffset('error', 'YAML_SYNTAX', at, `YAML: the tag ${tag} does not fit its value`);
    }
  }
  const syntaxOk = !collector.issues.some(
    (issue) => issue.code === 'YAML_SYNTAX' && issue.severity === 'error',
  );
  return { doc, collector, syntaxOk };
}

/** Explicit tags that still make plain data (`!!str 8080` is a string, as quoting it would make it). */
const PLAIN_DATA_TAGS = new Set(
  ['str', 'int', 'bool', 'null', 'seq', 'map'].map((name) => `tag:yaml.org,2002:${name}`),
);

/**
 * Any other tag is a mistake here: `!!binary` or `!!timestamp` make values that are not text or numbers (reported
 * field by field, they made a hundred errors), and `!!float` or a custom tag are left unresolved, as text.
 */
function reportTag(tag: string, node: Node, text: string, collector: IssueCollector): number {
  let at = node.range === undefined || node.range === null ? 0 : text.lastIndexOf('!', node.range[0]);
  while (at > 0 && text[at - 1] === '!') at -= 1; // the first "!" of "!!float"
  collector.atOffset(
    'error',
    'YAML_SYNTAX',
    Math.max(0, at),
    `YAML: the tag ${shortTag(tag)} is not used in georep's configuration: write the value without it`,
  );
  return Math.max(0, at);
}

/** `tag:yaml.org,2002:float` as written: `!!float`. */
function shortTag(tag: string): string {
  return tag.replace(/^tag:yaml\.org,2002:/, '!!');
}

function toData(doc: Document, collector: IssueCollector): { ok: true; data: unknown } | { ok: false } {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    collector.atOffset('error', 'YAML_SYNTAX', 0, `YAML: ${reason}`);
    return { ok: false };
  }
}

function hasErrorUnder(issues: readonly ConfigIssue[], prefix: string): boolean {
  return issues.some(
    (issue) =>
      issue.severity === 'error' &&
      (issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`)),
  );
}

/**
 * Parses, validates and compiles the text of a configuration file. `file` is how issues name the file;
 * `absolutePath` becomes `Config.file`.
 */
export function parseConfigText(
  text: string,
  file: string,
  environment: LoadEnvironment,
  absolutePath = file,
): LoadResult {
  const tooLarge = checkFileSize(Buffer.byteLength(text, 'utf8'));
  if (tooLarge !== null) return { ok: false, issues: limitIssue(file, '', tooLarge) };
  const limits = scanLimits(text);
  if (limits.problem !== null) return { ok: false, issues: limitIssue(file, text, limits.problem) };
  const { doc, collector, syntaxOk } = parseYaml(text, file, limits.unclosedFlowOffset);
  const finish = (config: Config | null): LoadResult => {
    const issues = dedupe(collector.issues).sort(compareIssues);
    if (config === null || issues.some((issue) => issue.severity === 'error')) return { ok: false, issues };
    return { ok: true, config: deepFreeze(config), warnings: issues };
  };
  if (!syntaxOk) return finish(null);
  const parsed = toData(doc, collector);
  if (!parsed.ok) return finish(null);
  const data = parsed.data;
  if (data === null || data === undefined) {
    collector.atOffset('error', 'EMPTY_FILE', 0, 'the file is empty: it needs clusters and replications');
    return finish(null);
  }

  checkSchema(data, collector);
  const root = typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const context = { collector, environment, warnedFiles: new Set<string>() };
  const daemon = compileDaemon(root.daemon, context);
  const clusters = compileClusters(root.clusters, context);
  const clustersData = root.clusters;
  const clusterNames =
    typeof clustersData === 'object' && clustersData !== null && !Array.isArray(clustersData)
      ? new Set(Object.keys(clustersData))
      : null;
  const replications = compileReplications(root.replications, clusterNames, daemon, context);

  // Cross-replication rules only look at replications whose own fields are sound, so that one mistake
  // does not echo as a collision or a loop.
  const issuesSoFar = [...collector.issues];
  const named = replications.filter(({ index }) =>
    ['name', 'origin', 'destinations'].every(
      (field) => !hasErrorUnder(issuesSoFar, `replications[${index}].${field}`),
    ),
  );
  checkUniqueNames(named, collector);
  const sound = replications.filter(({ index }) => !hasErrorUnder(issuesSoFar, `replications[${index}]`));
  checkDestinationCollisions(sound, daemon, collector);
  checkLoops(sound, daemon, collector);

  return finish({
    file: absolutePath,
    clusters,
    replications: replications.map(({ replication }) => replication),
    daemon,
  });
}

function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.col}:${issue.severity}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function frozenMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = (): never => {
    throw new TypeError('the compiled configuration is read-only');
  };
  for (const method of ['set', 'delete', 'clear'] as const) {
    Object.defineProperty(map, method, { value: refuse });
  }
  return Object.freeze(map);
}

/** Freezes the compiled config all the way down, Maps included, so no module can change it under another. */
export function deepFreeze<T>(value: T): T {
  if (value instanceof Map) {
    for (const entry of value.values()) deepFreeze(entry);
    return frozenMap(value) as T;
  }
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export type FileLoadResult = LoadResult | { readonly ok: false; readonly unreadable: string };

export interface LoadFileOptions {
  /** Where relative paths inside the file resolve; default: the directory of the file. */
  readonly baseDir?: string;
  /** The environment variables that `${env:…}` reads; default: the process's. */
  readonly env?: (name: string) => string | undefined;
}

/**
 * Reads and loads a configuration file. Issues name the file as given; `Config.file` is absolute.
 * A file that cannot be read at all yields `unreadable` with the reason.
 */
export function loadConfigFile(file: string, options: LoadFileOptions = {}): FileLoadResult {
  const absolutePath = resolve(file);
  const read = readTextFile(absolutePath, CONFIG_LIMITS.maxFileBytes);
  if (!read.ok) {
    const tooLarge = read.sizeBytes === undefined ? null : checkFileSize(read.sizeBytes);
    if (tooLarge !== null) return { ok: false, issues: limitIssue(file, '', tooLarge) };
    return { ok: false, unreadable: read.reason };
  }
  const system = systemEnvironment(resolve(options.baseDir ?? dirname(absolutePath)));
  const environment: LoadEnvironment = { ...system, env: options.env ?? system.env };
  return parseConfigText(read.text, file, environment, absolutePath);
}
