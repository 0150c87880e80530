// Topic and consumer-group name patterns: how they are written, compiled and matched. Pure functions;
// the planner calls `selectsName` and `isNeverMirrored` for every topic an origin lists.
//
// Syntax of one pattern (the same for include and exclude lists, topics and groups):
//   orders                 a literal name, matched exactly
//   orders.*  audit-??     a glob: `*` is any run of characters (also none, also '.'), `?` exactly one;
//                          matched against the whole name
//   /^orders\.(eu|us)$/    a regular expression between slashes, optionally followed by the flag `i`;
//                          it must match the WHOLE name (it is anchored whether or not it is written
//                          with ^ and $), as MirrorMaker 2's topic lists are
//
// Regular expressions use RE2 syntax and are matched by re2js, a pure-JavaScript port of RE2/J: matching
// takes time linear in the name, whatever the expression. JavaScript's own engine backtracks, so one
// pattern such as /(a+)+$/ could freeze the event loop (every flow, /healthz, the watchdog) on a long
// topic name. RE2 has no lookaround and no backreferences, the constructs that need backtracking.
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { excerpt } from './excerpt.js';
import type { DaemonSettings, NamePattern, NameSelector, SourcePosition } from './types.js';

/** Kafka's rule for topic names: letters, digits, '.', '_' and '-', at most 249 characters, not . or .. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

export type PatternSubject = 'topic' | 'group';

export type ParsedPattern =
  | { readonly ok: true; readonly pattern: NamePattern }
  | { readonly ok: false; readonly problem: string };

const REGEX_FLAGS = /^i?$/;

/** Longer patterns are refused: a topic name has at most 249 characters, and compiling costs memory. */
export const MAX_PATTERN_CHARS = 1_000;

/** Lookaround and backreferences: what RE2 leaves out on purpose, worth naming when a pattern uses it. */
const BACKTRACKING_ONLY = /\(\?<?[=!]|\\[1-9]|\\k</;

function compileRegex(source: string, flags: string): RE2JS {
  return RE2JS.compile(source, flags === 'i' ? RE2JS.CASE_INSENSITIVE : 0);
}

/** Why RE2 refuses an expression, without echoing more than a short part of it. */
function regexProblem(text: string, source: string, error: unknown): string {
  const what = `regular expression ${excerpt(text)}`;
  if (BACKTRACKING_ONLY.test(source)) {
    return `${what} uses lookaround or a backreference, which patterns do not support: they are matched in linear time (RE2 syntax)`;
  }
  // A syntax error's message quotes the offending part, which may be long: keep only the description.
  const description =
    error instanceof RE2JSSyntaxException
      ? error.getDescription()
      : error instanceof Error
        ? error.message
        : String(error);
  return `${what} does not compile: ${description} (RE2 syntax)`;
}

/**
 * Reads one pattern as written in the file. For topics, literal names and globs must be able to match
 * a valid topic name; group ids have no such restriction.
 */
export function parsePattern(text: string, subject: PatternSubject, position: SourcePosition): ParsedPattern {
  if (text.length > MAX_PATTERN_CHARS) {
    return {
      ok: false,
      problem: `pattern ${excerpt(text)} is ${text.length} characters long; at most ${MAX_PATTERN_CHARS} are allowed`,
    };
  }
  if (text.startsWith('/')) {
    const closing = text.lastIndexOf('/');
    if (closing === 0) {
      return {
        ok: false,
        problem: `${excerpt(text)} starts a regular expression but has no closing slash: write /…/`,
      };
    }
    const source = text.slice(1, closing);
    const flags = text.slice(closing + 1);
    if (!REGEX_FLAGS.test(flags)) {
      return {
        ok: false,
        problem: `regular expression ${excerpt(text)} has flags ${excerpt(flags)}; only "i" is allowed`,
      };
    }
    if (source === '') return { ok: false, problem: 'the regular expression "//" is empty' };
    try {
      compileRegex(source, flags);
    } catch (error) {
      return { ok: false, problem: regexProblem(text, source, error) };
    }
    return { ok: true, pattern: { kind: 'regex', source, flags, position } };
  }
  const kind = /[*?]/.test(text) ? 'glob' : 'literal';
  if (subject === 'topic' && !TOPIC_NAME.test(text.replace(/[*?]/g, 'x'))) {
    const what = kind === 'glob' ? 'glob' : 'topic name';
    return {
      ok: false,
      problem: `${excerpt(text)} is not a valid ${what}: topic names use letters, digits, '.', '_' and '-' (for a regular expression write /…/)`,
    };
  }
  return { ok: true, pattern: { kind, source: text, position } };
}

const compiled = new WeakMap<NamePattern, RE2JS>();

/** A glob as RE2: `*` is any run of characters, `?` one character, everything else itself. */
function globToRegex(glob: string): RE2JS {
  const body = glob
    .split(/([*?])/)
    .map((part) => (part === '*' ? '.*' : part === '?' ? '.' : RE2JS.quote(part)))
    .join('');
  return RE2JS.compile(body, RE2JS.DOTALL);
}

function regexOf(pattern: Exclude<NamePattern, { kind: 'literal' }>): RE2JS {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex =
      pattern.kind === 'glob' ? globToRegex(pattern.source) : compileRegex(pattern.source, pattern.flags);
    compiled.set(pattern, regex);
  }
  return regex;
}

/** Whether one pattern matches the whole of `name`, in time linear in the name's length. */
export function matchesPattern(pattern: NamePattern, name: string): boolean {
  if (pattern.kind === 'literal') return pattern.source === name;
  return regexOf(pattern).testExact(name);
}

/** Included by some pattern and excluded by none: excludes win over includes. */
export function selectsName(selector: NameSelector, name: string): boolean {
  return (
    selector.include.some((pattern) => matchesPattern(pattern, name)) &&
    !selector.exclude.some((pattern) => matchesPattern(pattern, name))
  );
}

/** Topics georep itself owns live under this prefix whatever `groupIdPrefix` is. */
export const GEOREP_TOPIC_PREFIX = 'georep.';

/**
 * Topics that are never mirrored, whatever the patterns say: Kafka's internal topics (`__consumer_offsets`,
 * `__transaction_state`, and every other name starting with `__`) and georep's own topics (names starting
 * with `georep.` or `<groupIdPrefix>.`). Mirroring either would corrupt the destination or feed georep's
 * bookkeeping back into itself.
 */
export function isNeverMirrored(topic: string, daemon: Pick<DaemonSettings, 'groupIdPrefix'>): boolean {
  return (
    topic.startsWith('__') ||
    topic.startsWith(GEOREP_TOPIC_PREFIX) ||
    topic.startsWith(`${daemon.groupIdPrefix}.`)
  );
}

/** georep's own consumer groups (`<groupIdPrefix>-…`) never have their positions translated. */
export function isNeverMirroredGroup(group: string, daemon: Pick<DaemonSettings, 'groupIdPrefix'>): boolean {
  return group.startsWith(`${daemon.groupIdPrefix}-`) || group.startsWith(`${daemon.groupIdPrefix}.`);
}
