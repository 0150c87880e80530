// Watching the config file the ways operators replace it: a write in place, a rename over it (Ansible, most
// editors), a symlink re-pointed at another file, a write to the file a symlink points at, a Kubernetes
// ConfigMap update (`geo-replication.yaml` -> `..data/geo-replication.yaml`, `..data` -> `..2026_…`, the
// update renames a new `..data` link over the old one), and a release layout (`current` -> `releases/N`).
//
// What the path reads can change through any directory entry met while resolving it: every symlink on the
// way, and the file it ends at. Each such entry is watched through its directory (an inotify watch on a
// directory reports writes to its files, renames and new links), filtered by name. After a burst of events
// has been quiet for `quietMs`, the path is resolved again (a swap changes which entries matter) and the
// listener is called once. Whether the bytes changed is for the listener to decide.
import { type FSWatcher, lstatSync, readlinkSync, watch } from 'node:fs';
import path from 'node:path';

/** A directory entry that, when it changes, may change what the config path reads. */
export interface PathEntry {
  readonly dir: string;
  readonly name: string;
}

/** As Linux's limit on symlinks followed in one lookup (ELOOP). */
const MAX_SYMLINKS = 40;
/** How soon to try again when a directory could not be watched (it was deleted while being resolved). */
const REWATCH_DELAY_MS = 1000;

/**
 * The entries `file` goes through as the kernel resolves it: each symlink met (in the real directory that
 * holds it) and the entry it ends at. A missing entry ends the walk and is included, so that its creation
 * is seen. `..` after a symlink goes up from the link's target, as the kernel does.
 */
export function pathEntries(file: string): PathEntry[] {
  const absolute = path.isAbsolute(file) ? file : `${process.cwd()}${path.sep}${file}`;
  const entries: PathEntry[] = [];
  let pending = absolute.split(path.sep).filter((part) => part !== '' && part !== '.');
  let dir = path.parse(absolute).root;
  let symlinksFollowed = 0;
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    if (name === '..') {
      dir = path.dirname(dir);
      continue;
    }
    const full = path.join(dir, name);
    let isSymlink: boolean;
    try {
      isSymlink = lstatSync(full).isSymbolicLink();
    } catch {
      entries.push({ dir, name });
      break;
    }
    if (!isSymlink) {
      if (pending.length === 0) entries.push({ dir, name });
      dir = full;
      continue;
    }
    entries.push({ dir, name });
    if (++symlinksFollowed > MAX_SYMLINKS) break;
    let target: string;
    try {
      target = readlinkSync(full);
    } catch {
      break; // replaced between the two looks: its folder's watch reports it, and the path is resolved again
    }
    if (path.isAbsolute(target)) dir = path.parse(target).root;
    pending = [...target.split(path.sep).filter((part) => part !== '' && part !== '.'), ...pending];
  }
  return entries;
}

export interface ConfigFileWatchOptions {
  /** How long events must have stopped before the change is taken: a burst of writes counts once. */
  readonly quietMs: number;
  /** Called once per burst, after the path was resolved again. */
  readonly onChange: () => void;
  /** A directory on the way could not be watched (reported once until it can); the watch tries again. */
  readonly onWatchError: (dir: string, error: unknown) => void;
}

export interface ConfigFileWatch {
  /** The entries watched now (tests, logs). */
  readonly entries: () => readonly PathEntry[];
  close(): void;
}

/** Watches what `file` resolves to, and the symlinks on the way; see the top of this file. */
export function watchConfigFile(file: string, options: ConfigFileWatchOptions): ConfigFileWatch {
  const watched = new Map<string, { readonly watcher: FSWatcher; names: ReadonlySet<string> }>();
  let entries: PathEntry[] = [];
  let quietTimer: NodeJS.Timeout | null = null;
  let rewatchTimer: NodeJS.Timeout | null = null;
  /** Directories the last attempt could not watch. */
  let unwatchable = new Set<string>();
  let closed = false;

  const changed = () => {
    if (closed) return;
    if (quietTimer !== null) clearTimeout(quietTimer);
    quietTimer = setTimeout(() => {
      quietTimer = null;
      if (closed) return;
      arm();
      options.onChange();
    }, options.quietMs);
  };

  const unwatch = (dir: string) => {
    watched.get(dir)?.watcher.close();
    watched.delete(dir);
  };

  /** Resolves the path again and watches exactly the directories it goes through now; false if one failed. */
  const arm = (): boolean => {
    entries = pathEntries(file);
    const namesByDir = new Map<string, Set<string>>();
    for (const { dir, name } of entries) namesByDir.set(dir, (namesByDir.get(dir) ?? new Set()).add(name));
    for (const dir of watched.keys()) if (!namesByDir.has(dir)) unwatch(dir);
    const failed = new Set<string>();
    for (const [dir, names] of namesByDir) {
      const existing = watched.get(dir);
      if (existing !== undefined) {
        existing.names = names;
        continue;
      }
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          const names = watched.get(dir)?.names;
          // No name (some platforms, an overflowed queue): anything may have changed.
          if (name === null || names === undefined || names.has(name)) changed();
        });
        // The directory itself went away (an old ConfigMap version deleted after a swap): resolve again.
        watcher.on('error', () => {
          unwatch(dir);
          changed();
        });
        watched.set(dir, { watcher, names });
      } catch (error) {
        failed.add(dir);
        if (!unwatchable.has(dir)) options.onWatchError(dir, error);
      }
    }
    unwatchable = failed;
    if (failed.size > 0 && rewatchTimer === null) {
      rewatchTimer = setTimeout(() => {
        rewatchTimer = null;
        // What changed while a folder was not watched is unknown: once it is watched, look at the file again.
        if (!closed && arm()) options.onChange();
      }, REWATCH_DELAY_MS);
      rewatchTimer.unref();
    }
    return failed.size === 0;
  };

  arm();
  return {
    entries: () => entries,
    close() {
      closed = true;
      if (quietTimer !== null) clearTimeout(quietTimer);
      if (rewatchTimer !== null) clearTimeout(rewatchTimer);
      for (const dir of [...watched.keys()]) unwatch(dir);
    },
  };
}
