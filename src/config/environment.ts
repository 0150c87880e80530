// What the loader needs from outside the text of the file: environment variables, other files (secrets,
// TLS material) and the directory that relative paths resolve against. Injected, so that parsing and
// validation stay pure and tests need no real files; `systemEnvironment` is the real one.
import { readFileSync } from 'node:fs';

export type ReadFileResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string };

export interface LoadEnvironment {
  /** Relative paths in the file (TLS files, `${file:…}` secrets) resolve against this directory. */
  readonly baseDir: string;
  /** An environment variable's value, or undefined when it is not set. */
  readonly env: (name: string) => string | undefined;
  /** A whole file as UTF-8 text, by absolute path; a failure says why without quoting content. */
  readonly readFile: (absolutePath: string) => ReadFileResult;
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
};

/** Reads a file, turning failures into a short reason (never the content). */
export function readTextFile(absolutePath: string): ReadFileResult {
  try {
    return { ok: true, text: readFileSync(absolutePath, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { ok: false, reason: READ_FAILURES[code] ?? (code || 'unreadable') };
  }
}

export function systemEnvironment(baseDir: string): LoadEnvironment {
  return { baseDir, env: (name) => process.env[name], readFile: readTextFile };
}
