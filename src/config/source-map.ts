// Maps a field path (e.g. ['clusters', 'london', 'bootstrap', 0]) back to where it is written in the
// YAML text, so that every issue can say file:line:col. Parts of a path that do not exist in the
// document (a missing field) fall back to the deepest part that does.
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { SourcePosition } from './types.js';

export type FieldPath = readonly (string | number)[];

/** `replications[0].topics.include[1]`; keys that are not plain identifiers are quoted. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) text += text === '' ? part : `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text;
}

/** What to point at: the key of a field (unknown or misplaced fields), or its value (bad values). */
export type Target = 'key' | 'value';

export class SourceMap {
  /** Offsets at which each line starts. Computed here rather than by yaml's LineCounter, which misses
   * line breaks inside tokens that the parser rejected, and would then place later issues wrongly. */
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    private readonly text: string,
    /** Null before the text is parsed: then only offsets can be placed. */
    private readonly doc: Document | null,
  ) {
    for (let offset = text.indexOf('\n'); offset !== -1; offset = text.indexOf('\n', offset + 1)) {
      this.lineStarts.push(offset + 1);
    }
  }

  /** 1-based line and column of a character offset, clamped to the text. */
  positionOfOffset(offset: number): SourcePosition {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.lineStarts[middle]! <= clamped) low = middle;
      else high = middle - 1;
    }
    return { file: this.file, line: low + 1, col: clamped - this.lineStarts[low]! + 1 };
  }

  /**
   * Where a field is written. For `key`, the key of a mapping entry (or the start of a sequence item);
   * for `value`, the value's first character. A path through a missing field stops at the deepest
   * field that exists, pointing at its key so that "missing field" errors land on their parent.
   */
  positionOf(path: FieldPath, target: Target): SourcePosition {
    return this.positionOfNode(this.nodeAt(path, target));
  }

  /** A scalar field as written (`9007199254740993`, where the value read is a double that cannot hold it). */
  writtenAt(path: FieldPath): string | undefined {
    const node = this.resolve(this.nodeAt(path, 'value'));
    return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  }

  /** The node positionOf places: the field's key or value, or the deepest field that exists. */
  private nodeAt(path: FieldPath, target: Target): unknown {
    let node: unknown = this.doc?.contents;
    let keyNode: Node | null = null;
    for (const [index, part] of path.entries()) {
      node = this.resolve(node);
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part),
        );
        if (!pair) return keyNode ?? node;
        keyNode = pair.key as Node;
        if (last && target === 'key') return keyNode;
        if (pair.value === null || pair.value === undefined) return keyNode;
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number' && node.items[part] !== undefined) {
        node = node.items[part];
        keyNode = null;
      } else {
        return keyNode ?? node;
      }
    }
    return node;
  }

  private resolve(node: unknown): unknown {
    // An alias stands for its anchored node; follow it so that paths through `*anchor` still resolve.
    return isAlias(node) && this.doc !== null ? (node.resolve(this.doc) ?? node) : node;
  }

  private positionOfNode(node: unknown): SourcePosition {
    const range = (node as Node | null | undefined)?.range;
    return this.positionOfOffset(range ? range[0] : 0);
  }
}
