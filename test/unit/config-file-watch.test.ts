// The config file watch on real directories: which entries a path goes through (symlinks on the way, the file
// it ends at), and that each way an operator replaces the file is seen once, without a SIGHUP: a rename over
// it, a symlink re-pointed, a write to the new target, a Kubernetes ConfigMap `..data` swap (twice: the watch
// follows the first swap), a release `current` link swapped. Unrelated files beside it are not.
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathEntries, watchConfigFile } from '../../src/runtime/config-file-watch.js';

const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'georep-watch-')));
after(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
function freshDir(): string {
  const dir = path.join(root, `case-${++dirCount}`);
  mkdirSync(dir);
  return dir;
}

/** As `ln -sfn` and kubelet do: a new link beside the old one, renamed over it (atomic). */
function repoint(link: string, target: string): void {
  const temporary = `${link}.tmp`;
  symlinkSync(target, temporary);
  renameSync(temporary, link);
}

/** Kubelet's ConfigMap update: a new timestamped directory, `..data` renamed to point at it, the old one gone. */
function configMapSwap(dir: string, version: string, text: string, previous: string | null): void {
  mkdirSync(path.join(dir, version));
  writeFileSync(path.join(dir, version, 'geo-replication.yaml'), text);
  repoint(path.join(dir, '..data'), version);
  if (previous !== null) rmSync(path.join(dir, previous), { recursive: true });
}

describe('pathEntries: what the config path goes through', () => {
  test('a plain file is its own only entry', () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'geo.yaml'), 'a');
    assert.deepEqual(pathEntries(path.join(dir, 'geo.yaml')), [{ dir, name: 'geo.yaml' }]);
  });

  test('a ConfigMap mount: the file link, the ..data link, and the file in the version directory', () => {
    const dir = freshDir();
    configMapSwap(dir, '..2026_12_04_v1', 'a', null);
    symlinkSync('..data/geo-replication.yaml', path.join(dir, 'geo-replication.yaml'));
    assert.deepEqual(pathEntries(path.join(dir, 'geo-replication.yaml')), [
      { dir, name: 'geo-replication.yaml' },
      { dir, name: '..data' },
      { dir: path.join(dir, '..2026_12_04_v1'), name: 'geo-replication.yaml' },
    ]);
  });

  test('a release layout: the current link on the way, then the file of the release', () => {
    const dir = freshDir();
    mkdirSync(path.join(dir, 'releases', '7'), { recursive: true });
    writeFileSync(path.join(dir, 'releases', '7', 'geo.yaml'), 'a');
    symlinkSync('releases/7', path.join(dir, 'current'));
    assert.deepEqual(pathEntries(path.join(dir, 'current', 'geo.yaml')), [
      { dir, name: 'current' },
      { dir: path.join(dir, 'releases', '7'), name: 'geo.yaml' },
    ]);
  });

  test('an absolute link, and .. after a link, resolve as the kernel does', () => {
    const dir = freshDir();
    mkdirSync(path.join(dir, 'real', 'conf'), { recursive: true });
    writeFileSync(path.join(dir, 'real', 'geo.yaml'), 'a');
    symlinkSync(path.join(dir, 'real', 'conf'), path.join(dir, 'conf'));
    assert.deepEqual(pathEntries(`${dir}/conf/../geo.yaml`), [
      { dir, name: 'conf' },
      { dir: path.join(dir, 'real'), name: 'geo.yaml' },
    ]);
  });

  test('a missing file, or a link to one, ends at the missing entry (its creation is watched)', () => {
    const dir = freshDir();
    assert.deepEqual(pathEntries(path.join(dir, 'nope', 'geo.yaml')), [{ dir, name: 'nope' }]);
    symlinkSync('gone.yaml', path.join(dir, 'dangling.yaml'));
    assert.deepEqual(pathEntries(path.join(dir, 'dangling.yaml')), [
      { dir, name: 'dangling.yaml' },
      { dir, name: 'gone.yaml' },
    ]);
  });

  test('a symlink loop ends the walk instead of spinning', () => {
    const dir = freshDir();
    symlinkSync('b', path.join(dir, 'a'));
    symlinkSync('a', path.join(dir, 'b'));
    const entries = pathEntries(path.join(dir, 'a'));
    assert.ok(entries.length <= 41, `${entries.length} entries`);
    assert.deepEqual(new Set(entries.map((entry) => entry.name)), new Set(['a', 'b']));
  });
});

