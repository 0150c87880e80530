// Secret references: `${env:NAME}` and `${file:PATH}`. A field holding a password or a private key is
// either exactly one reference or inline text; inline secrets are accepted with a warning, since a file
// that holds no secrets can be shared, reviewed and logged. Messages name the reference, never a value.
import { isAbsolute, resolve } from 'node:path';
import type { FileAccess, LoadEnvironment } from './environment.js';

export type Reference =
  | { readonly kind: 'env'; readonly name: string; readonly text: string }
  | { readonly kind: 'file'; readonly path: string; readonly text: string };

export type ParsedValue =
  | { readonly kind: 'reference'; readonly reference: Reference }
  | { readonly kind: 'inline' }
  | { readonly kind: 'malformed'; readonly problem: string };

const REFERENCE = /^\$\{(env|file):([^}]*)\}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads a value as a reference, inline text, or a broken reference (the problem never quotes the value). */
export function parseSecretValue(value: string): ParsedValue {
  const match = REFERENCE.exec(value);
  if (match) {
    const [text, kind, target] = match as unknown as [string, 'env' | 'file', string];
    if (kind === 'env') {
      if (!ENV_NAME.test(target)) {
        return {
          kind: 'malformed',
          problem: `${text} does not name an environment variable (letters, digits and _)`,
        };
      }
      return { kind: 'reference', reference: { kind, name: target, text } };
    }
    if (target === '') return { kind: 'malformed', problem: '${file:} names no file' };
    return { kind: 'reference', reference: { kind, path: target, text } };
  }
  if (value.includes('${')) {
    return {
      kind: 'malformed',
      problem: 'looks like a reference but is not one: write the whole value as ${env:NAME} or ${file:PATH}',
    };
  }
  return { kind: 'inline' };
}

/**
 * The environment variables that `${env:…}` references written in `text` name, each once: what a loader
 * needs at hand before it runs where the environment cannot be asked (a worker thread). A superset (a
 * reference in a comment counts); a reference spelled with YAML escapes is missed, so such a loader must
 * still notice a variable it was not given.
 */
export function envNamesReferencedIn(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g), (match) => match[1]!))];
}

export function resolvePath(path: string, environment: LoadEnvironment): string {
  return isAbsolute(path) ? path : resolve(environment.baseDir, path);
}

/** A secret (password, private key) is read from at most this many bytes: a PEM key is a few KiB. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export type Resolved =
  /** `file` says which file the value came from, and who may read it, when the reference is `${file:…}`. */
  | { readonly ok: true; readonly value: string; readonly file?: ReadFile }
  | { readonly ok: false; readonly problem: string };

export interface ReadFile {
  readonly absolutePath: string;
  readonly access?: FileAccess;
}

/**
 * The text a reference stands for. A file's single trailing newline is removed when `trimNewline` is
 * set (password files are usually written with one); empty values are refused.
 */
export function resolveReference(
  reference: Reference,
  environment: LoadEnvironment,
  trimNewline: boolean,
  maxBytes = MAX_SECRET_FILE_BYTES,
): Resolved {
  if (reference.kind === 'env') {
    const value = environment.env(reference.name);
    if (value === undefined)
      return { ok: false, problem: `${reference.text}: environment variable ${reference.name} is not set` };
    if (value === '')
      return { ok: false, problem: `${reference.text}: environment variable ${reference.name} is empty` };
    return { ok: true, value };
  }
  const absolutePath = resolvePath(reference.path, environment);
  const read = environment.readFile(absolutePath, maxBytes);
  if (!read.ok)
    return { ok: false, problem: `${reference.text}: cannot read ${absolutePath}: ${read.reason}` };
  const value = trimNewline ? read.text.replace(/\r?\n$/, '') : read.text;
  if (value.trim() === '') return { ok: false, problem: `${reference.text}: ${absolutePath} is empty` };
  return { ok: true, value, file: { absolutePath, ...(read.access ? { access: read.access } : {}) } };
}

/**
 * Why a file holding a password or key is readable by too many, or null. The rule is PostgreSQL's for
 * its TLS key: nobody but the owner, or also the group when root owns the file (root:georep 0640, the
 * usual layout for a service whose user must not be able to change its own secrets).
 */
export function tooWidelyReadable(access: FileAccess): string | null {
  const mode = `mode 0${access.mode.toString(8).padStart(3, '0')}`;
  if ((access.mode & 0o004) !== 0) return `it is readable by every user of the host (${mode})`;
  if ((access.mode & 0o040) !== 0 && access.uid !== 0)
    return `it is readable by its group and not owned by root (${mode})`;
  return null;
}
