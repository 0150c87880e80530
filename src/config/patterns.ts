// Topic and consumer-group name patterns: how they are written, compiled and matched. Pure functions;
// the planner calls `selectsName` and `isNeverMirrored` for every topic an origin lists.
//
// Syntax of one pattern (the same for include and exclude lists, topics and groups):
//   orders                 a literal name, matched exactly
//   orders.*  audit-??     a glob: `*` is any run of characters (also none, also '.'), `?` exactly one;
//                          matched against the whole name
//   /^orders\.(eu|us)$/    a JavaScript regular expression between slashes, optionally followed by
//                          the flag `i`; it must match the WHOLE name (it is anchored whether or not it
//                          is written with ^ and $), as MirrorMaker 2's topic lists are
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

/**
 * Reads one pattern as written in the file. For topics, literal names and globs must be able to match
 * a valid topic name; group ids have no such restriction.
 */
export function parsePattern(text: string, subject: PatternSubject, position: SourcePosition): ParsedPattern {
  if (text.startsWith('/')) {
    const closing = text.lastIndexOf('/');
    if (closing === 0) {
      return {
        ok: false,
        problem: `"${text}" starts a regular expression but has no closing slash: write /…/`,
      };
    }
    const source = text.slice(1, closing);
    const flags = text.slice(closing + 1);
    if (!REGEX_FLAGS.test(flags)) {
      return { ok: false, problem: `regular expression "${text}" has flags "${flags}"; only "i" is allowed` };
    }
    if (source === '') return { ok: false, problem: 'the regular expression "//" is empty' };
    try {
      new RegExp(source, flags);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^.*: /, '') : String(error);
      return { ok: false, problem: `regular expression ${text} does not compile: ${reason}` };
    }
    return { ok: true, pattern: { kind: 'regex', source, flags, position } };
  }
  const kind = /[*?]/.test(text) ? 'glob' : 'literal';
  if (subject === 'topic' && !TOPIC_NAME.test(text.replace(/[*?]/g, 'x'))) {
    const what = kind === 'glob' ? 'glob' : 'topic name';
    return {
      ok: false,
      problem: `"${text}" is not a valid ${what}: topic names use letters, digits, '.', '_' and '-' (for a regular expression write /…/)`,
    };
  }
  return { ok: true, pattern: { kind, source: text, position } };
}

const compiled = new WeakMap<NamePattern, RegExp>();

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\*?]/g, (char) =>
    char === '*' ? '.*' : char === '?' ? '.' : `\\${char}`,
  );
  return new RegExp(`^(?:${body})$`, 's');
}

function regExpOf(pattern: Exclude<NamePattern, { kind: 'literal' }>): RegExp {
  let regExp = compiled.get(pattern);
  if (regExp === undefined) {
    regExp =
      pattern.kind === 'glob'
        ? globToRegExp(pattern.source)
        : new RegExp(`^(?:${pattern.source})$`, pattern.flags);
    compiled.set(pattern, regExp);
  }
  return regExp;
}

/** Whether one pattern matches the whole of `name`. */
export function matchesPattern(pattern: NamePattern, name: string): boolean {
  if (pattern.kind === 'literal') return pattern.source === name;
  return regExpOf(pattern).test(name);
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
