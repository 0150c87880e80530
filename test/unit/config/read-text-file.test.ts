// Reading a config, secret or certificate file: bounded, whole, and refused with a reason.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readTextFile } from '../../../src/config/environment.js';

test('a file read to its end even when it holds more than its size said (one still being written)', () => {
  // /proc files are regular files whose size reads 0: the case of a file that grew after fstat.
  const result = readTextFile('/proc/self/status', 1024 * 1024);
  assert.equal(result.ok, true);
  assert.match(result.ok ? result.text : '', /^Name:.*\n[\s\S]*\nPid:\s+\d+\n/);
});

test('a file larger than the bound is refused, also when its size said otherwise', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'georep-read-'));
  const file = path.join(dir, 'big.yaml');
  writeFileSync(file, 'a'.repeat(2000));
  const result = readTextFile(file, 1000);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.reason, /more than the 1,000 bytes allowed/);
  assert.equal(readTextFile('/proc/self/status', 10).ok, false, 'a size of 0 does not pass the bound');
});

test('a file that is not UTF-8 is refused with where its first foreign byte is', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'georep-read-'));
  const file = path.join(dir, 'latin1.yaml');
  // A replacement character the file holds is UTF-8; the Latin-1 é (0xE9) on line 3 is not.
  writeFileSync(
    file,
    Buffer.concat([Buffer.from('clusters:\n  # \uFFFD ok\n  caf'), Buffer.from([0xe9]), Buffer.from(':\n')]),
  );
  const result = readTextFile(file, 1000);
  assert.equal(result.ok ? '' : result.reason, 'it is not UTF-8 text (line 3, column 6)');
});
