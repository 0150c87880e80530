import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { formatLogLine, resolveLogFormat } from '../../src/observability/log-format.js';

const runFile = promisify(execFile);
const repoRootDir = path.resolve(import.meta.dirname, '..', '..');

const flowLine = JSON.stringify({
  level: 'info',
  time: '2026-11-26T13:37:26.934Z',
  service: 'georep',
  flow: 'london/orders -> frankfurt/london.orders',
  replication: 'london->frankfurt',
  origin: 'london',
  destination: 'frankfurt',
  topic: 'orders',
  destinationTopic: 'london.orders',
  from: 'starting',
  to: 'running',
  msg: 'flow running',
});

/** Runs `georep run` on an invalid file (it logs, then exits 1): under `script` stdout is a terminal. */
async function runOnInvalidFile(options: { terminal: boolean }): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'georep-log-format-'));
  try {
    const file = path.join(dir, 'geo-replication.yaml');
    writeFileSync(file, 'clusters: {}\n');
    const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'run', '-c', file];
    const result = await (options.terminal
      ? runFile('script', ['-qec', command.map((word) => `'${word}'`).join(' '), '/dev/null'], {
          cwd: repoRootDir,
          env: { ...process.env, NO_COLOR: '1' },
        })
      : runFile(command[0]!, command.slice(1), { cwd: repoRootDir })
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('log lines for a terminal', () => {
  test('one readable line: time, level, message, then the fields the flow key does not already say', () => {
    assert.equal(
      formatLogLine(flowLine, false),
      '13:37:26.934 INFO  flow running  flow="london/orders -> frankfurt/london.orders" from=starting to=running\n',
    );
  });

  test("an error's stack follows on indented lines; colours only when asked", () => {
    const line = JSON.stringify({
      level: 'error',
      time: '2026-11-26T13:37:27.000Z',
      msg: 'closing a cluster client failed',
      cluster: 'london',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at close (admin.ts:1:1)' },
    });
    assert.equal(
      formatLogLine(line, false),
      '13:37:27.000 ERROR closing a cluster client failed  cluster=london\n    Error: boom\n        at close (admin.ts:1:1)\n',
    );
    assert.ok(formatLogLine(line, true).includes('\u001b[31mERROR\u001b[0m'));
  });

  test('auto means pretty on a terminal and JSON anywhere else', () => {
    assert.equal(resolveLogFormat('auto', true), 'pretty');
    assert.equal(resolveLogFormat('auto', false), 'json');
    assert.equal(resolveLogFormat('json', true), 'json');
  });

  test('georep run writes JSON lines to a pipe (journald) and readable lines to a terminal', {
    skip: process.platform === 'linux' ? undefined : 'script(1) options differ outside Linux',
    timeout: 60_000,
  }, async () => {
    const piped = (await runOnInvalidFile({ terminal: false })).trim().split('\n');
    assert.ok(piped.length >= 2);
    for (const line of piped) assert.equal(typeof JSON.parse(line).level, 'string', line);

    const shown = await runOnInvalidFile({ terminal: true });
    assert.match(shown, /^\d\d:\d\d:\d\d\.\d{3} FATAL .*geo-replication\.yaml/m);
    assert.doesNotMatch(shown, /"level":/);
  });
});