/** A watch that counts its calls; `waitForCalls(n)` waits until there were n. */
function countingWatch(file: string, quietMs = 100) {
  let calls = 0;
  const watch = watchConfigFile(file, {
    quietMs,
    onChange: () => {
      calls++;
    },
    onWatchError: (dir, error) => assert.fail(`cannot watch ${dir}: ${String(error)}`),
  });
  return {
    watch,
    get calls() {
      return calls;
    },
    async waitForCalls(expected: number, what: string): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (calls < expected) {
        if (Date.now() > deadline) assert.fail(`${what}: the watch did not fire (${calls} calls)`);
        await sleep(20);
      }
    },
  };
}

describe('watchConfigFile: every way of replacing the file is seen', () => {
  test('a rename over the file, a write in place; a burst of writes counts once', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'geo.yaml');
    writeFileSync(file, 'a');
    const counting = countingWatch(file, 300);
    try {
      writeFileSync(path.join(dir, '.geo.yaml.tmp'), 'b');
      renameSync(path.join(dir, '.geo.yaml.tmp'), file);
      await counting.waitForCalls(1, 'rename over the file');
      for (let write = 0; write < 5; write++) writeFileSync(file, `c${write}`);
      await counting.waitForCalls(2, 'writes in place');
      await sleep(600);
      assert.equal(counting.calls, 2, 'five writes in a row are one change');
    } finally {
      counting.watch.close();
    }
  });

  test('a re-pointed symlink, then writes to its new target (and not to the old one)', async () => {
    const dir = freshDir();
    writeFileSync(path.join(dir, 'a.yaml'), 'a');
    writeFileSync(path.join(dir, 'b.yaml'), 'b');
    mkdirSync(path.join(dir, 'conf'));
    const link = path.join(dir, 'conf', 'geo.yaml');
    symlinkSync('../a.yaml', link);
    const counting = countingWatch(link);
    try {
      repoint(link, '../b.yaml');
      await counting.waitForCalls(1, 're-pointed link');
      assert.deepEqual(counting.watch.entries().at(-1), { dir, name: 'b.yaml' });
      writeFileSync(path.join(dir, 'a.yaml'), 'a2');
      await sleep(500);
      assert.equal(counting.calls, 1, 'the file the link no longer points at is not the config');
      writeFileSync(path.join(dir, 'b.yaml'), 'b2');
      await counting.waitForCalls(2, 'write to the new target');
    } finally {
      counting.watch.close();
    }
  });

  test('a ConfigMap ..data swap, twice, with the old version directory deleted each time', async () => {
    const dir = freshDir();
    configMapSwap(dir, '..v1', 'one', null);
    symlinkSync('..data/geo-replication.yaml', path.join(dir, 'geo-replication.yaml'));
    const counting = countingWatch(path.join(dir, 'geo-replication.yaml'));
    try {
      configMapSwap(dir, '..v2', 'two', '..v1');
      await counting.waitForCalls(1, 'first ..data swap');
      configMapSwap(dir, '..v3', 'three', '..v2');
      await counting.waitForCalls(2, 'second ..data swap');
      assert.deepEqual(counting.watch.entries().at(-1), {
        dir: path.join(dir, '..v3'),
        name: 'geo-replication.yaml',
      });
    } finally {
      counting.watch.close();
    }
  });

  test('a release link swapped to the next release', async () => {
    const dir = freshDir();
    for (const release of ['1', '2']) {
      mkdirSync(path.join(dir, 'releases', release), { recursive: true });
      writeFileSync(path.join(dir, 'releases', release, 'geo.yaml'), release);
    }
    symlinkSync('releases/1', path.join(dir, 'current'));
    const counting = countingWatch(path.join(dir, 'current', 'geo.yaml'));
    try {
      repoint(path.join(dir, 'current'), 'releases/2');
      await counting.waitForCalls(1, 'current swapped');
      writeFileSync(path.join(dir, 'releases', '2', 'geo.yaml'), '2b');
      await counting.waitForCalls(2, 'write to the file of the new release');
    } finally {
      counting.watch.close();
    }
  });

  test('a file created where there was none is seen; other files beside it are not', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'geo.yaml');
    const counting = countingWatch(file);
    try {
      writeFileSync(path.join(dir, 'notes.txt'), 'unrelated');
      writeFileSync(path.join(dir, 'geo.yaml.swp'), 'an editor swap file');
      await sleep(500);
      assert.equal(counting.calls, 0, 'files beside the config are not the config');
      writeFileSync(file, 'a');
      await counting.waitForCalls(1, 'file created');
    } finally {
      counting.watch.close();
    }
  });
});
