// What the loader needs from outside the text of the file: environment variables, other files (secrets,
// TLS material) and the directory that relative paths resolve against. Injected, so that parsing and
// validation stay pure and tests need no real files; `systemEnvironment` is the real one.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Who may read a file besides its owner, as far as its mode bits say. */
export interface FileAccess {
  readonly mode: number;
  /** The owner's user id: a root-owned file readable by its group is the usual layout for a service. */
  readonly uid: number;
}

export type ReadFileResult =
  | { readonly ok: true; readonly text: string; readonly access?: FileAccess }
  /** `sizeBytes` is set when the file is larger than the bound it was read with. */
  | { readonly ok: false; readonly reason: string; readonly sizeBytes?: number };

export interface LoadEnvironment {
  /** Relative paths in the file (TLS files, `${file:…}` secrets) resolve against this directory. */
  readonly baseDir: string;
  /** An environment variable's value, or undefined when it is not set. */
  readonly env: (name: string) => string | undefined;
  /**
   * A whole regular file as UTF-8 text, by absolute path, if it holds at most `maxBytes`; a failure says
   * why without quoting content.
   */
  readonly readFile: (absolutePath: string, maxBytes: number) => ReadFileResult;
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads at most `maxBytes` of a regular file as UTF-8. Refuses, without blocking, what has no end or
 * blocks a reader: a directory, a named pipe (opened non-blocking, so no writer is waited for), a device
 * such as /dev/zero. Bytes that are not UTF-8 are an error rather than silently replaced, so that a
 * password is never changed on the way.
 */
export function readTextFile(absolutePath: string, maxBytes: number): ReadFileResult {
  let fd: number;
  try {
    fd = openSync(absolutePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { ok: false, reason: READ_FAILURES[code] ?? (code || 'unreadable') };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, reason: `it is ${kindOf(stats)}, not a regular file` };
    if (stats.size > maxBytes) return tooLarge(stats.size, maxBytes);
    // The file may grow between fstat and read (a writer still at it): read to its end, one byte past the
    // bound at most, so that neither a truncated text nor an unbounded one is taken.
    let buffer = Buffer.alloc(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown);
        buffer = grown;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) return tooLarge(length, maxBytes);
    }
    let text: string;
    try {
      text = UTF8.decode(buffer.subarray(0, length));
    } catch {
      return { ok: false, reason: `it is not UTF-8 text (${firstInvalidUtf8(buffer.subarray(0, length))})` };
    }
    return { ok: true, text, access: { mode: stats.mode & 0o777, uid: stats.uid } };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { ok: false, reason: READ_FAILURES[code] ?? (code || 'unreadable') };
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the first byte that is not UTF-8 is, as `line 3, column 7`: the text decoded with replacement characters
 * up to there, counted as an editor counts. A replacement character the file itself holds (EF BF BD) is skipped.
 */
function firstInvalidUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  for (let at = text.indexOf('\uFFFD'); at >= 0; at = text.indexOf('\uFFFD', at + 1)) {
    const offset = Buffer.byteLength(text.slice(0, at));
    if (bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd) continue;
    const line = text.slice(0, at).split('\n').length;
    const column = at - text.lastIndexOf('\n', at - 1);
    // Not the byte itself: the file may hold a password.
    return `line ${line}, column ${column}`;
  }
  return 'somewhere';
}

function tooLarge(sizeBytes: number, maxBytes: number): ReadFileResult {
  const shown = sizeBytes > maxBytes + 1 ? `${sizeBytes.toLocaleString('en')} bytes` : 'larger';
  return {
    ok: false,
    reason: `it is ${shown}, more than the ${maxBytes.toLocaleString('en')} bytes allowed`,
    sizeBytes,
  };
}

export function systemEnvironment(baseDir: string): LoadEnvironment {
  return { baseDir, env: (name) => process.env[name], readFile: readTextFile };
}
