// `georep offsets` command lines that need no Kafka: usage errors exit 2, and a group that no replication
// follows exits 1 naming the file, before any cluster is contacted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function georep(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('georep offsets', () => {
  test('--help documents the exit statuses and exits 0', () => {
    const { status, stdout } = georep(['offsets', '--help']);
    assert.equal(status, 0);
    assert.match(stdout, /^usage: georep offsets --config FILE --group GROUP/);
    assert.match(stdout, /--apply/);
  });

  test('a missing --group is a usage error: exit 2 with the usage', () => {
    const { status, stderr } = georep(['offsets', '-c', 'examples/disaster-recovery.yaml']);
    assert.equal(status, 2);
    assert.match(stderr, /georep offsets: --group GROUP is required/);
  });

  test('a group that no replication follows: exit 1, naming the file', () => {
    const { status, stderr } = georep([
      'offsets',
      '-c',
      'examples/disaster-recovery.yaml',
      '--group',
      'billing-test',
    ]);
    assert.equal(status, 1);
    assert.equal(
      stderr,
      'georep offsets: no replication in examples/disaster-recovery.yaml follows group "billing-test" (see replications[].groups)\n',
    );
  });
});
