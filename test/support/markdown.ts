// What the docs check reads out of a markdown page: fenced blocks, links, inline code, heading anchors, and
// the shell commands of a block. Plain functions over text, enough for our own pages, not CommonMark.

export interface Fence {
  /** The info string's first word: `sh`, `yaml`, `console`, or '' for none. */
  readonly lang: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lines: readonly string[];
}

export interface Markdown {
  readonly fences: readonly Fence[];
  /** The page with every fenced block blanked out, line numbers kept. */
  readonly prose: string;
}

export function parseMarkdown(text: string): Markdown {
  const fences: Fence[] = [];
  const prose: string[] = [];
  let open: { marker: string; lang: string; line: number; lines: string[] } | null = null;
  text.split('\n').forEach((line, index) => {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open === null && fence !== null) {
      open = { marker: fence[1]!, lang: fence[2] ?? '', line: index + 1, lines: [] };
      prose.push('');
    } else if (open !== null && line.trim().startsWith(open.marker)) {
      fences.push({ lang: open.lang, line: open.line, lines: open.lines });
      open = null;
      prose.push('');
    } else if (open !== null) {
      open.lines.push(line);
      prose.push('');
    } else {
      prose.push(line);
    }
  });
  return { fences, prose: prose.join('\n') };
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

export interface Found {
  readonly line: number;
  readonly text: string;
}

/** Targets of `[label](target)` links in the prose (labels may span lines and hold `[…]`). */
export function linkTargets(prose: string): Found[] {
  return [...prose.matchAll(/\[(?:[^[\]]|\[[^\]]*\])*\]\(([^()\s]+)\)/g)].map((match) => ({
    line: lineAt(prose, match.index),
    text: match[1]!,
  }));
}

/** The contents of `inline code` spans in the prose. */
export function inlineCode(prose: string): Found[] {
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((match) => ({
    line: lineAt(prose, match.index),
    text: match[1]!,
  }));
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
export function headingAnchors(prose: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = base;
    for (let repeat = 1; anchors.has(anchor); repeat++) anchor = `${base}-${repeat}`;
    anchors.add(anchor);
  }
  return anchors;
}

export interface ShellCommand {
  readonly line: number;
  readonly words: readonly string[];
}

/**
 * The simple commands of a shell block, each as its words: lines joined at a trailing `\`, comments and
 * here-document bodies dropped, split at `|`, `&&`, `||` and `;`, quotes removed, redirections left out.
 * `console` blocks pass only their `$ ` lines.
 */
export function shellCommands(fence: Fence): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let hereDocEnd: string | null = null;
  let pending = '';
  let pendingLine = 0;
  fence.lines.forEach((raw, index) => {
    const line = fence.line + 1 + index;
    if (hereDocEnd !== null) {
      if (raw.trim() === hereDocEnd) hereDocEnd = null;
      return;
    }
    let text = raw;
    if (fence.lang === 'console') {
      if (!text.startsWith('$ ')) return;
      text = text.slice(2);
    }
    if (pending === '') pendingLine = line;
    if (text.endsWith('\\')) {
      pending += `${text.slice(0, -1)} `;
      return;
    }
    const logical = pending + text;
    pending = '';
    hereDocEnd = /<<-?\s*['"]?(\w+)['"]?/.exec(logical)?.[1] ?? null;
    for (const words of splitCommands(logical)) commands.push({ line: pendingLine, words });
  });
  return commands;
}

/** Words of each simple command of one logical line. */
export function splitCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  const endWord = () => {
    if (word !== null && !/^(\d?[<>]|<<)/.test(word)) commands.at(-1)!.push(word);
    word = null;
  };
  for (let at = 0; at < line.length; at++) {
    const char = line[at]!;
    if (quote !== null) {
      if (char === quote) quote = null;
      else word = (word ?? '') + char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      endWord();
    } else if (char === '#' && word === null) {
      break;
    } else if (char === '|' || char === ';' || (char === '&' && line[at + 1] === '&')) {
      endWord();
      if (line[at + 1] === char) at++;
      commands.push([]);
    } else {
      word = (word ?? '') + char;
    }
  }
  endWord();
  return commands.filter((words) => words.length > 0);
}
