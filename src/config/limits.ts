// Limits on a configuration file, checked before the YAML parser builds anything: a file too large,
// nested too deep, with too many entries in one list or mapping, or with one huge value is refused with
// a positioned error, so that a careless or hostile reload cannot run the daemon out of memory or time
// while the running flows carry on. The checks read yaml's lexer tokens in one pass, keeping only a stack
// as deep as the nesting, so they cost time linear in the file and next to no memory.
import { Lexer } from 'yaml';

export const CONFIG_LIMITS = {
  /**
   * 4 MiB: 10,000 replications (the most `georep validate` is measured with) written one per block take
   * about 2.5 MB; a real file is a few KiB. Parsing a file costs up to ~100 times its size in memory.
   */
  maxFileBytes: 4 * 1024 * 1024,
  /** A real file nests 6 levels (replications → entry → naming → prefix → separator); the parser and
   * the validator recurse once per level. */
  maxDepth: 64,
  /** Entries in one list or mapping: enough for 10,000 replications. */
  maxEntries: 10_000,
  /** One value (scalar): room for an inline PEM bundle of the system's CAs (~220 KB). */
  maxValueChars: 256 * 1024,
} as const;

/** The size limit on the text, checked before anything else. */
export function checkFileSize(bytes: number): LimitProblem | null {
  if (bytes <= CONFIG_LIMITS.maxFileBytes) return null;
  return {
    offset: 0,
    message: `the file is ${bytes.toLocaleString('en')} bytes long; a configuration file may have at most ${CONFIG_LIMITS.maxFileBytes.toLocaleString('en')} (4 MiB)`,
  };
}

export interface LimitProblem {
  /** Character offset in the text. */
  readonly offset: number;
  readonly message: string;
}

export interface LimitScan {
  /** The first limit exceeded, or null. */
  readonly problem: LimitProblem | null;
  /** Where the first `[` or `{` starts that yaml cut off before its closing bracket, or null. */
  readonly unclosedFlowOffset: number | null;
}

/** Lexer tokens that stand for no text: document start, "a scalar follows", and a cut-off flow. */
const DOCUMENT = '\u0002';
const SCALAR = '\u001f';
const FLOW_END = '\u0018';

/** An open list or mapping: a block one at a column, or a flow one (`[`, `{`, column null). */
interface Frame {
  readonly column: number | null;
  /** The closing bracket a flow collection expects. */
  readonly closing?: ']' | '}';
  readonly offset: number;
  /** Entries so far; for a flow collection, its commas plus one. */
  entries: number;
}

function tooMany(frame: Frame): LimitProblem {
  return {
    offset: frame.offset,
    message: `this list or mapping has more than ${CONFIG_LIMITS.maxEntries.toLocaleString('en')} entries, the most a configuration file may have in one place`,
  };
}

/**
 * Scans the text for the nesting, entry and value-size limits. Nesting is counted from yaml's tokens:
 * every `[` and `{`, and every block indicator (`- `, `? `, `key:`) at a column right of the open block
 * collections. That is an upper bound of the parser's nesting, exact for files written as usual.
 */
export function scanLimits(text: string): LimitScan {
  const stack: Frame[] = [];
  let offset = 0;
  let lineStart = 0;
  let scalarNext = false;
  /** The column where the content after the last block indicator (or the line's indentation) starts. */
  let keyColumn: number | null = null;
  let unclosedFlowOffset: number | null = null;
  const inFlow = (): boolean => stack.length > 0 && stack[stack.length - 1]!.column === null;

  const openBlock = (column: number, at: number): LimitProblem | null => {
    while (stack.length > 0 && stack[stack.length - 1]!.column !== null) {
      const top = stack[stack.length - 1]!;
      if (top.column! < column) break;
      if (top.column === column) {
        top.entries++;
        return top.entries > CONFIG_LIMITS.maxEntries ? tooMany(top) : null;
      }
      stack.pop();
    }
    return push({ column, offset: at, entries: 1 });
  };
  const push = (frame: Frame): LimitProblem | null => {
    stack.push(frame);
    if (stack.length <= CONFIG_LIMITS.maxDepth) return null;
    return {
      offset: frame.offset,
      message: `the file nests lists and mappings more than ${CONFIG_LIMITS.maxDepth} levels deep here; a configuration needs fewer than 10`,
    };
  };

  for (const token of new Lexer().lex(text)) {
    const at = offset;
    if (token !== DOCUMENT && token !== SCALAR && token !== FLOW_END) offset += token.length;
    let problem: LimitProblem | null = null;
    const isScalar = scalarNext || token.startsWith('"') || token.startsWith("'");
    scalarNext = token === SCALAR;
    if (isScalar) {
      keyColumn ??= at - lineStart;
      if (token.length > CONFIG_LIMITS.maxValueChars) {
        problem = {
          offset: at,
          message: `this value is ${token.length.toLocaleString('en')} characters long; at most ${CONFIG_LIMITS.maxValueChars.toLocaleString('en')} are allowed`,
        };
      }
    } else if (token === '\n' || token === '\r\n') {
      lineStart = offset;
      keyColumn = null;
    } else if (token === '[' || token === '{') {
      keyColumn ??= at - lineStart;
      problem = push({ column: null, closing: token === '[' ? ']' : '}', offset: at, entries: 1 });
    } else if (token === ']' || token === '}') {
      // A bracket of the other kind is closed by this one, so it was left open: `{ a: [b }`.
      while (inFlow() && stack[stack.length - 1]!.closing !== token) {
        const unclosed = stack.pop()!;
        unclosedFlowOffset ??= unclosed.offset;
      }
      if (inFlow()) stack.pop();
    } else if (token === ',') {
      const top = stack[stack.length - 1];
      if (top !== undefined && top.column === null && ++top.entries > CONFIG_LIMITS.maxEntries) {
        problem = tooMany(top);
      }
    } else if (token === FLOW_END) {
      // yaml left flow mode at a line indented too little: the brackets still open were never closed.
      // The innermost is the likely mistake: it was the one to close first.
      if (inFlow()) unclosedFlowOffset ??= stack[stack.length - 1]!.offset;
      while (inFlow()) stack.pop();
    } else if (!inFlow() && (token === '-' || token === '?')) {
      problem = openBlock(at - lineStart, at);
      keyColumn = null;
    } else if (!inFlow() && token === ':') {
      const column = keyColumn ?? at - lineStart;
      problem = openBlock(column, lineStart + column);
      keyColumn = null;
    } else if (token.trim() !== '' && !token.startsWith('#')) {
      keyColumn ??= at - lineStart;
    }
    if (problem !== null) return { problem, unclosedFlowOffset };
  }
  // The text ended inside a flow collection.
  unclosedFlowOffset ??= stack.findLast((frame) => frame.column === null)?.offset ?? null;
  return { problem: null, unclosedFlowOffset };
}
